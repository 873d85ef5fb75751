/**
 * One primary, three secondaries (four real processes): every secondary receives the primary's
 * writes, the primary reports each one, and a paths filter keeps a mount's data from the
 * secondary it denies (and sends it once the filter is removed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/server-process.js';
import { activate, enablePrimary, eventually, readWhenReplicated, secondaryToken, startCluster, status, type Cluster } from './replication-harness.js';

const PERF = 'sys/replication/performance';
let primary: Cluster;
let secondaries: Cluster[] = [];

before(async () => {
  const all = await Promise.all(['primary', 'east', 'west', 'south'].map((n) => startCluster(n)));
  primary = all[0]!;
  secondaries = all.slice(1);
  const r = await api(primary.url, 'POST', 'sys/mounts/secret', { token: primary.root, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(r.status, 204);
  await enablePrimary(primary);
});

after(async () => {
  await Promise.all([primary, ...secondaries].map((c) => c?.stop()));
});

describe('three secondaries', () => {
  it('all receive the primary\'s writes; a denied mount stays on the primary', async () => {
    // "south" gets a deny filter on secret/ before it is even activated (its id is registered by the token).
    await secondaryToken(primary, 'south');
    let r = await api(primary.url, 'POST', `${PERF}/primary/paths-filter/south`, { token: primary.root, body: { mode: 'deny', paths: ['secret/'] } });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    await Promise.all(secondaries.map((s) => activate(primary, s, s.name)));

    for (let i = 0; i < 5; i++) {
      r = await api(primary.url, 'POST', `secret/data/item-${i}`, { token: primary.root, body: { data: { i } } });
      assert.equal(r.status, 200);
    }
    const [east, west, south] = secondaries as [Cluster, Cluster, Cluster];
    for (const s of [east, west]) {
      for (let i = 0; i < 5; i++) assert.deepEqual(await readWhenReplicated(s, `item-${i}`), { i });
    }

    // south knows the mount (the mount table replicates) but none of its data.
    await eventually('south streaming', async () => ((await status(south)).state === 'stream-wals' ? true : undefined));
    r = await api(south.url, 'GET', 'sys/mounts', { token: south.root });
    assert.ok(r.body.data['secret/'], 'the mount exists on the filtered secondary');
    r = await api(south.url, 'GET', 'secret/data/item-0', { token: south.root });
    assert.equal(r.status, 404);

    const p = await status(primary);
    assert.deepEqual([...p.known_secondaries].sort(), ['east', 'south', 'west']);
    for (const id of ['east', 'west', 'south']) {
      const sec = p.secondaries.find((x: { node_id: string }) => x.node_id === id);
      assert.equal(sec?.connection_status, 'connected', id);
    }
    const [se, sw] = [await status(east), await status(west)];
    assert.equal(se.merkle_root, p.merkle_root);
    assert.equal(sw.merkle_root, p.merkle_root);

    // Removing the filter brings the data over (the next fetch starts a Merkle catch-up).
    r = await api(primary.url, 'DELETE', `${PERF}/primary/paths-filter/south`, { token: primary.root });
    assert.equal(r.status, 204);
    for (let i = 0; i < 5; i++) assert.deepEqual(await readWhenReplicated(south, `item-${i}`, 30_000), { i });
  });
});
