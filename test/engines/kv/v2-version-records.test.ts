/**
 * A secret's version records held as their stored text (version-records.ts): adding with
 * pruning reads only the leading version numbers, and every form agrees with the parsed one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VersionRecords, versionRecord, type CompactRecord } from '../../../src/engines/kv/v2/version-records.js';
import type { VersionRecord } from '../../../src/engines/kv/v2/layout.js';

function rec(n: number, deletion: number | null = null, destroyed = false): VersionRecord {
  return versionRecord(n, 1_767_225_600_000 + n, deletion, destroyed);
}

test('adding keeps versions above the cutoff and names the pruned ones, across digit boundaries', () => {
  let records = VersionRecords.EMPTY;
  const max = 10;
  const live: number[] = [];
  for (let n = 1; n <= 1_005; n++) {
    const { records: next, pruned } = records.add(rec(n, n % 7 === 0 ? 5 : null, n % 5 === 0), n - max);
    const expectedPruned = live.filter((v) => v <= n - max);
    assert.deepEqual(pruned, expectedPruned, `version ${n}`);
    live.splice(0, expectedPruned.length);
    live.push(n);
    records = next;
    assert.equal(records.count, live.length);
    assert.deepEqual(records.list().map((r) => r.version), live);
    assert.equal(records.newest?.version, n);
  }
  // The text is what JSON makes of the compact records.
  assert.deepEqual(JSON.parse(records.json), records.list().map((r): CompactRecord => [r.version, r.createdTime, r.deletionTime, r.destroyed ? 1 : 0]));
  assert.deepEqual(records.list().find((r) => r.version === 1_001), rec(1_001, 5, false));
  assert.deepEqual(records.find(1_000), rec(1_000, null, true));
});

test('a cutoff above every record prunes them all; a cutoff of 0 prunes none', () => {
  const three = VersionRecords.of([rec(1), rec(2), rec(3)]);
  const all = three.add(rec(4), 3);
  assert.deepEqual(all.pruned, [1, 2, 3]);
  assert.equal(all.records.json, JSON.stringify([[4, 1_767_225_600_004, null, 0]]));
  assert.equal(all.records.count, 1);
  const none = three.add(rec(4), 0);
  assert.deepEqual(none.pruned, []);
  assert.deepEqual(none.records.list().map((r) => r.version), [1, 2, 3, 4]);
  // The original is unchanged (records are shared through the read cache).
  assert.deepEqual(three.list().map((r) => r.version), [1, 2, 3]);
  assert.ok(Object.isFrozen(three) && Object.isFrozen(none.records));
});

test('find answers live versions only; the newest without parsing the text', () => {
  const records = VersionRecords.of([rec(7), rec(5, 99), rec(6, null, true)]);
  assert.deepEqual(records.list().map((r) => r.version), [5, 6, 7], 'sorted');
  assert.equal(records.find(7), records.newest);
  assert.deepEqual(records.find(5), rec(5, 99));
  assert.equal(records.find(6)?.destroyed, true);
  for (const missing of [0, 4, 8, -1]) assert.equal(records.find(missing), undefined);
  assert.equal(VersionRecords.EMPTY.find(1), undefined);
  assert.deepEqual(VersionRecords.EMPTY.list(), []);
});

test('replace swaps the records of the same versions and ignores unknown ones', () => {
  const records = VersionRecords.of([rec(1), rec(2), rec(3)]);
  const changed = records.replace(new Map([[2, rec(2, 42)], [9, rec(9)]]));
  assert.deepEqual(changed.list(), [rec(1), rec(2, 42), rec(3)]);
  assert.deepEqual(changed.newest, records.newest);
  assert.deepEqual(records.find(2), rec(2));
});

test('stored records out of order (not written by Arca) are sorted when read', () => {
  const stored: CompactRecord[] = [[3, 30, null, 0], [1, 10, null, 1], [2, 20, 25, 0]];
  const records = VersionRecords.fromStored(stored);
  assert.deepEqual(records.list(), [versionRecord(1, 10, null, true), versionRecord(2, 20, 25, false), versionRecord(3, 30, null, false)]);
  assert.equal(records.newest?.version, 3);
  assert.deepEqual(records.add(versionRecord(4, 40, null, false), 2).pruned, [1, 2]);
});

test('stored records of an unexpected shape fail loudly when a write prunes them, never loop', () => {
  // Not something Arca writes (the barrier authenticates what it stored); the scan still ends.
  const odd = VersionRecords.fromStored([[1, 10, null, 0, [5]] as unknown as CompactRecord, [2, 20, null, 0]]);
  assert.throws(() => odd.add(versionRecord(3, 30, null, false), 1), /malformed/);
  assert.equal(odd.add(versionRecord(3, 30, null, false), 0).records.count, 3);
});
