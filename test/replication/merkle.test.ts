/** The Merkle tree: order-independent, incremental equals rebuilt, leaves and filters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_ROOT, MerkleTree, PAGES, bucketOf, leafHash } from '../../src/replication/merkle.js';
import { seededRandom } from '../../src/replication/sim-transport.js';

function entries(n: number, seed: number): [string, Buffer][] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => [`logical/m/${i}-${Math.floor(rnd() * 1e9)}`, Buffer.from(`value-${i}-${rnd()}`)]);
}

test('the root depends on the content only, not on the order of updates', () => {
  const data = entries(2000, 1);
  const a = new MerkleTree();
  for (const [k, v] of data) a.set(k, v);
  const b = new MerkleTree();
  for (const [k, v] of [...data].reverse()) b.set(k, v);
  assert.equal(a.root(), b.root());
  assert.equal(a.size, 2000);
  assert.notEqual(a.root(), EMPTY_ROOT);
  assert.equal(new MerkleTree().root(), EMPTY_ROOT);
});

test('incremental updates (lazy rehash) match a tree built from scratch', () => {
  const data = entries(500, 2);
  const live = new MerkleTree();
  for (const [k, v] of data) live.set(k, v);
  const before = live.root();
  // Change, delete and re-add, reading the root in between so some hashes are cached.
  live.set(data[0]![0], Buffer.from('changed'));
  assert.notEqual(live.root(), before);
  live.delete(data[1]![0]);
  live.delete('never/existed');
  live.set(data[0]![0], data[0]![1]);
  const rebuilt = new MerkleTree();
  for (const [k, v] of data.slice(2)) rebuilt.set(k, v);
  rebuilt.set(data[0]![0], data[0]![1]);
  assert.equal(live.root(), rebuilt.root());
  live.set(data[1]![0], data[1]![1]);
  assert.equal(live.root(), before);
  // Setting the same value again changes nothing.
  const v = live.version;
  live.set(data[2]![0], data[2]![1]);
  assert.equal(live.version, v);
});

test('pages, subpages and leaves locate a differing key', () => {
  const data = entries(3000, 3);
  const a = new MerkleTree();
  const b = new MerkleTree();
  for (const [k, v] of data) {
    a.set(k, v);
    b.set(k, v);
  }
  const [key] = data[1234]!;
  b.set(key, Buffer.from('other'));
  const [page, sub] = bucketOf(key);
  const pa = a.pageHashes();
  const pb = b.pageHashes();
  assert.equal(pa.length, PAGES);
  assert.deepEqual([...pa.keys()].filter((i) => pa[i] !== pb[i]), [page]);
  const sa = a.subpageHashes(page);
  const sb = b.subpageHashes(page);
  assert.deepEqual([...sa.keys()].filter((i) => sa[i] !== sb[i]), [sub]);
  const la = new Map(a.leaves(page, sub));
  const lb = new Map(b.leaves(page, sub));
  assert.deepEqual([...la.keys()].filter((k) => la.get(k) !== lb.get(k)), [key]);
  assert.equal(lb.get(key), leafHash(key, Buffer.from('other')).toString('hex'));
  // The whole-page form holds the subpage's leaves, sorted.
  const whole = a.leaves(page);
  assert.ok(whole.length >= la.size);
  assert.deepEqual(whole.map(([k]) => k), [...whole.map(([k]) => k)].sort());
  assert.throws(() => a.subpageHashes(256), RangeError);
  assert.throws(() => a.leaves(0, -1), RangeError);
});

test('a filtered copy holds exactly the accepted keys', () => {
  const data = entries(400, 4);
  const t = new MerkleTree();
  for (const [k, v] of data) t.set(k, v);
  const keep = (k: string): boolean => k.endsWith('1') || k.endsWith('3');
  const f = t.filtered(keep);
  const direct = new MerkleTree();
  for (const [k, v] of data) if (keep(k)) direct.set(k, v);
  assert.equal(f.root(), direct.root());
  assert.equal(f.size, direct.size);
  t.clear();
  assert.equal(t.root(), EMPTY_ROOT);
  assert.equal(t.size, 0);
});
