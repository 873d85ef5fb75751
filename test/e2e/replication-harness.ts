/**
 * Real clusters for the replication end-to-end tests: `bin/arca server` processes on 127.0.0.1
 * port 0 (cluster port 0 too) over their own SQLite files, initialised with one key share.
 */
import assert from 'node:assert/strict';
import { api, startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

export interface Cluster {
  readonly name: string;
  /** Its SQLite file. */
  readonly dbPath: string;
  server: ServerProcess;
  url: string;
  /** Base64 unseal key: this cluster's own until it becomes a secondary, then its primary's. */
  unsealKey: string;
  root: string;
  stop(): Promise<void>;
  /** Stop the process and start it again over the same storage (sealed; unseal with `unsealKey`). */
  restart(): Promise<void>;
}

export async function startCluster(name: string, extraConfig?: string): Promise<Cluster> {
  const cfg = writeServerConfig({ storage: 'sqlite', ...(extraConfig !== undefined ? { extra: extraConfig } : {}) });
  const server = await startServerProcess(['-config', cfg.configPath]);
  const url = server.url;
  let r = await api(url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const unsealKey: string = r.body.keys_base64[0];
  const root: string = r.body.root_token;
  r = await api(url, 'PUT', 'sys/unseal', { body: { key: unsealKey } });
  assert.equal(r.body.sealed, false);
  const cluster: Cluster = {
    name,
    dbPath: cfg.dbPath,
    server,
    url,
    unsealKey,
    root,
    async stop() {
      await cluster.server.stop();
      cfg.cleanup();
    },
    async restart() {
      await cluster.server.stop();
      cluster.server = await startServerProcess(['-config', cfg.configPath]);
      cluster.url = cluster.server.url;
    },
  };
  return cluster;
}

/** Poll until `check` returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A new root token from generate-root with one unseal key share. */
export async function generateRoot(url: string, key: string): Promise<string> {
  let r = await api(url, 'PUT', 'sys/generate-root/attempt', { body: {} });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const otp: string = r.body.otp;
  r = await api(url, 'PUT', 'sys/generate-root/update', { body: { key, nonce: r.body.nonce } });
  assert.equal(r.body.complete, true, JSON.stringify(r.body));
  const xored = Buffer.from(r.body.encoded_token as string, 'base64');
  return Buffer.from(xored.map((b, i) => b ^ otp.charCodeAt(i))).toString('utf8');
}

export async function enablePrimary(p: Cluster): Promise<void> {
  const r = await api(p.url, 'POST', 'sys/replication/performance/primary/enable', { token: p.root, body: {} });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

export async function secondaryToken(p: Cluster, id: string, ttl?: string): Promise<string> {
  const r = await api(p.url, 'POST', 'sys/replication/performance/primary/secondary-token', { token: p.root, body: { id, ...(ttl !== undefined ? { ttl } : {}) } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.data, null);
  return r.body.wrap_info.token as string;
}

/**
 * Activate `s` as a secondary of `p`: redeem the token, unseal with the primary's key, and get a
 * root token there (tokens are local; the secondary's old ones were wiped).
 */
export async function activate(p: Cluster, s: Cluster, id: string): Promise<void> {
  const token = await secondaryToken(p, id);
  let r = await api(s.url, 'POST', 'sys/replication/performance/secondary/enable', { token: s.root, body: { token } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  r = await api(s.url, 'GET', 'sys/seal-status');
  assert.equal(r.body.sealed, true, 'an activated secondary is sealed until unsealed with the primary keys');
  r = await api(s.url, 'PUT', 'sys/unseal', { body: { key: p.unsealKey } });
  assert.equal(r.body.sealed, false, JSON.stringify(r.body));
  s.unsealKey = p.unsealKey;
  s.root = await generateRoot(s.url, p.unsealKey);
}

export async function status(c: Cluster): Promise<any> {
  const r = await api(c.url, 'GET', 'sys/replication/performance/status');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data;
}

/** The secondary's read of a KV v2 secret, once it has arrived. */
export async function readWhenReplicated(s: Cluster, path: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return eventually(`${path} at ${s.name}`, async () => {
    const r = await api(s.url, 'GET', `secret/data/${path}`, { token: s.root });
    return r.status === 200 ? (r.body.data.data as Record<string, unknown>) : undefined;
  }, timeoutMs);
}
