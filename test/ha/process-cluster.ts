/**
 * Three (or more) real `bin/arca server` processes sharing one PostgreSQL with
 * `ha_enabled = "true"`, each with its own api_addr and cluster_addr on chosen free ports of
 * 127.0.0.1, and a client that behaves like a Vault client in front of an HA cluster: it
 * follows 307s and, when a node does not answer, tries the next one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresCluster } from '../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

export interface HaProcess {
  readonly url: string;
  /** "https://127.0.0.1:<cluster port>", as the node advertises it. */
  readonly clusterAddr: string;
  readonly server: ServerProcess;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

export async function startHaProcesses(pg: PostgresCluster, count: number): Promise<{ nodes: HaProcess[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'arca-ha-'));
  const table = pg.freshTable('kv');
  const haTable = pg.freshTable('ha');
  const nodes: HaProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) nodes.push(await startNode(pg, dir, i, table, haTable));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, stop };
}

/** Attempts at one node: a port found free can be taken (by an outgoing connection) before the server binds it. */
const START_ATTEMPTS = 5;

async function startNode(pg: PostgresCluster, dir: string, i: number, table: string, haTable: string): Promise<HaProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const clusterPort = await freePort();
    const path = join(dir, `node${i}.hcl`);
    writeFileSync(
      path,
      [
        'storage "postgresql" {',
        `  connection_url = "${pg.url()}"`,
        `  table = "${table}"`,
        `  ha_table = "${haTable}"`,
        '  ha_enabled = "true"',
        '}',
        'listener "tcp" {',
        `  address = "127.0.0.1:${port}"`,
        `  cluster_address = "127.0.0.1:${clusterPort}"`,
        '  tls_disable = true',
        '}',
        `api_addr = "http://127.0.0.1:${port}"`,
        `cluster_addr = "https://127.0.0.1:${clusterPort}"`,
        'disable_mlock = true',
        // Plain standbys: these tests are about the lock, forwarding and failover.
        'disable_performance_standby = true',
        '',
      ].join('\n'),
    );
    try {
      const server = await startServerProcess([`-config=${path}`], { timeoutMs: 30_000 });
      return { url: server.url, clusterAddr: `https://127.0.0.1:${clusterPort}`, server };
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

export interface ClusterAnswer {
  readonly status: number;
  readonly body: any;
  /** The node first asked (before any redirect). */
  readonly via: string;
}

/**
 * One request to the cluster: ask `urls[start]`, following redirects; a node that refuses the
 * connection, times out or answers 5xx is skipped for the next one. Gives up after `attempts`
 * nodes tried, returning the last answer (status 0 = no answer).
 */
export async function clusterRequest(
  urls: readonly string[],
  method: string,
  path: string,
  opts: { token: string; body?: unknown; start?: number; attempts?: number; timeoutMs?: number },
): Promise<ClusterAnswer> {
  let last: ClusterAnswer = { status: 0, body: undefined, via: '' };
  const attempts = opts.attempts ?? urls.length;
  for (let i = 0; i < attempts; i++) {
    const url = urls[((opts.start ?? 0) + i) % urls.length]!;
    try {
      const res = await fetch(`${url}/v1/${path}`, {
        method,
        headers: { 'X-Vault-Token': opts.token, ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      const text = await res.text();
      last = { status: res.status, body: text === '' ? undefined : JSON.parse(text), via: url };
      if (res.status < 500) return last;
    } catch {
      last = { status: 0, body: undefined, via: url };
    }
  }
  return last;
}
