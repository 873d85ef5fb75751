/**
 * SqlitePhysical.batchRelaxed: atomic and readable like a batch; a group of only relaxed units
 * commits with synchronous=NORMAL, any group holding an ordinary write commits FULL, and the
 * connection is back to FULL for the next ordinary write. (Process-crash safety of relaxed
 * batches is in sqlite-crash.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlitePhysical } from '../../src/storage/sqlite.js';

const FULL = 2;
const NORMAL = 1;

/** The connection's synchronous setting, read through the private handle (white box). */
function synchronous(p: SqlitePhysical): number {
  return (p as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db.pragma('synchronous', { simple: true }) as number;
}

test('relaxed batches commit without FULL only when no ordinary write shares the transaction', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arca-relaxed-'));
  const p = SqlitePhysical.open(join(dir, 'r.db'));
  try {
    assert.equal(synchronous(p), FULL);
    await p.batchRelaxed([
      { type: 'put', key: 'a/1', value: Buffer.from('one') },
      { type: 'put', key: 'a/2', value: Buffer.from('two') },
    ]);
    assert.equal(synchronous(p), NORMAL, 'a group of relaxed units only');
    assert.deepEqual(await p.list('a/'), ['1', '2']);

    // Queued in the same turn: one transaction, and the ordinary write makes it FULL.
    const before = p.commits;
    await Promise.all([p.batchRelaxed([{ type: 'delete', key: 'a/1' }]), p.put('b', Buffer.from('durable'))]);
    assert.equal(p.commits, before + 1, 'one group');
    assert.equal(synchronous(p), FULL);
    assert.equal(await p.get('a/1'), undefined);

    await p.batchRelaxed([{ type: 'put', key: 'c', value: Buffer.from('x') }]);
    assert.equal(synchronous(p), NORMAL);
    await p.put('d', Buffer.from('y'));
    assert.equal(synchronous(p), FULL, 'an ordinary write after relaxed ones is FULL again');

    // Validated like a batch: nothing applies when one key is bad.
    await assert.rejects(p.batchRelaxed([{ type: 'put', key: 'e', value: Buffer.from('z') }, { type: 'put', key: '', value: Buffer.from('z') }]));
    assert.equal(await p.get('e'), undefined);
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
