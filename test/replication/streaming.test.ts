/**
 * Steady streaming between in-process clusters: KV data, mounts and policies written at the
 * primary arrive at a secondary, byte-identical below the barrier and readable above it; the
 * secondary refuses replicated writes and keeps its local ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadOnlyError } from '../../src/errors.js';
import { ReplicationSet, readSecret, waitFor, writeSecrets } from './harness.js';

test('a secondary catches up by Merkle, then streams; data is identical and readable', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    // Data that predates the secondary arrives by the Merkle sync, later data by the stream.
    const before = await writeSecrets(p, 'secret/', 'before/', 20);
    const s = await set.addSecondary('s1');
    await set.converge();
    const after = await writeSecrets(p, 'secret/', 'after/', 30);
    await set.converge();
    await set.assertIdentical();

    for (const [path, value] of [...before, ...after]) assert.equal(await readSecret(s, 'secret/', path), value, path);

    // An overwrite and a delete stream too, and the secondary's cache does not serve the old value.
    const [firstPath] = [...after.keys()];
    await p.call('update', `secret/data/${firstPath}`, { data: { value: 'changed' } });
    await set.converge();
    assert.equal(await readSecret(s, 'secret/', firstPath!), 'changed');
    await p.call('delete', `secret/metadata/${firstPath}`);
    await set.converge();
    assert.equal(await readSecret(s, 'secret/', firstPath!), undefined);
    await set.assertIdentical();

    const status = s.node.core.replication.status();
    assert.equal(status.mode, 'secondary');
    if (status.mode === 'secondary') {
      assert.equal(status.state, 'stream-wals');
      assert.equal(status.connection_state, 'ready');
      assert.equal(status.last_remote_wal, p.node.core.replication.lastIndex());
      assert.equal(status.lag_entries, 0);
      assert.equal(status.merkle_root, p.node.core.replication.merkleRoot());
      assert.equal(status.cluster_id, p.node.core.replication.clusterId);
      assert.equal(status.secondary_id, 's1');
      assert.equal(status.primaries[0]?.connection_status, 'connected');
    }
    const pstatus = p.node.core.replication.status();
    assert.equal(pstatus.mode, 'primary');
    if (pstatus.mode === 'primary') {
      assert.equal(pstatus.state, 'running');
      assert.deepEqual(pstatus.known_secondaries, ['s1']);
      assert.equal(pstatus.secondaries[0]?.node_id, 's1');
      assert.equal(pstatus.secondaries[0]?.connection_status, 'connected');
      assert.equal(pstatus.last_wal, p.node.core.replication.lastIndex());
      assert.equal(typeof pstatus.secondaries[0]?.clock_skew_ms, 'string');
    }
  } finally {
    await set.close();
  }
});

test('mount-table changes at the primary make mounts routable (and unroutable) at the secondary', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    const s = await set.addSecondary('s1');
    await set.converge();
    await p.call('update', 'sys/mounts/team', { type: 'kv', options: { version: '2' } });
    await p.call('update', 'team/data/app', { data: { value: 'v1' } });
    await set.converge();
    assert.ok(s.node.core.router.match('team/data/app') !== undefined, 'the new mount is not routed on the secondary');
    assert.equal(await readSecret(s, 'team/', 'app'), 'v1');

    // Tuning arrives in place; a moved mount moves; a disabled one goes.
    await p.call('update', 'sys/mounts/team/tune', { description: 'tuned' });
    await set.converge();
    assert.equal(p.node.core.mounts.find('team/')?.description, 'tuned', 'primary');
    assert.equal(s.node.core.mounts.find('team/')?.description, 'tuned');
    await p.call('update', 'sys/remount', { from: 'team', to: 'crew' });
    await set.converge();
    await waitFor(() => s.node.core.router.match('crew/data/app') !== undefined, 5000, () => 'moved mount not routed');
    assert.equal(s.node.core.router.match('team/data/app'), undefined);
    assert.equal(await readSecret(s, 'crew/', 'app'), 'v1');
    await p.call('delete', 'sys/mounts/crew');
    await set.converge();
    assert.equal(s.node.core.router.match('crew/data/app'), undefined);
    await set.assertIdentical();

    // Policies replicate and the secondary's policy cache follows.
    await p.call('update', 'sys/policies/acl/reader', { policy: 'path "secret/*" { capabilities = ["read"] }' });
    await set.converge();
    const pol = await s.call('read', 'sys/policies/acl/reader');
    assert.match(String((pol?.data as { policy?: string })?.policy), /capabilities/);
    await p.call('update', 'sys/policies/acl/reader', { policy: 'path "secret/*" { capabilities = ["list"] }' });
    await set.converge();
    const pol2 = await s.call('read', 'sys/policies/acl/reader');
    assert.match(String((pol2?.data as { policy?: string })?.policy), /list/);
  } finally {
    await set.close();
  }
});

test('a secondary refuses replicated writes below the pipeline (which forwards them) and keeps local writes', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    await writeSecrets(p, 'secret/', 'x/', 3);
    const s = await set.addSecondary('s1');
    await set.converge();
    const before = p.node.core.replication.lastIndex();

    // Straight at the barrier (below the pipeline's forwarding): a replicated key is refused, a
    // local one (cluster info) is not.
    await assert.rejects(s.node.core.barrier.put('sys/policy/acl/evil', Buffer.from('{}')), ReadOnlyError);
    await s.node.core.barrier.put('core/cluster/extra', Buffer.from('local'));
    assert.equal((await s.node.core.barrier.get('core/cluster/extra'))?.toString(), 'local');
    // Tokens are local: the secondary issues its own.
    const tok = await s.call('update', 'auth/token/create', { policies: ['default'] });
    assert.ok(tok?.auth?.clientToken);
    // Local mounts are writable on the secondary.
    await s.call('update', 'sys/mounts/mine', { type: 'kv', local: true });
    await s.call('update', 'mine/k', { v: '1' });
    assert.equal(((await s.call('read', 'mine/k'))?.data as { v?: string })?.v, '1');
    // Nothing the secondary did locally reached the primary's log, and the keyspaces still agree.
    assert.equal(p.node.core.replication.lastIndex(), before);
    await set.assertIdentical();
    // Through the pipeline a replicated write is not refused but forwarded (forwarding.ts): it
    // lands in the primary's log and the secondary reads its own write at once.
    await s.call('update', 'secret/data/x/0', { data: { value: 'via primary' } });
    assert.ok(p.node.core.replication.lastIndex() > before);
    assert.equal(await readSecret(p, 'secret/', 'x/0'), 'via primary');
    assert.equal(await readSecret(s, 'secret/', 'x/0'), 'via primary');
  } finally {
    await set.close();
  }
});

test('a keyring rotation and identity changes at the primary reach the secondary caches', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    await p.call('update', 'secret/data/old', { data: { value: 'term1' } });
    const s = await set.addSecondary('s1');
    await set.converge();
    assert.equal(s.node.core.barrier.keyStatus().term, 1);
    await p.call('update', 'sys/rotate', {});
    await p.call('update', 'secret/data/new', { data: { value: 'term2' } });
    await set.converge();
    // The secondary reloaded the keyring before applying data written under the new term.
    assert.equal(s.node.core.barrier.keyStatus().term, 2);
    assert.equal(await readSecret(s, 'secret/', 'new'), 'term2');
    assert.equal(await readSecret(s, 'secret/', 'old'), 'term1');

    const made = await p.call('update', 'identity/entity', { name: 'alice', policies: ['reader'] });
    const id = (made?.data as { id?: string })?.id;
    assert.ok(id);
    await set.converge();
    const seen = await s.call('read', `identity/entity/name/alice`);
    assert.equal((seen?.data as { id?: string })?.id, id);
    assert.ok(s.node.core.identity.resolve(id!) !== undefined, 'the identity index did not follow');
    await set.assertIdentical();
  } finally {
    await set.close();
  }
});

test('lag is reported in entries and in primary milliseconds while a secondary catches up', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    const s = await set.addSecondary('s1', { timeoutMs: 5 }, { waitMs: 100, backoffMs: [5, 20], batch: 1 });
    await set.converge();
    s.link.faults.partitioned = true;
    for (let i = 0; i < 8; i++) {
      await p.call('update', `secret/data/lag${i}`, { data: { value: String(i) } });
      await sleep(15);
    }
    s.link.faults.partitioned = false;
    s.link.faults.delayMs = [3, 3];
    let maxEntries = 0;
    let maxMs = 0;
    await waitFor(
      () => {
        const st = s.node.core.replication.status();
        if (st.mode === 'secondary') {
          maxEntries = Math.max(maxEntries, st.lag_entries);
          maxMs = Math.max(maxMs, st.lag_ms);
        }
        return s.node.core.replication.lastIndex() >= p.node.core.replication.lastIndex();
      },
      10_000,
      () => 'no catch-up',
    );
    assert.ok(maxEntries > 1, `lag in entries never showed (${maxEntries})`);
    assert.ok(maxMs >= 15, `lag in ms never showed (${maxMs})`);
    await set.converge();
    const st = s.node.core.replication.status();
    assert.ok(st.mode === 'secondary' && st.lag_entries === 0 && st.lag_ms === 0);
  } finally {
    await set.close();
  }
});
