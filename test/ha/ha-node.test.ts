/**
 * HA with in-process nodes over one real PostgreSQL (each node its own pool, lock session and
 * HTTP listener): one active node and standbys, what a standby answers itself and what it
 * forwards, step-down, sealing the active node, and that a node coming back to active duty
 * never serves what it had cached before.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { RunningNode } from '../../src/server/node.js';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';
import { api } from '../helpers/server-process.js';
import { activeIndex, initAndUnseal, rawFetch, startHaNode, waitFor } from './harness.js';

const cluster = await startPostgresOrSkip();

if (typeof cluster === 'string') {
  test('HA nodes', (t) => t.skip(cluster));
} else {
  const c: PostgresCluster = cluster;
  const started: RunningNode[] = [];
  after(async () => {
    for (const n of started) await n.close().catch(() => undefined);
    await c.stop();
  });

  async function nodes(count: number): Promise<(RunningNode & { logs(): string })[]> {
    const tables = { table: c.freshTable('kv'), haTable: c.freshTable('ha') };
    const out: (RunningNode & { logs(): string })[] = [];
    for (let i = 0; i < count; i++) out.push(await startHaNode(c, tables));
    started.push(...out);
    return out;
  }

  describe('three nodes', () => {
    test('one active node, standbys answering status and forwarding the rest, step-down and seal moving the active role', async () => {
      const ns = await nodes(3);
      const urls = ns.map((n) => n.apiAddr);
      // Sealed: only seal endpoints answer; no node claims the lock.
      assert.equal((await api(urls[1]!, 'GET', 'sys/health')).status, 501);
      assert.equal((await api(urls[1]!, 'GET', 'sys/leader')).status, 503);
      const { root } = await initAndUnseal(urls);
      const a = await activeIndex(urls);
      const active = urls[a]!;
      const standbys = urls.filter((_, i) => i !== a);

      assert.equal((await api(active, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
      assert.equal((await api(active, 'PUT', 'kv/app', { token: root, body: { v: 'one' } })).status, 204);

      for (const s of standbys) {
        const health = await api(s, 'GET', 'sys/health');
        assert.equal(health.status, 429);
        assert.equal(health.body.standby, true);
        assert.equal(health.body.sealed, false);
        assert.equal((await api(s, 'GET', 'sys/health?standbyok=true')).status, 200);
        assert.equal((await api(s, 'GET', 'sys/health?standbycode=299')).status, 299);
        const leader = await api(s, 'GET', 'sys/leader');
        assert.equal(leader.status, 200);
        assert.equal(leader.body.ha_enabled, true);
        assert.equal(leader.body.is_self, false);
        assert.equal(leader.body.leader_address, active);
        assert.notEqual(leader.body.active_time, '0001-01-01T00:00:00Z');
        const sealStatus = await api(s, 'GET', 'sys/seal-status');
        assert.equal(sealStatus.body.sealed, false);
        assert.equal(typeof sealStatus.body.cluster_id, 'string');

        // Everything else is forwarded to the active node over the cluster port: no redirect.
        const read = await rawFetch(s, 'GET', 'kv/app?x=1', root);
        assert.equal(read.status, 200);
        assert.equal(((await read.json()) as { data: { v: string } }).data.v, 'one');
        const list = await rawFetch(s, 'LIST', 'kv/', root);
        assert.equal(list.status, 200);
        assert.ok(((await list.json()) as { data: { keys: string[] } }).data.keys.includes('app'));
        assert.equal((await api(s, 'PUT', `kv/via-${s.slice(-5)}`, { token: root, body: { v: 'w' } })).status, 204);
        assert.equal((await api(active, 'GET', `kv/via-${s.slice(-5)}`, { token: root })).body.data.v, 'w');
        // A standby cannot check a token, so it will not seal (Vault's answer).
        const seal = await api(s, 'PUT', 'sys/seal', { token: root });
        assert.equal(seal.status, 500);
        assert.deepEqual(seal.body.errors, ['vault cannot seal when in standby mode; please restart instead']);
      }
      const lead = await api(active, 'GET', 'sys/leader');
      assert.equal(lead.body.is_self, true);
      assert.equal(lead.body.leader_address, active);
      assert.equal((await api(active, 'GET', 'sys/health')).body.standby, false);

      const ha = await waitFor('three nodes in ha-status', async () => {
        const r = await api(active, 'GET', 'sys/ha-status', { token: root });
        return r.body?.data?.nodes?.length === 3 ? r.body : undefined;
      });
      assert.deepEqual(ha.nodes, ha.data.nodes);
      const activeNodes = ha.data.nodes.filter((n: { active_node: boolean }) => n.active_node);
      assert.equal(activeNodes.length, 1);
      assert.equal(activeNodes[0].api_address, active);
      assert.equal(activeNodes[0].last_echo, null);
      for (const n of ha.data.nodes.filter((x: { active_node: boolean }) => !x.active_node)) assert.ok(Date.parse(n.last_echo) > 0);
      assert.equal((await api(active, 'GET', 'sys/ha-status')).status, 403, 'ha-status needs a token');

      // Step-down (sudo): another node takes over, the old one becomes a standby.
      assert.equal((await api(active, 'PUT', 'sys/step-down')).status, 403);
      assert.equal((await api(active, 'PUT', 'sys/step-down', { token: root })).status, 204);
      const b = await waitFor('a new active node', async () => {
        const i = await activeIndex(urls);
        return i !== a ? i : undefined;
      });
      assert.equal((await api(active, 'GET', 'sys/health')).status, 429);
      assert.equal((await api(urls[b]!, 'GET', 'kv/app', { token: root })).body.data.v, 'one');
      // Through the old active node, now a standby (once it has seen the new holder).
      const via = await waitFor('an answer through the old active node', async () => {
        const r = await api(active, 'GET', 'kv/app', { token: root });
        return r.status === 200 ? r : undefined;
      });
      assert.equal(via.body.data.v, 'one');

      // Sealing the active node hands over too; the sealed node answers only seal endpoints.
      assert.equal((await api(urls[b]!, 'PUT', 'sys/seal', { token: root })).status, 204);
      const third = await waitFor('a third active node', async () => {
        const i = await activeIndex(urls);
        return i !== b ? i : undefined;
      });
      assert.equal((await api(urls[b]!, 'GET', 'sys/seal-status')).body.sealed, true);
      assert.equal((await api(urls[b]!, 'GET', 'kv/app', { token: root })).status, 503);
      assert.equal((await api(urls[third]!, 'GET', `kv/via-${urls[(a + 1) % 3]!.slice(-5)}`, { token: root })).body.data.v, 'w');
    });
  });

  describe('two nodes', () => {
    test('a node active again reads what the other active node wrote meanwhile, not its old cache; tokens survive failover', async () => {
      const ns = await nodes(2);
      const urls = ns.map((n) => n.apiAddr);
      const { root } = await initAndUnseal(urls);
      const first = await activeIndex(urls);
      const other = 1 - first;
      assert.equal((await api(urls[first]!, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
      assert.equal((await api(urls[first]!, 'PUT', 'kv/cached', { token: root, body: { v: 'old' } })).status, 204);
      // Read twice so the value sits in the first node's barrier cache.
      assert.equal((await api(urls[first]!, 'GET', 'kv/cached', { token: root })).body.data.v, 'old');
      assert.equal((await api(urls[first]!, 'GET', 'kv/cached', { token: root })).body.data.v, 'old');
      const child = await api(urls[first]!, 'POST', 'auth/token/create', { token: root, body: { policies: ['default'], ttl: '1h' } });
      const childToken: string = child.body.auth.client_token;

      assert.equal((await api(urls[first]!, 'PUT', 'sys/step-down', { token: root })).status, 204);
      await waitFor('the other node active', async () => ((await activeIndex(urls)) === other ? true : undefined));
      assert.equal((await api(urls[other]!, 'PUT', 'kv/cached', { token: root, body: { v: 'new' } })).status, 204);
      assert.equal((await api(urls[other]!, 'GET', 'auth/token/lookup-self', { token: childToken })).status, 200);

      // Back to the first node (the other one is cooling down after its step-down).
      assert.equal((await api(urls[other]!, 'PUT', 'sys/step-down', { token: root })).status, 204);
      await waitFor('the first node active again', async () => ((await activeIndex(urls)) === first ? true : undefined));
      assert.equal((await api(urls[first]!, 'GET', 'kv/cached', { token: root })).body.data.v, 'new');
      assert.equal((await api(urls[first]!, 'GET', 'auth/token/lookup-self', { token: childToken })).status, 200);
    });
  });
}
