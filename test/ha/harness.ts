/**
 * HA test helpers: in-process nodes sharing one PostgreSQL (real listeners on 127.0.0.1:0,
 * short HA timings so role changes take seconds), and polling helpers shared with the process
 * tests.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_MAX_REQUEST_SIZE,
  DEFAULT_REPLICATION,
  DEFAULT_TELEMETRY,
  DEFAULT_TOP_LEVEL,
  type ServerConfig,
} from '../../src/config/server-config-types.js';
import type { HaTimings } from '../../src/ha/coordinator.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { createLogger } from '../../src/util/logger.js';
import { api } from '../helpers/server-process.js';
import type { PostgresCluster } from '../helpers/postgres.js';

/** Fast enough for tests, in the same proportions as the defaults. */
export const FAST_TIMINGS: Partial<HaTimings> = {
  lockTtlMs: 3000,
  renewIntervalMs: 1000,
  retryIntervalMs: 200,
  safetyMarginMs: 500,
  stepDownCooldownMs: 2000,
  drainMs: 2000,
  heartbeatIntervalMs: 500,
  nodeTtlMs: 3000,
};

export interface Tables {
  readonly table: string;
  readonly haTable: string;
}

/**
 * Standbys here are plain standbys (`disable_performance_standby`): these tests are about the
 * lock, forwarding and failover; ha-perf-standby.test.ts turns read serving on explicitly.
 */
export function haConfig(cluster: PostgresCluster, tables: Tables): ServerConfig {
  return {
    ...DEFAULT_TOP_LEVEL,
    disablePerformanceStandby: true,
    storage: {
      type: 'postgresql',
      options: { connection_url: cluster.url(), table: tables.table, ha_table: tables.haTable, ha_enabled: 'true' },
    },
    listeners: [
      {
        type: 'tcp',
        address: '127.0.0.1:0',
        host: '127.0.0.1',
        port: 0,
        clusterAddress: '127.0.0.1:0',
        tls: { enabled: false },
        maxRequestSize: DEFAULT_MAX_REQUEST_SIZE,
      },
    ],
    telemetry: DEFAULT_TELEMETRY,
    replication: DEFAULT_REPLICATION,
    ignoredKeys: [],
  };
}

/** An in-process HA node; its log is kept for failure messages. */
export async function startHaNode(cluster: PostgresCluster, tables: Tables, timings: Partial<HaTimings> = FAST_TIMINGS): Promise<RunningNode & { logs(): string }> {
  let logged = '';
  const logger = createLogger({ level: 'debug', out: { write: (s: string) => (logged += s) } });
  const node = await startNode(haConfig(cluster, tables), { logger, haTimings: timings });
  return Object.assign(node, { logs: () => logged });
}

/** Poll until `check` returns a value (not undefined), or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** The index of the one node whose health says active (200), once exactly one does. */
export async function activeIndex(urls: readonly (string | undefined)[], timeoutMs = 15_000): Promise<number> {
  return waitFor(
    'exactly one active node',
    async () => {
      const codes = await Promise.all(urls.map(async (u) => (u === undefined ? 0 : (await api(u, 'GET', 'sys/health').catch(() => ({ status: 0 }))).status)));
      const active = codes.flatMap((c, i) => (c === 200 ? [i] : []));
      return active.length === 1 ? active[0] : undefined;
    },
    timeoutMs,
  );
}

/** A request that does not follow redirects (to look at a standby's 307). */
export async function rawFetch(url: string, method: string, path: string, token?: string): Promise<Response> {
  return fetch(`${url}/v1/${path}`, { method, redirect: 'manual', headers: token !== undefined ? { 'X-Vault-Token': token } : {} });
}

/** Initialise through the first node and unseal every node with the same key. */
export async function initAndUnseal(urls: readonly string[]): Promise<{ key: string; root: string }> {
  const init = await api(urls[0]!, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  assert.equal(init.status, 200, JSON.stringify(init.body));
  const key: string = init.body.keys_base64[0];
  for (const u of urls) {
    const r = await api(u, 'PUT', 'sys/unseal', { body: { key } });
    assert.equal(r.body.sealed, false, JSON.stringify(r.body));
  }
  return { key, root: init.body.root_token };
}
