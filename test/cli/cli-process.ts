/**
 * Helpers for integration tests that run the real bin/arca as child processes: start a server
 * and read its "Api Address:" line, run CLI commands, and always stop the servers (SIGTERM,
 * then SIGKILL after 5 s), even when a test fails or the runner exits early.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: dist/test/cli/ -> ../../.. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'arca');

const START_TIMEOUT_MS = 20_000;
const CLI_TIMEOUT_MS = 20_000;
const KILL_GRACE_MS = 5_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Environment for a child: no inherited Vault/Arca settings, a private HOME. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('VAULT_') || k.startsWith('ARCA_')) continue;
    env[k] = v;
  }
  return { ...env, HOME: home, ...extra };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunningServer {
  readonly addr: string;
  readonly home: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Start `bin/arca server ...args`; `nodeArgs` go to node itself (before the script). */
export async function startServer(args: readonly string[], home: string, nodeArgs: readonly string[] = []): Promise<RunningServer> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'server', ...args], {
    cwd: ROOT,
    env: cleanEnv(home),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    exited = true;
    live.delete(child);
  });
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await exitPromise;
    clearTimeout(timer);
  };
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its address within ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /Api Address: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before printing its address:\n${out}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { addr, home, output: () => out, stop };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `bin/arca ...args` to completion. */
export function runCli(args: readonly string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`arca ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, CLI_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Run `bin/arca ...args` on a pseudo-terminal (util-linux `script`), typing `answer` once the
 * output shows `prompt`: exercises the hidden interactive prompt. Output has "\r\n" folded.
 */
export function runCliInTerminal(args: readonly string[], env: Record<string, string>, prompt: string, answer: string): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let answered = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (!answered && stdout.includes(prompt)) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`arca ${args.join(' ')} on a terminal timed out\noutput: ${stdout}`));
    }, CLI_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      child.stdin.end();
      resolve({ code, stdout: stdout.replace(/\r\n/g, '\n'), stderr });
    });
  });
}

/** Whether util-linux `script` (used for terminal tests) is installed. */
export function hasScriptCommand(): boolean {
  return ['/usr/bin/script', '/bin/script'].some((p) => existsSync(p));
}
