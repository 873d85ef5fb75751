/**
 * SqlitePhysical durability: commits run with synchronous=NORMAL and ordinary writes are
 * acknowledged after a WAL fdatasync off the event loop (wal-sync.ts); batchRelaxed is atomic
 * and readable like a batch but acknowledged at commit. (Process-crash safety of both is in
 * sqlite-crash.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlitePhysical } from '../../src/storage/sqlite.js';

const NORMAL = 1;

/** The connection's synchronous setting, read through the private handle (white box). */
function synchronous(p: SqlitePhysical): number {
  return (p as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db.pragma('synchronous', { simple: true }) as number;
}

test('an ordinary write is acknowledged only after a WAL sync that follows its commit; a relaxed batch at commit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arca-relaxed-'));
  const p = SqlitePhysical.open(join(dir, 'r.db'));
  try {
    // Commits never fsync on the event loop; the sync runs on libuv's pool (wal-sync.ts).
    assert.equal(synchronous(p), NORMAL);
    assert.equal(p.syncs, 0);
    await p.batchRelaxed([
      { type: 'put', key: 'a/1', value: Buffer.from('one') },
      { type: 'put', key: 'a/2', value: Buffer.from('two') },
    ]);
    assert.equal(p.syncs, 0, 'a relaxed batch does not wait for a sync');
    assert.deepEqual(await p.list('a/'), ['1', '2']);

    await p.put('b', Buffer.from('durable'));
    assert.equal(p.syncs, 1, 'an ordinary write waited for a sync');

    // Queued in the same turn: one transaction; the ordinary write waits for the next sync.
    const before = p.commits;
    const syncsBefore = p.syncs ?? 0;
    await Promise.all([p.batchRelaxed([{ type: 'delete', key: 'a/1' }]), p.put('c', Buffer.from('durable'))]);
    assert.equal(p.commits, before + 1, 'one group');
    assert.equal(p.syncs, syncsBefore + 1);
    assert.equal(await p.get('a/1'), undefined);

    // Many concurrent writes: each acknowledged after a sync, and syncs group them.
    const start = p.syncs ?? 0;
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        p.put(`many/${i}`, Buffer.from(String(i))).then(() => seen.push((p.syncs ?? 0) - start)),
      ),
    );
    assert.ok(seen.every((n) => n >= 1), 'a write was acknowledged before any sync after it');
    assert.ok((p.syncs ?? 0) - start < 100, `syncs did not group: ${(p.syncs ?? 0) - start} for 200 writes`);

    // Validated like a batch: nothing applies when one key is bad.
    await assert.rejects(p.batchRelaxed([{ type: 'put', key: 'e', value: Buffer.from('z') }, { type: 'put', key: '', value: Buffer.from('z') }]));
    assert.equal(await p.get('e'), undefined);
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
