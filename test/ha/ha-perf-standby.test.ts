/**
 * Performance standbys (in-process nodes over one real PostgreSQL): a standby answers
 * side-effect-free KV reads itself, never from stale state (data, policies, mounts, tokens),
 * and forwards everything else: writes, num_uses tokens, consistency headers, and every request
 * once the generation triggers are gone.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request } from '../../src/logical/request.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { createLogger } from '../../src/util/logger.js';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';
import { api } from '../helpers/server-process.js';
import { activeIndex, FAST_TIMINGS, haConfig, initAndUnseal, waitFor, type Tables } from './harness.js';

const cluster = await startPostgresOrSkip();

if (typeof cluster === 'string') {
  test('HA performance standbys', (t) => t.skip(cluster));
} else {
  const c: PostgresCluster = cluster;
  const started: RunningNode[] = [];
  after(async () => {
    for (const n of started) await n.close().catch(() => undefined);
    await c.stop();
  });

  /** An in-process node with performance standby explicitly on (whatever the harness's default). */
  const perfNode = (tables: Tables, disabled = false): Promise<RunningNode> =>
    startNode({ ...haConfig(c, tables), disablePerformanceStandby: disabled }, { logger: createLogger({ level: 'error', out: { write: () => undefined } }), haTimings: FAST_TIMINGS });

  test('a performance standby serves KV reads locally and fresh, forwards the rest, and stops when it cannot follow', async () => {
    const tables = { table: c.freshTable('kv'), haTable: c.freshTable('ha') };
    const ns = [await perfNode(tables), await perfNode(tables)];
    started.push(...ns);
    const urls = ns.map((n) => n.apiAddr);
    const { root, key } = await initAndUnseal(urls);
    const a = await activeIndex(urls);
    const active = urls[a]!;
    const standby = urls[1 - a]!;

    // What reaches the active node's pipeline (its own requests and forwarded ones), by path.
    const seen: string[] = [];
    const pipeline = ns[a]!.pipeline;
    const handle = pipeline.handle.bind(pipeline);
    pipeline.handle = (req: Request) => {
      seen.push(`${req.operation} ${req.path}`);
      return handle(req);
    };
    const atActive = async <T>(work: () => Promise<T>): Promise<{ result: T; forwarded: string[] }> => {
      const before = seen.length;
      const result = await work();
      return { result, forwarded: seen.slice(before) };
    };

    assert.equal((await api(active, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
    assert.equal((await api(active, 'POST', 'sys/mounts/kv2', { token: root, body: { type: 'kv', options: { version: '2' } } })).status, 204);
    assert.equal((await api(active, 'PUT', 'sys/policy/reader', { token: root, body: { policy: 'path "kv/*" { capabilities = ["read", "list"] }' } })).status, 204);
    const reader: string = (await api(active, 'POST', 'auth/token/create', { token: root, body: { policies: ['reader'], ttl: '1h' } })).body.auth.client_token;
    assert.equal((await api(active, 'PUT', 'kv/a', { token: root, body: { v: 'zero' } })).status, 204);

    // Status: 473 unless perfstandbyok (standbyok does not apply), as Vault.
    const health = await waitFor('the standby serving reads', async () => {
      const r = await api(standby, 'GET', 'sys/health');
      return r.status === 473 ? r : undefined;
    });
    assert.equal(health.body.standby, true);
    assert.equal(health.body.performance_standby, true);
    assert.equal((await api(standby, 'GET', 'sys/health?perfstandbyok=true')).status, 200);
    assert.equal((await api(standby, 'GET', 'sys/health?standbyok=true')).status, 473);
    assert.equal((await api(active, 'GET', 'sys/health')).body.performance_standby, false);
    assert.equal((await api(standby, 'GET', 'sys/leader')).body.performance_standby, true);
    assert.equal((await api(active, 'GET', 'sys/leader')).body.performance_standby, false);

    // A KV read is answered by the standby itself; a write through it is forwarded.
    const local = await atActive(() => api(standby, 'GET', 'kv/a', { token: reader }));
    assert.equal(local.result.status, 200);
    assert.equal(local.result.body.data.v, 'zero');
    assert.deepEqual(local.forwarded, []);
    const write = await atActive(() => api(standby, 'PUT', 'kv/a', { token: root, body: { v: 'one' } }));
    assert.equal(write.result.status, 204);
    assert.deepEqual(write.forwarded, ['update kv/a']);

    // No stale read: every write on the active node is in the standby's next read (v1 and v2).
    const fresh = await atActive(async () => {
      for (let i = 0; i < 20; i++) {
        assert.equal((await api(active, 'PUT', 'kv/a', { token: root, body: { v: `w${i}` } })).status, 204);
        assert.equal((await api(standby, 'GET', 'kv/a', { token: reader })).body.data.v, `w${i}`);
        assert.equal((await api(active, 'PUT', 'kv2/data/b', { token: root, body: { data: { n: i } } })).status, 200);
        const v2 = await api(standby, 'GET', 'kv2/data/b', { token: root });
        assert.equal(v2.body.data.data.n, i);
        assert.equal(v2.body.data.metadata.version, i + 1);
      }
      assert.equal((await api(active, 'DELETE', 'kv/a', { token: root })).status, 204);
      assert.equal((await api(standby, 'GET', 'kv/a', { token: reader })).status, 404);
    });
    assert.ok(!fresh.forwarded.some((r) => r.startsWith('read')), `reads were forwarded: ${JSON.stringify(fresh.forwarded)}`);

    // A policy change takes effect on the standby's next request, both ways.
    assert.equal((await api(active, 'PUT', 'kv/p', { token: root, body: { v: 'p' } })).status, 204);
    assert.equal((await api(standby, 'GET', 'kv/p', { token: reader })).status, 200);
    assert.equal((await api(active, 'PUT', 'sys/policy/reader', { token: root, body: { policy: 'path "kv/other" { capabilities = ["read"] }' } })).status, 204);
    assert.equal((await api(standby, 'GET', 'kv/p', { token: reader })).status, 403);
    assert.equal((await api(active, 'PUT', 'sys/policy/reader', { token: root, body: { policy: 'path "kv/*" { capabilities = ["read", "list"] }' } })).status, 204);
    assert.equal((await api(standby, 'GET', 'kv/p', { token: reader })).status, 200);

    // A mount enabled on the active node is routable on the standby at once, and served there.
    assert.equal((await api(active, 'POST', 'sys/mounts/fresh', { token: root, body: { type: 'kv' } })).status, 204);
    assert.equal((await api(active, 'PUT', 'fresh/x', { token: root, body: { v: 'new mount' } })).status, 204);
    const mounted = await atActive(() => api(standby, 'GET', 'fresh/x', { token: root }));
    assert.equal(mounted.result.body.data.v, 'new mount');
    assert.deepEqual(mounted.forwarded, []);
    assert.equal((await api(active, 'DELETE', 'sys/mounts/fresh', { token: root })).status, 204);
    assert.equal((await api(standby, 'GET', 'fresh/x', { token: root })).status, 404);

    // A num_uses token is consumed exactly once per use, at the active node.
    const limited: string = (await api(active, 'POST', 'auth/token/create', { token: root, body: { policies: ['reader'], num_uses: 2 } })).body.auth.client_token;
    const uses = await atActive(async () => [
      (await api(standby, 'GET', 'kv/p', { token: limited })).status,
      (await api(standby, 'GET', 'kv/p', { token: limited })).status,
      (await api(standby, 'GET', 'kv/p', { token: limited })).status,
    ]);
    assert.deepEqual(uses.result, [200, 200, 403]);
    assert.deepEqual(uses.forwarded, ['read kv/p', 'read kv/p', 'read kv/p']);

    // A revoked token stops working on the standby at once.
    assert.equal((await api(active, 'POST', 'auth/token/revoke', { token: root, body: { token: reader } })).status, 204);
    assert.equal((await api(standby, 'GET', 'kv/p', { token: reader })).status, 403);

    // Requests asking for consistency, wrapping, or not KV go to the active node.
    const others = await atActive(async () => {
      await api(standby, 'GET', 'kv/p', { token: root, headers: { 'X-Vault-Index': 'anything' } });
      await api(standby, 'GET', 'kv/p', { token: root, headers: { 'X-Vault-Wrap-TTL': '60' } });
      await api(standby, 'GET', 'sys/mounts', { token: root });
    });
    assert.deepEqual(others.forwarded, ['read kv/p', 'read kv/p', 'read sys/mounts']);

    // disable_performance_standby: a plain standby that forwards reads too.
    const plain = await perfNode(tables, true);
    started.push(plain);
    assert.equal((await api(plain.apiAddr, 'PUT', 'sys/unseal', { body: { key } })).body.sealed, false);
    await waitFor('the third node standing by', async () => ((await api(plain.apiAddr, 'GET', 'sys/leader')).body.leader_address === active ? true : undefined));
    // Long enough for an enabled standby to have loaded (it tries at once, then every second).
    await sleep(1500);
    const viaPlain = await atActive(() => api(plain.apiAddr, 'GET', 'kv/p', { token: root }));
    assert.equal(viaPlain.result.body.data.v, 'p');
    assert.deepEqual(viaPlain.forwarded, ['read kv/p']);
    const plainHealth = await api(plain.apiAddr, 'GET', 'sys/health');
    assert.equal(plainHealth.status, 429);
    assert.equal(plainHealth.body.performance_standby, false);

    // Without the generation triggers the standby cannot follow: it forwards everything again.
    await c.query(`DROP TRIGGER arca_generation_w ON "${tables.table}"`);
    const blind = await atActive(() => api(standby, 'GET', 'kv/p', { token: root }));
    assert.equal(blind.result.status, 200);
    assert.deepEqual(blind.forwarded, ['read kv/p']);
    await waitFor('the standby reporting a plain standby', async () => ((await api(standby, 'GET', 'sys/health')).status === 429 ? true : undefined));
  });
}
