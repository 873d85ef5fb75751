/**
 * Catch-up without the log: when the WAL a secondary needs has been trimmed (by entries or by
 * bytes), the primary answers needMerkle, the secondary diffs and syncs exactly the differing
 * keys, and then streams again from the primary's resumeIndex.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicationSet, readSecret, waitFor, writeSecrets } from './harness.js';

for (const [name, retention] of [
  ['entries', { entries: 10, bytes: 1 << 30 }],
  ['bytes', { entries: 1_000_000, bytes: 4096 }],
] as const) {
  test(`WAL retention exhausted (${name}) forces a Merkle catch-up, then streaming resumes`, async () => {
    const set = new ReplicationSet({ retention });
    try {
      const p = await set.startPrimary();
      const keep = await writeSecrets(p, 'secret/', 'keep/', 10);
      const s = await set.addSecondary('s1', { timeoutMs: 5 });
      await set.converge();
      const rootsBefore = s.link.stats.byMethod['merkle.root'] ?? 0;
      assert.equal(rootsBefore, 1, 'the first sync of a new secondary is by Merkle');

      s.link.faults.partitioned = true;
      const during = await writeSecrets(p, 'secret/', 'during/', 40);
      // Overwrite and delete some of what the secondary already has.
      await p.call('update', 'secret/data/keep/0', { data: { value: 'rewritten' } });
      await p.call('delete', 'secret/metadata/keep/1');
      const wal = p.node.core.replication.physical.wal;
      await wal.trim();
      assert.ok(wal.oldest - 1 > s.node.core.replication.lastIndex(), 'the trimmer kept what the secondary needs');

      s.link.faults.partitioned = false;
      await set.converge();
      assert.equal(s.link.stats.byMethod['merkle.root'], rootsBefore + 1, 'no Merkle catch-up happened');
      await set.assertIdentical();
      for (const [path, value] of during) assert.equal(await readSecret(s, 'secret/', path), value);
      assert.equal(await readSecret(s, 'secret/', 'keep/0'), 'rewritten');
      assert.equal(await readSecret(s, 'secret/', 'keep/1'), undefined);
      assert.equal(await readSecret(s, 'secret/', 'keep/2'), keep.get('keep/2'));

      // Streaming resumes from resumeIndex: new writes arrive by wal.fetch, not by another sync.
      const fetches = s.link.stats.byMethod['wal.fetch'] ?? 0;
      await writeSecrets(p, 'secret/', 'later/', 5);
      await set.converge();
      assert.equal(s.link.stats.byMethod['merkle.root'], rootsBefore + 1);
      assert.ok((s.link.stats.byMethod['wal.fetch'] ?? 0) > fetches);
      await set.assertIdentical();
    } finally {
      await set.close();
    }
  });
}

test('a sync interrupted by a partition is redone from where it stood, not from scratch', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    await writeSecrets(p, 'secret/', 'base/', 150);
    const tuning = { waitMs: 100, backoffMs: [5, 20] as const, merkle: { chunkKeys: 20, parallel: 1, retries: 0 } };
    const clean = await set.addSecondary('clean', {}, tuning);
    await set.converge();
    const cleanChunks = clean.link.stats.byMethod['kv.fetch'] ?? 0;
    assert.ok(cleanChunks >= 10, `only ${cleanChunks} chunks`);

    const cut = await set.addSecondary('cut', { delayMs: [1, 1], timeoutMs: 2 }, tuning);
    await waitFor(() => (cut.link.stats.byMethod['kv.fetch'] ?? 0) >= 5, 20_000, () => 'the sync never fetched');
    cut.link.faults.partitioned = true;
    await new Promise((r) => setTimeout(r, 30));
    cut.link.faults.partitioned = false;
    await set.converge();
    await set.assertIdentical();
    assert.ok((cut.link.stats.byMethod['merkle.root'] ?? 0) >= 2, 'the interrupted sync was not redone');
    const cutChunks = cut.link.stats.byMethod['kv.fetch'] ?? 0;
    // The second diff runs against what the first one already applied: only the rest is fetched.
    assert.ok(cutChunks <= cleanChunks + 2, `interrupted sync fetched ${cutChunks} chunks, a clean one ${cleanChunks}`);
  } finally {
    await set.close();
  }
});
