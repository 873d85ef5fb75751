/**
 * Replication bench clusters, set up as an operator would over HTTP: each node is its own
 * process (lib/repl-host.ts, SQLite in a temporary directory, 127.0.0.1, ephemeral API and
 * cluster ports), initialised with one key share and unsealed; the primary is enabled through
 * sys/replication/performance/primary/enable, a secondary is activated with a secondary-token
 * and performance/secondary/enable, unsealed with the primary's key and given a root token by
 * generate-root (tokens are per cluster).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, spawnNode } from './child.js';
import { api, apiOk } from './http-client.js';
import { KV_MOUNT } from './payload.js';
import { serverExecArgv } from './profiling.js';
import { recommendedServerFlags } from './server-flags.js';
import type { ReplHostCommand, ReplHostSpec } from './repl-host.js';

const HOST = fileURLToPath(new URL('./repl-host.js', import.meta.url));
const PERF = '/v1/sys/replication/performance';

export interface ReplNode {
  readonly url: string;
  /** This cluster's root token (a secondary's own, from generate-root). */
  token: string;
  /** Base64 unseal key: its own, or its primary's once a secondary. */
  unsealKey: string;
  readonly child: Child;
  readonly dir: string;
  command(cmd: ReplHostCommand, reply: RegExp, timeoutMs: number): Promise<string[]>;
  /** Start recording WAL positions (committed on a primary, applied on a secondary). */
  watch(): Promise<void>;
  /** The recorded [index, monotonic ms] pairs. */
  positions(): Promise<[number, number][]>;
  status(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startReplNode(opts: { walRetentionEntries?: number } = {}): Promise<ReplNode> {
  const dir = mkdtempSync(join(tmpdir(), 'arca-bench-repl-'));
  const spec: ReplHostSpec = { dbPath: join(dir, 'arca.db'), ...(opts.walRetentionEntries !== undefined ? { walRetentionEntries: opts.walRetentionEntries } : {}) };
  let child: Child;
  try {
    child = await spawnNode(HOST, { args: [JSON.stringify(spec)], ready: /repl host ready (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs: 20_000, execArgv: [...recommendedServerFlags(), ...serverExecArgv()] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = child.ready[0]!;
  const node: ReplNode = {
    url,
    token: '',
    unsealKey: '',
    child,
    dir,
    async command(cmd, reply, timeoutMs) {
      const got = await child.ask(JSON.stringify(cmd), new RegExp(`(?:${reply.source})\\n|command failed: (.*)\\n`), timeoutMs);
      // The last group is the failure text: set only when the command failed.
      const failure = got[got.length - 1];
      if (failure !== undefined) throw new Error(`repl host: ${cmd.op} failed: ${failure}`);
      return got;
    },
    async watch() {
      await node.command({ op: 'watch' }, /watching/, 5000);
    },
    async positions() {
      const file = join(dir, `positions-${Date.now()}.json`);
      await node.command({ op: 'positions', file }, /positions (\d+)/, 30_000);
      return JSON.parse(readFileSync(file, 'utf8')) as [number, number][];
    },
    async status() {
      return ((await apiOk(url, 'GET', `${PERF}/status`)) as { data: Record<string, unknown> }).data;
    },
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const init = (await apiOk(url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } })) as { keys_base64: string[]; root_token: string };
    node.unsealKey = init.keys_base64[0]!;
    node.token = init.root_token;
    await apiOk(url, 'PUT', '/v1/sys/unseal', { body: { key: node.unsealKey } });
    return node;
  } catch (err) {
    await node.stop();
    throw err;
  }
}

/** A primary: KV v2 at secret/, performance primary enabled. */
export async function startPrimary(opts: { walRetentionEntries?: number } = {}): Promise<ReplNode> {
  const p = await startReplNode(opts);
  try {
    await apiOk(p.url, 'POST', `/v1/sys/mounts/${KV_MOUNT}`, { token: p.token, body: { type: 'kv', options: { version: '2' } } });
    await apiOk(p.url, 'POST', `${PERF}/primary/enable`, { token: p.token, body: {} });
    return p;
  } catch (err) {
    await p.stop();
    throw err;
  }
}

/**
 * Activate `s` as a secondary of `p`: secondary-token, secondary/enable (which wipes and seals
 * it), unseal with the primary's key. Resolves when the unseal answered (streaming starts
 * there, with a Merkle catch-up); the returned time is when the unseal was sent (monotonic ms
 * of this process, comparable with lib/repl-host.ts monoMs).
 */
export async function activateSecondary(p: ReplNode, s: ReplNode, id: string): Promise<number> {
  const wrapped = (await apiOk(p.url, 'POST', `${PERF}/primary/secondary-token`, { token: p.token, body: { id } })) as { wrap_info: { token: string } };
  await apiOk(s.url, 'POST', `${PERF}/secondary/enable`, { token: s.token, body: { token: wrapped.wrap_info.token } });
  const unsealAt = Number(process.hrtime.bigint() / 1000n) / 1000;
  const r = (await apiOk(s.url, 'PUT', '/v1/sys/unseal', { body: { key: p.unsealKey } })) as { sealed: boolean };
  if (r.sealed) throw new Error('secondary still sealed after unseal with the primary key');
  s.unsealKey = p.unsealKey;
  s.token = await generateRoot(s.url, p.unsealKey);
  return unsealAt;
}

/** A root token from generate-root with one key share (the OTP flow). */
async function generateRoot(url: string, key: string): Promise<string> {
  const attempt = (await apiOk(url, 'PUT', '/v1/sys/generate-root/attempt', { body: {} })) as { otp: string; nonce: string };
  const done = (await apiOk(url, 'PUT', '/v1/sys/generate-root/update', { body: { key, nonce: attempt.nonce } })) as { complete: boolean; encoded_token: string };
  if (!done.complete) throw new Error('generate-root did not complete with one share');
  const xored = Buffer.from(done.encoded_token, 'base64');
  return Buffer.from(xored.map((b, i) => b ^ attempt.otp.charCodeAt(i))).toString('utf8');
}

/** Poll until `check` returns a value, bounded; `everyMs` between polls. */
export async function until<T>(what: string, timeoutMs: number, everyMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A secondary that has caught up with an idle primary: same merkle_root, streaming. */
export async function caughtUp(p: ReplNode, s: ReplNode): Promise<boolean | undefined> {
  const [ps, ss] = await Promise.all([p.status(), s.status()]);
  return ss['state'] === 'stream-wals' && ps['merkle_root'] !== '' && ss['merkle_root'] === ps['merkle_root'] ? true : undefined;
}

/** The pair the lag and forwarding scenarios share. */
export interface ReplPair {
  readonly primary: ReplNode;
  readonly secondary: ReplNode;
  stop(): Promise<void>;
}

export async function startPair(): Promise<ReplPair> {
  const primary = await startPrimary();
  let secondary: ReplNode | undefined;
  try {
    secondary = await startReplNode();
    await activateSecondary(primary, secondary, 'bench-secondary');
    const s = secondary;
    await until('the secondary to catch up', 60_000, 50, () => caughtUp(primary, s));
    // Its own token works there (tokens are per cluster).
    const r = await api(s.url, 'GET', '/v1/auth/token/lookup-self', { token: s.token });
    if (r.status !== 200) throw new Error(`secondary root token lookup: HTTP ${r.status}`);
    return {
      primary,
      secondary: s,
      async stop() {
        await s.stop();
        await primary.stop();
      },
    };
  } catch (err) {
    await secondary?.stop();
    await primary.stop();
    throw err;
  }
}
