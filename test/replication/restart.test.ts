/**
 * Restarts and crashes mid-stream, over SQLite files: new node objects over the same storage
 * continue the WAL (primary) or the applied position (secondary). No acknowledged write is lost
 * and every secondary ends byte-identical to the primary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlitePhysical } from '../../src/storage/sqlite.js';
import type { Physical } from '../../src/storage/physical.js';
import { ReplicationSet, readSecret, waitFor, type Cluster } from './harness.js';

/** Write loops still running; cleanup stops them even when a test fails half-way. */
const loads = new Set<() => Promise<unknown>>();

function sqliteSet(): { set: ReplicationSet; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'arca-repl-'));
  const stores: Physical[] = [];
  let n = 0;
  const set = new ReplicationSet({
    store: () => {
      const s = SqlitePhysical.open(join(dir, `node-${n++}.db`));
      stores.push(s);
      return s;
    },
  });
  return {
    set,
    cleanup: async () => {
      for (const stop of [...loads]) await stop();
      await set.close();
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Keep writing until stopped; returns the acknowledged path -> value (failed writes are not acknowledged). */
function background(getPrimary: () => Cluster, prefix: string): { stop: () => Promise<Map<string, string>> } {
  const acked = new Map<string, string>();
  let running = true;
  let i = 0;
  const loop = (async () => {
    while (running) {
      const path = `${prefix}${i % 25}`;
      const value = `${prefix}${i++}`;
      try {
        await getPrimary().call('update', `secret/data/${path}`, { data: { value } });
        acked.set(path, value);
      } catch (err) {
        if (process.env['DEBUG_REPL']) console.log('write failed', (err as Error).message);
        // Not acknowledged (the primary is restarting): the value may or may not have landed.
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  })();
  const stop = async (): Promise<Map<string, string>> => {
    running = false;
    loads.delete(stop);
    await loop;
    return acked;
  };
  loads.add(stop);
  return { stop };
}

async function assertAcked(set: ReplicationSet, acked: Map<string, string>): Promise<void> {
  assert.ok(acked.size > 0);
  for (const c of [set.primary, ...set.secondaries]) {
    for (const [path, value] of acked) assert.equal(await readSecret(c, 'secret/', path), value, `${c === set.primary ? 'primary' : 'secondary'}: ${path}`);
  }
}

test('a secondary restarted mid-stream resumes from its applied index (SQLite)', { timeout: 60_000 }, async () => {
  const { set, cleanup } = sqliteSet();
  try {
    const p = await set.startPrimary();
    const s = await set.addSecondary('s1');
    await set.converge();
    const load = background(() => set.primary, 'a/');
    await waitFor(() => s.node.core.replication.lastIndex() > 20, 10_000, () => 'no progress');
    await s.node.close();
    const roots = s.link.stats.byMethod['merkle.root'] ?? 0;
    await new Promise((r) => setTimeout(r, 50));
    await set.restartSecondary(s);
    await waitFor(() => s.node.core.replication.lastIndex() > 0 && s.node.core.replication.secondaryClient?.state === 'stream-wals', 10_000, () => 'not streaming after restart');
    const acked = await load.stop();
    await set.converge();
    await set.assertIdentical();
    await assertAcked(set, acked);
    // It resumed by the log: the new link never needed a Merkle sync.
    assert.equal(s.link.stats.byMethod['merkle.root'] ?? 0, 0, `resync after restart (first link had ${roots})`);
    assert.ok(p.node.core.replication.lastIndex() > 20);
  } finally {
    await cleanup();
  }
});

test('a primary restarted mid-stream continues its WAL; secondaries follow without a resync (SQLite)', { timeout: 60_000 }, async () => {
  const { set, cleanup } = sqliteSet();
  try {
    await set.startPrimary();
    const a = await set.addSecondary('a');
    const b = await set.addSecondary('b');
    await set.converge();
    const load = background(() => set.primary, 'p/');
    await waitFor(() => set.primary.node.core.replication.lastIndex() > 30, 10_000, () => 'no progress');
    const epoch = set.primary.node.core.replication.physical.wal.epoch;
    const lastBefore = set.primary.node.core.replication.lastIndex();
    await set.primary.node.close();
    await set.restartPrimary();
    assert.equal(set.primary.node.core.replication.physical.wal.epoch, epoch, 'the WAL epoch changed across a restart');
    assert.ok(set.primary.node.core.replication.lastIndex() >= lastBefore);
    await waitFor(() => set.primary.node.core.replication.lastIndex() > lastBefore + 20, 10_000, () => 'no progress after restart');
    const acked = await load.stop();
    await set.converge();
    await set.assertIdentical();
    await assertAcked(set, acked);
    for (const s of [a, b]) assert.equal(s.link.stats.byMethod['merkle.root'] ?? 0, 0, `${s.id} needed a resync`);
  } finally {
    await cleanup();
  }
});

test('crash-like aborts of a secondary and then of the primary lose no acknowledged write', { timeout: 60_000 }, async () => {
  const { set, cleanup } = sqliteSet();
  try {
    await set.startPrimary();
    const s = await set.addSecondary('s1');
    const t = await set.addSecondary('s2');
    await set.converge();
    const load = background(() => set.primary, 'c/');
    await waitFor(() => s.node.core.replication.lastIndex() > 15, 10_000, () => 'no progress');

    // Secondary s1 dies: its storage stops answering at once, nothing is closed or flushed.
    s.handle.crash();
    await s.node.core.replication.stopSecondary();
    await new Promise((r) => setTimeout(r, 30));
    await set.restartSecondary(s);

    // Then the primary dies the same way while writes are in flight.
    await waitFor(() => set.primary.node.core.replication.lastIndex() > 60, 10_000, () => 'no progress');
    const deadNode = set.primary.node;
    set.primary.handle.crash();
    await set.restartPrimary();
    // The dead process's objects go away (its storage already refuses everything).
    await deadNode.close().catch(() => undefined);
    await waitFor(() => set.primary.node.core.replication.lastIndex() > 90, 10_000, () => 'no progress after primary crash');

    const acked = await load.stop();
    await set.converge();
    await set.assertIdentical([s, t]);
    await assertAcked(set, acked);
  } finally {
    await cleanup();
  }
});
