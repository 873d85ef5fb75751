/** ReplicatedPhysical and its WAL: modes, same-batch entries, dense indexes, watermark, retention, reopen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { ReadOnlyError } from '../../src/errors.js';
import { MerkleTree } from '../../src/replication/merkle.js';
import type { WalEntry } from '../../src/replication/transport.js';
import { decodeEntry, walKey } from '../../src/replication/wal-log.js';
import { ReplicatedPhysical } from '../../src/replication/wal-physical.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { KeyClassifier } from '../../src/storage/keys.js';
import type { BatchOp, Physical } from '../../src/storage/physical.js';
import { silentLogger } from '../../src/util/logger.js';

const POL = (n: number | string): string => `sys/policy/acl/p${n}`;
const TOKEN = 'sys/token/id/abc';

function layer(inner: Physical, clock = new FakeClock(), retention = { entries: 1000, bytes: 1 << 30 }): ReplicatedPhysical {
  return new ReplicatedPhysical(inner, { classifier: new KeyClassifier(), clock, logger: silentLogger, retention });
}

async function primary(inner: Physical = new InmemPhysical(), clock = new FakeClock(), retention?: { entries: number; bytes: number }): Promise<ReplicatedPhysical> {
  const r = layer(inner, clock, retention);
  await r.wal.open();
  r.setMode('primary');
  return r;
}

async function entry(inner: Physical, index: number): Promise<WalEntry | undefined> {
  const raw = await inner.get(walKey(index));
  return raw === undefined ? undefined : decodeEntry(raw);
}

test('disabled mode passes everything through and logs nothing', async () => {
  const inner = new InmemPhysical();
  const r = layer(inner);
  await r.put(POL(1), Buffer.from('a'));
  await r.batch([{ type: 'put', key: POL(2), value: Buffer.from('b') }]);
  assert.deepEqual(await inner.list('wal/'), []);
  assert.equal((await r.get(POL(1)))?.toString(), 'a');
});

test('a primary writes one entry per replicated write, in the same batch, with only the replicated ops', async () => {
  const inner = new InmemPhysical();
  const r = await primary(inner);
  const tree = new MerkleTree();
  r.setMerkle(tree);
  const seen: number[] = [];
  r.wal.onCommitted((c) => seen.push(c));
  await r.put(POL(1), Buffer.from('one'));
  await r.put(TOKEN, Buffer.from('local only'));
  await r.batch([
    { type: 'put', key: POL(2), value: Buffer.from('two') },
    { type: 'put', key: 'sys/token/id/def', value: Buffer.from('tok') },
    { type: 'delete', key: POL(1) },
  ]);
  await r.delete(POL(9));
  assert.deepEqual(await inner.list('wal/'), [walKey(1).slice(4), walKey(2).slice(4), walKey(3).slice(4)]);
  const e2 = await entry(inner, 2);
  assert.deepEqual(e2?.ops, [
    { type: 'put', key: POL(2), value: Buffer.from('two').toString('base64') },
    { type: 'delete', key: POL(1) },
  ]);
  assert.equal(r.wal.committed, 3);
  assert.deepEqual(seen, [1, 2, 3]);
  // The tree follows replicated writes only.
  const expect = new MerkleTree();
  expect.set(POL(2), Buffer.from('two'));
  assert.equal(tree.root(), expect.root());
  const read = await r.wal.read(0, 10, 1 << 20);
  assert.ok(Array.isArray(read));
  assert.deepEqual(read.map((e) => e.index), [1, 2, 3]);
  assert.deepEqual((await r.wal.read(1, 1, 1 << 20)) as WalEntry[], [e2]);
});

test('a failed batch leaves its index filled with an empty entry; the log stays dense', async () => {
  const inner = new InmemPhysical();
  const clock = new FakeClock();
  const r = await primary(inner, clock);
  await r.put(POL(1), Buffer.from('a'));
  inner.faults.failWrites = true;
  await assert.rejects(r.put(POL(2), Buffer.from('b')));
  await new Promise((res) => setImmediate(res));
  assert.equal(r.wal.committed, 1, 'the watermark passed an index whose fate is unknown');
  inner.faults.failWrites = false;
  const next = r.put(POL(3), Buffer.from('c'));
  await next;
  assert.equal(r.wal.committed, 1, 'index 3 is visible before index 2 settled');
  clock.advance(1000);
  for (let i = 0; i < 10 && r.wal.committed < 3; i++) await new Promise((res) => setImmediate(res));
  assert.equal(r.wal.committed, 3);
  assert.deepEqual((await entry(inner, 2))?.ops, []);
  assert.equal(await inner.get(POL(2)), undefined);
});

/** A store whose batches can be made to commit but report failure (a lost acknowledgement). */
class LossyAck extends InmemPhysical {
  loseNextAck = false;
  override async batch(ops: readonly BatchOp[]): Promise<void> {
    await super.batch(ops);
    if (this.loseNextAck) {
      this.loseNextAck = false;
      throw new Error('connection lost after COMMIT');
    }
  }
}

test('a batch that committed but lost its acknowledgement counts as committed', async () => {
  const inner = new LossyAck();
  const r = await primary(inner);
  const tree = new MerkleTree();
  r.setMerkle(tree);
  inner.loseNextAck = true;
  await assert.rejects(r.put(POL(1), Buffer.from('landed')));
  for (let i = 0; i < 10 && r.wal.committed < 1; i++) await new Promise((res) => setImmediate(res));
  assert.equal(r.wal.committed, 1);
  assert.equal((await entry(inner, 1))?.ops.length, 1, 'the real entry was overwritten');
  assert.ok(tree.leaf(POL(1)) !== undefined, 'the tree missed the committed write');
});

/** A store whose batches complete only when the test says so, in any order. */
class Gated extends InmemPhysical {
  readonly gates: (() => void)[] = [];
  override async batch(ops: readonly BatchOp[]): Promise<void> {
    await new Promise<void>((res) => this.gates.push(res));
    await super.batch(ops);
  }
}

test('the watermark waits for every lower index when commits complete out of order', async () => {
  const inner = new Gated();
  const r = await primary(inner);
  const w1 = r.put(POL(1), Buffer.from('1'));
  const w2 = r.put(POL(2), Buffer.from('2'));
  await new Promise((res) => setImmediate(res));
  inner.gates[1]!();
  await w2;
  assert.equal(r.wal.committed, 0);
  assert.deepEqual(await r.wal.read(0, 10, 1 << 20), []);
  inner.gates[0]!();
  await w1;
  assert.equal(r.wal.committed, 2);
});

test('a secondary refuses replicated writes, allows local ones, and applies entries', async () => {
  const inner = new InmemPhysical();
  const r = layer(inner);
  r.setMode('secondary');
  const tree = new MerkleTree();
  r.setMerkle(tree);
  await assert.rejects(r.put(POL(1), Buffer.from('x')), ReadOnlyError);
  await assert.rejects(r.batch([{ type: 'put', key: TOKEN, value: Buffer.from('t') }, { type: 'delete', key: POL(2) }]), ReadOnlyError);
  assert.equal(await inner.get(TOKEN), undefined, 'a refused batch wrote its local part');
  await r.put(TOKEN, Buffer.from('t'));
  assert.equal((await inner.get(TOKEN))?.toString(), 't');
  await r.applyEntries([{ type: 'put', key: POL(1), value: Buffer.from('from primary') }], [{ type: 'put', key: 'core/replication/applied-index', value: Buffer.from('{}') }]);
  assert.equal((await inner.get(POL(1)))?.toString(), 'from primary');
  assert.ok(tree.leaf(POL(1)) !== undefined);
  assert.deepEqual(await inner.list('wal/'), [], 'a secondary logged an applied entry');
  r.setMode('primary');
  await assert.rejects(r.applyEntries([], []), /only for a secondary/);
});

test('retention trims the oldest entries by count and by bytes, keeping the newest', async () => {
  const inner = new InmemPhysical();
  const r = await primary(inner, new FakeClock(), { entries: 10, bytes: 1 << 30 });
  for (let i = 1; i <= 30; i++) await r.put(POL(i), Buffer.from(`v${i}`));
  await r.wal.trim();
  assert.equal(r.wal.oldest, 21);
  assert.equal((await inner.list('wal/')).length, 10);
  assert.equal(await r.wal.read(5, 10, 1 << 20), 'trimmed');
  assert.deepEqual(((await r.wal.read(20, 100, 1 << 20)) as WalEntry[]).map((e) => e.index), [...Array(10).keys()].map((i) => 21 + i));

  r.wal.setRetention({ entries: 1000, bytes: 1 });
  await r.wal.trim();
  assert.equal(r.wal.oldest, 30, 'the newest entry must survive any byte bound');
  assert.equal((await inner.list('wal/')).length, 1);
});

test('a reopened log continues its indexes and epoch, and repairs holes', async () => {
  const inner = new InmemPhysical();
  const r = await primary(inner, new FakeClock(), { entries: 5, bytes: 1 << 30 });
  for (let i = 1; i <= 12; i++) await r.put(POL(i), Buffer.from(`v${i}`));
  await r.wal.trim();
  const epoch = r.wal.epoch;
  const bytes = r.wal.retainedBytes;
  // A crash that lost an entry in the middle (a failed write whose filler never landed).
  await inner.delete(walKey(10));
  const again = await primary(inner);
  assert.equal(again.wal.epoch, epoch);
  assert.equal(again.wal.committed, 12);
  assert.equal(again.wal.oldest, 8);
  assert.deepEqual((await entry(inner, 10))?.ops, []);
  assert.ok(again.wal.retainedBytes > 0 && again.wal.retainedBytes <= bytes + 200);
  await again.put(POL(13), Buffer.from('v13'));
  assert.equal(again.wal.committed, 13);
  // reset() starts a new epoch at index 1 and drops the old entries.
  await again.wal.reset();
  assert.notEqual(again.wal.epoch, epoch);
  assert.deepEqual(await inner.list('wal/'), []);
  await again.put(POL(14), Buffer.from('v14'));
  assert.equal(again.wal.committed, 1);
});
