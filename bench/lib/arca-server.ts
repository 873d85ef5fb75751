/**
 * A real `bin/arca server -config` process for the durable write scenario: SQLite storage,
 * initialised and unsealed over HTTP with KV v2 mounted at secret/, as an operator would. It
 * listens on 127.0.0.1 with an ephemeral port. (Scenarios that need a dev-style node with an
 * in-process prefill use lib/node-host.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, spawnNode } from './child.js';
import { apiOk } from './http-client.js';
import { KV_MOUNT } from './payload.js';
import { serverExecArgv } from './profiling.js';
import { recommendedServerFlags } from './server-flags.js';

/** dist/bench/lib -> repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARCA_BIN = join(REPO_ROOT, 'bin', 'arca');
const START_TIMEOUT_MS = 20_000;
const READY = /Api Address: (http:\/\/127\.0\.0\.1:\d+)/;

export interface ArcaServer {
  readonly url: string;
  readonly token: string;
  readonly child: Child;
  stop(): Promise<void>;
}

/** A durable server: SQLite storage (WAL, synchronous=FULL), init + unseal, KV v2 at secret/. */
export async function startSqliteServer(): Promise<ArcaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'arca-bench-sqlite-'));
  const configPath = join(dir, 'arca.hcl');
  writeFileSync(
    configPath,
    `storage "sqlite" {\n  path = ${JSON.stringify(join(dir, 'arca.db'))}\n}\n` +
      `listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\ndisable_mlock = true\n`,
  );
  const child = await spawnNode(ARCA_BIN, {
    args: ['server', `-config=${configPath}`, '-log-level=warn'],
    ready: READY,
    timeoutMs: START_TIMEOUT_MS,
    cwd: dir,
    execArgv: [...recommendedServerFlags(), ...serverExecArgv()],
  });
  const url = child.ready[0]!;
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const init = (await apiOk(url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } })) as {
      keys_base64: string[];
      root_token: string;
    };
    await apiOk(url, 'PUT', '/v1/sys/unseal', { body: { key: init.keys_base64[0] } });
    await apiOk(url, 'POST', `/v1/sys/mounts/${KV_MOUNT}`, { token: init.root_token, body: { type: 'kv', options: { version: '2' } } });
    return { url, token: init.root_token, child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
