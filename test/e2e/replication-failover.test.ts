/**
 * Demote, promote and update-primary between real clusters: the old primary stops accepting
 * replicated writes, a secondary becomes the primary of the set with a new CA, and the other
 * secondary and the demoted primary follow it with new activation tokens, keeping their data.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/server-process.js';
import { activate, enablePrimary, eventually, readWhenReplicated, secondaryToken, startCluster, status, type Cluster } from './replication-harness.js';

const PERF = 'sys/replication/performance';
let a: Cluster;
let b: Cluster;
let c: Cluster;

before(async () => {
  [a, b, c] = await Promise.all([startCluster('a'), startCluster('b'), startCluster('c')]);
  const r = await api(a.url, 'POST', 'sys/mounts/secret', { token: a.root, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(r.status, 204);
  await enablePrimary(a);
  await activate(a, b, 'b');
  await activate(a, c, 'c');
  await api(a.url, 'POST', 'secret/data/one', { token: a.root, body: { data: { from: 'a' } } });
  await readWhenReplicated(b, 'one');
  await readWhenReplicated(c, 'one');
});

after(async () => {
  await Promise.all([a, b, c].map((x) => x?.stop()));
});

describe('failover: demote, promote, update-primary', () => {
  it('promote refuses while the primary still streams, unless forced', async () => {
    await eventually('b streaming', async () => ((await status(b)).state === 'stream-wals' ? true : undefined));
    const r = await api(b.url, 'POST', `${PERF}/secondary/promote`, { token: b.root, body: {} });
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0], /still reachable.*demote it first.*force=true/);
    assert.equal((await status(b)).mode, 'secondary');
  });

  it('the demoted primary refuses replicated writes; the promoted secondary takes them', async () => {
    let r = await api(a.url, 'POST', `${PERF}/primary/demote`, { token: a.root, body: {} });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await api(a.url, 'POST', 'secret/data/two', { token: a.root, body: { data: { from: 'a' } } });
    assert.ok(r.status >= 400, 'a demoted primary accepts no replicated write');
    const sa = await status(a);
    assert.equal(sa.mode, 'secondary');

    // Once b has lost its stream, promote needs no force.
    await eventually('b promoted', async () => {
      const p = await api(b.url, 'POST', `${PERF}/secondary/promote`, { token: b.root, body: {} });
      return p.status === 200 ? true : undefined;
    });
    const sb = await status(b);
    assert.equal(sb.mode, 'primary');
    assert.equal(sb.cluster_id, sa.cluster_id, 'the replication set keeps its id');
    r = await api(b.url, 'POST', 'secret/data/two', { token: b.root, body: { data: { from: 'b' } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  it('the other secondary and the old primary follow the new primary without a wipe', async () => {
    for (const follower of [c, a]) {
      const token = await secondaryToken(b, follower.name);
      const r = await api(follower.url, 'POST', `${PERF}/secondary/update-primary`, { token: follower.root, body: { token } });
      assert.equal(r.status, 204, JSON.stringify(r.body));
      assert.equal((await api(follower.url, 'GET', 'sys/seal-status')).body.sealed, false, 'update-primary keeps the node unsealed');
      assert.deepEqual(await readWhenReplicated(follower, 'two'), { from: 'b' });
      // Its own tokens survived: no wipe.
      assert.equal((await api(follower.url, 'GET', 'auth/token/lookup-self', { token: follower.root })).status, 200);
    }
    const p = await status(b);
    assert.deepEqual([...p.known_secondaries].sort(), ['a', 'c']);
    // A token of another replication set is refused by update-primary.
    const stranger = await startCluster('stranger');
    try {
      await enablePrimary(stranger);
      const foreign = await secondaryToken(stranger, 'c');
      const r = await api(c.url, 'POST', `${PERF}/secondary/update-primary`, { token: c.root, body: { token: foreign } });
      assert.equal(r.status, 400);
      assert.match(r.body.errors[0], /different replication set/);
    } finally {
      await stranger.stop();
    }
  });

  it('secondary/disable and primary/disable leave replication', async () => {
    let r = await api(c.url, 'POST', `${PERF}/secondary/disable`, { token: c.root, body: {} });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.deepEqual(await status(c), { mode: 'disabled' });
    r = await api(c.url, 'GET', 'secret/data/two', { token: c.root });
    assert.equal(r.status, 200, 'data stays');
    r = await api(b.url, 'POST', `${PERF}/primary/disable`, { token: b.root, body: {} });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.deepEqual(await status(b), { mode: 'disabled' });
    // The cluster port now refuses the remaining follower.
    await eventually('a disconnected', async () => ((await status(a)).state !== 'stream-wals' ? true : undefined));
  });
});
