/**
 * Real `bin/arca server` processes for end-to-end tests: spawned on 127.0.0.1 port 0, found
 * through the "Api Address:" banner line, stopped with real signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ARCA_BIN = join(REPO_ROOT, 'bin', 'arca');

export interface ServerProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  /** Everything the process wrote so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code or signal. */
  stop(): Promise<number | NodeJS.Signals | null>;
  kill(signal: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

export async function startServerProcess(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ServerProcess> {
  const home = mkdtempSync(join(tmpdir(), 'arca-home-'));
  const proc = spawn(process.execPath, [ARCA_BIN, 'server', ...args], {
    env: { ...process.env, HOME: home, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)));
  exited.then(() => rmSync(home, { recursive: true, force: true }), () => undefined);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${opts.timeoutMs ?? 15000} ms:\n${out}`)), opts.timeoutMs ?? 15000);
    const check = (): void => {
      const m = /Api Address: (\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`server exited before starting:\n${out}`));
    });
  });

  const kill = async (signal: NodeJS.Signals): Promise<number | NodeJS.Signals | null> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  return {
    url,
    proc,
    output: () => out,
    kill,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.kill('SIGTERM');
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

/** A temp directory with a config file for a SQLite (or inmem) server on 127.0.0.1:0. */
export function writeServerConfig(opts: { storage: 'sqlite' | 'inmem'; dir?: string; extra?: string }): { dir: string; configPath: string; dbPath: string; cleanup(): void } {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'arca-srv-'));
  const dbPath = join(dir, 'arca.db');
  const storage = opts.storage === 'sqlite' ? `storage "sqlite" {\n  path = "${dbPath}"\n}` : 'storage "inmem" {}';
  const configPath = join(dir, 'config.hcl');
  writeFileSync(
    configPath,
    `${storage}\n\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n\ndisable_mlock = true\n${opts.extra ?? ''}\n`,
  );
  return { dir, configPath, dbPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A SQLite server process from a config file with `extra` top-level lines, initialised with one
 * key share and unsealed. `stop()` ends it and removes its files.
 */
export async function startConfiguredServer(extra: string): Promise<{ url: string; root: string; stop(): Promise<void> }> {
  const cfg = writeServerConfig({ storage: 'sqlite', extra });
  let server: ServerProcess;
  try {
    server = await startServerProcess([`-config=${cfg.configPath}`]);
  } catch (err) {
    cfg.cleanup();
    throw err;
  }
  const stop = async (): Promise<void> => {
    await server.stop();
    cfg.cleanup();
  };
  const init = await api(server.url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  const unsealed = init.status === 200 ? await api(server.url, 'PUT', 'sys/unseal', { body: { key: init.body.keys[0] } }) : undefined;
  if (unsealed?.body?.sealed !== false) {
    await stop();
    throw new Error(`could not initialise and unseal: ${JSON.stringify(init.body)} ${JSON.stringify(unsealed?.body)}`);
  }
  return { url: server.url, root: init.body.root_token, stop };
}

/** Minimal JSON-over-HTTP client for tests: returns status, parsed body (or undefined), headers. */
export async function api(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers['X-Vault-Token'] = opts.token;
  const init: RequestInit = { method, headers };
  if (opts.body !== undefined) {
    init.body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(`${url}/v1/${path}`, init);
  const text = await res.text();
  let body: any;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

export type ApiCall = (method: string, path: string, body?: unknown, token?: string) => ReturnType<typeof api>;

/**
 * One dev server process (root token `rootToken`) for the tests of the calling file: started in
 * `before`, stopped in `after`. Returns `call(method, path, body?, token = rootToken)`.
 */
export function devServerForFile(rootToken: string): ApiCall {
  let server: ServerProcess | undefined;
  before(async () => {
    server = await startServerProcess(['-dev', `-dev-root-token-id=${rootToken}`, '-dev-listen-address=127.0.0.1:0']);
  });
  after(async () => {
    await server?.stop();
  });
  return (method, path, body, token = rootToken) => {
    if (server === undefined) throw new Error('the dev server is not started: call devServerForFile at the top level of a test file');
    return api(server.url, method, path, { token, ...(body !== undefined ? { body } : {}) });
  };
}
