/**
 * Streaming under network faults (seeded): dropped, delayed, duplicated and reordered messages,
 * a partition that heals, three secondaries at once. Every scenario ends byte-identical, with
 * every acknowledged write present at every secondary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplicationSet, readSecret, waitFor, type Cluster } from './harness.js';

/** Issue writes in parallel bursts while `during` runs; returns every acknowledged path -> value. */
async function writeLoad(p: Cluster, prefix: string, total: number, parallel = 8): Promise<Map<string, string>> {
  const acked = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const path = `${prefix}${i % 40}`;
      const value = `${prefix}${i}`;
      await p.call('update', `secret/data/${path}`, { data: { value } });
      // Later writes to the same path win, as at the primary.
      acked.set(path, value);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return acked;
}

async function assertAcked(set: ReplicationSet, acked: Map<string, string>): Promise<void> {
  for (const s of set.secondaries) {
    for (const [path, value] of acked) assert.equal(await readSecret(s, 'secret/', path), value, `${s.id}: ${path}`);
  }
}

test('dropped, delayed, duplicated and reordered messages change nothing in the end', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    await set.addSecondary('drops', { dropRequest: 0.2, dropResponse: 0.2, timeoutMs: 5 });
    await set.addSecondary('slow', { delayMs: [0, 8], reorder: 0.3 });
    await set.addSecondary('dups', { duplicate: 0.5, delayMs: [0, 3], reorder: 0.2 });
    const acked = await writeLoad(p, 'load/', 300);
    await set.converge(30_000);
    await set.assertIdentical();
    await assertAcked(set, acked);
    const stats = set.secondaries.map((s) => s.link.stats);
    assert.ok((stats[0]?.droppedRequests ?? 0) + (stats[0]?.droppedResponses ?? 0) > 0, 'no message was dropped');
    assert.ok((stats[1]?.reordered ?? 0) > 0, 'no answer was reordered');
    assert.ok((stats[2]?.duplicated ?? 0) > 0, 'no request was duplicated');
  } finally {
    await set.close();
  }
});

test('a partition stops the stream, the secondary keeps serving, and healing catches it up', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    await p.call('update', 'secret/data/before', { data: { value: 'old' } });
    const s = await set.addSecondary('s1', { timeoutMs: 5 });
    await set.converge();
    s.link.faults.partitioned = true;
    const acked = await writeLoad(p, 'part/', 100);
    await waitFor(() => s.node.core.replication.secondaryClient?.state === 'connecting', 5000, () => 'secondary never noticed the partition');
    // Disconnected, it still serves (stale) reads.
    assert.equal(await readSecret(s, 'secret/', 'before'), 'old');
    assert.equal(await readSecret(s, 'secret/', 'part/0'), undefined);
    assert.ok(s.node.core.replication.lastIndex() < p.node.core.replication.lastIndex());
    await sleep(50);
    s.link.faults.partitioned = false;
    await set.converge();
    await set.assertIdentical();
    await assertAcked(set, acked);
  } finally {
    await set.close();
  }
});

test('three secondaries stream at once while the primary is under load', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    const first = writeLoad(p, 'pre/', 100);
    await Promise.all([set.addSecondary('a'), set.addSecondary('b'), set.addSecondary('c')]);
    const acked = new Map([...(await first), ...(await writeLoad(p, 'during/', 200, 16))]);
    await set.converge();
    await set.assertIdentical();
    await assertAcked(set, acked);
    const status = p.node.core.replication.status();
    assert.equal(status.mode, 'primary');
    if (status.mode === 'primary') assert.deepEqual([...status.known_secondaries].sort(), ['a', 'b', 'c']);
    // A secondary acknowledges its last batch by its next fetch, which a quiet primary answers within ACK_WAIT_MS.
    const acknowledged = (): boolean => {
      const st = p.node.core.replication.status();
      return st.mode === 'primary' && st.secondaries.every((x) => x.connection_status === 'connected' && x.lag_entries === 0);
    };
    await waitFor(acknowledged, 2000, () => `secondaries not acknowledged: ${JSON.stringify(p.node.core.replication.status())}`);
  } finally {
    await set.close();
  }
});
