/**
 * sys/config/cors on an HA cluster (in-process nodes over one real PostgreSQL): a browser may
 * reach any node, so every standby (plain and performance) applies the policy the active node
 * stored, follows its changes within a lock-check interval, and a node that steps down keeps
 * applying it.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { createLogger } from '../../src/util/logger.js';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';
import { api } from '../helpers/server-process.js';
import { activeIndex, FAST_TIMINGS, haConfig, initAndUnseal, startHaNode, waitFor } from './harness.js';

const cluster = await startPostgresOrSkip();

/** What a node answers a browser: the preflight's status and allowed headers, and a forwarded read's status and allowed origin. */
async function browserView(url: string, origin: string, token: string): Promise<string> {
  const pre = await fetch(`${url}/v1/secret/data/x`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' } });
  await pre.arrayBuffer();
  const read = await api(url, 'GET', 'sys/mounts', { token, headers: { Origin: origin } });
  const refused = read.status === 403 ? ` ${JSON.stringify(read.body)}` : '';
  return `preflight ${pre.status} [${pre.headers.get('access-control-allow-headers') ?? ''}] read ${read.status}${refused} origin=${read.headers.get('access-control-allow-origin') ?? '-'}`;
}

if (typeof cluster === 'string') {
  test('HA CORS', (t) => t.skip(cluster));
} else {
  const c: PostgresCluster = cluster;
  const started: RunningNode[] = [];
  after(async () => {
    for (const n of started) await n.close().catch(() => undefined);
    await c.stop();
  });

  test('every node applies the stored CORS policy: plain and performance standbys follow changes, a stepped-down node keeps it', async () => {
    const tables = { table: c.freshTable('kv'), haTable: c.freshTable('ha') };
    const perf = await startNode({ ...haConfig(c, tables), disablePerformanceStandby: false }, { logger: createLogger({ level: 'error', out: { write: () => undefined } }), haTimings: FAST_TIMINGS });
    const ns: RunningNode[] = [await startHaNode(c, tables), await startHaNode(c, tables), perf];
    started.push(...ns);
    const urls = ns.map((n) => n.apiAddr);
    const { root } = await initAndUnseal(urls);
    const a = await activeIndex(urls);
    const active = urls[a]!;
    const standbys = urls.filter((_, i) => i !== a);
    // Node 2 is a performance standby unless it won the lock.
    if (a !== 2) await waitFor('a performance standby', async () => ((await api(urls[2]!, 'GET', 'sys/health')).body.performance_standby === true ? true : undefined));

    const off = `preflight 405 [] read 200 origin=-`;
    for (const u of urls) assert.equal(await browserView(u, 'https://app.example', root), off, `${u}: CORS off by default`);

    assert.equal((await api(active, 'PUT', 'sys/config/cors', { token: root, body: { allowed_origins: ['https://app.example'], allowed_headers: ['X-Custom'] } })).status, 204);
    const allowed = /^preflight 204 \[[^\]]*X-Vault-Token[^\]]*X-Custom\] read 200 origin=https:\/\/app\.example$/;
    const refused = `read 403 {"errors":["origin not allowed"]} origin=-`;
    for (const u of [active, ...standbys]) {
      await waitFor(`${u} to admit the configured origin`, async () => (allowed.test(await browserView(u, 'https://app.example', root)) ? true : undefined), 10_000);
      assert.ok((await browserView(u, 'https://evil.example', root)).endsWith(refused), `${u} refuses other origins`);
    }

    // A change on the active node reaches every standby, also after a rotation of the keyring
    // (the new policy is encrypted under a term the standbys have not seen).
    assert.equal((await api(active, 'PUT', 'sys/rotate', { token: root })).status, 204);
    assert.equal((await api(active, 'PUT', 'sys/config/cors', { token: root, body: { allowed_origins: ['https://other.example'] } })).status, 204);
    for (const u of standbys) {
      await waitFor(`${u} to follow the new origin list`, async () => ((await browserView(u, 'https://app.example', root)).endsWith(refused) ? true : undefined), 10_000);
      assert.match(await browserView(u, 'https://other.example', root), /read 200 origin=https:\/\/other\.example$/);
    }

    // The node that steps down applies the policy as a standby too.
    assert.equal((await api(active, 'PUT', 'sys/step-down', { token: root })).status, 204);
    const next = await waitFor('another active node', async () => {
      const i = await activeIndex(urls, 5_000);
      return i === a ? undefined : i;
    });
    await waitFor(`the stepped-down node ${active} to refuse other origins`, async () => ((await browserView(active, 'https://app.example', root)).endsWith(refused) ? true : undefined), 10_000);
    assert.match(await browserView(urls[next]!, 'https://other.example', root), /read 200 origin=https:\/\/other\.example$/);

    // Off again everywhere.
    assert.equal((await api(urls[next]!, 'DELETE', 'sys/config/cors', { token: root })).status, 204);
    for (const u of urls) await waitFor(`${u} to turn CORS off`, async () => ((await browserView(u, 'https://evil.example', root)) === off ? true : undefined), 10_000);
  });
}
