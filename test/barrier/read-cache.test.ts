/** The barrier's read cache: hits skip storage, writes stay visible, races never cache stale data, seal forgets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import { ReadCache } from '../../src/barrier/read-cache.js';
import { MapPhysical } from './map-physical.js';

class CountingPhysical extends MapPhysical {
  gets = 0;
  /** When set, the next get waits for this promise after reading (a slow read). */
  hold: Promise<void> | undefined;
  /** When set, the next put or batch waits for this promise before writing (a slow write). */
  holdWrite: Promise<void> | undefined;
  override async put(key: string, value: Buffer): Promise<void> {
    await this.waitWrite();
    return super.put(key, value);
  }
  override async batch(ops: Parameters<MapPhysical['batch']>[0]): Promise<void> {
    await this.waitWrite();
    return super.batch(ops);
  }
  private async waitWrite(): Promise<void> {
    const h = this.holdWrite;
    this.holdWrite = undefined;
    if (h) await h;
  }
  override async get(key: string): Promise<Buffer | undefined> {
    this.gets++;
    const v = await super.get(key);
    const h = this.hold;
    this.hold = undefined;
    if (h) await h;
    return v;
  }
}

async function open(limits?: ConstructorParameters<typeof AesGcmBarrier>[2]) {
  const physical = new CountingPhysical();
  const barrier = new AesGcmBarrier(physical, undefined, limits);
  const rootKey = Buffer.alloc(32, 7);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { physical, barrier, rootKey };
}

test('a repeated read is served from the cache, and a write replaces it', async () => {
  const { physical, barrier } = await open();
  await barrier.put('k', Buffer.from('one'));
  barrier.invalidate(['k']);
  const before = physical.gets;
  assert.equal((await barrier.get('k'))!.toString(), 'one');
  assert.equal((await barrier.get('k'))!.toString(), 'one');
  assert.equal(physical.gets - before, 1);
  await barrier.put('k', Buffer.from('two'));
  assert.equal((await barrier.get('k'))!.toString(), 'two');
  await barrier.batch([{ type: 'delete', key: 'k' }]);
  assert.equal(await barrier.get('k'), undefined);
});

test('a callers mutation of a returned buffer does not reach the cache', async () => {
  const { barrier } = await open();
  await barrier.put('k', Buffer.from('abc'));
  const a = (await barrier.get('k'))!;
  a.fill(0x78);
  assert.equal((await barrier.get('k'))!.toString(), 'abc');
});

test('a slow read overtaken by a write does not cache the old value', async () => {
  const { physical, barrier } = await open();
  await barrier.put('k', Buffer.from('old'));
  let release!: () => void;
  physical.hold = new Promise<void>((r) => (release = r));
  const slowRead = barrier.get('k'); // reads "old", then waits
  await new Promise((r) => setImmediate(r));
  await barrier.put('k', Buffer.from('new'));
  release();
  assert.equal((await slowRead)!.toString(), 'old');
  assert.equal((await barrier.get('k'))!.toString(), 'new');
});

test('seal empties the cache; invalidate forgets keys written below the barrier', async () => {
  const { physical, barrier, rootKey } = await open();
  await barrier.put('k', Buffer.from('v'));
  await barrier.get('k');
  barrier.seal();
  await barrier.unseal(rootKey);
  const before = physical.gets;
  await barrier.get('k');
  assert.equal(physical.gets - before, 1);

  // Simulate a replicated write applied directly to physical storage.
  const other = new AesGcmBarrier(physical);
  await other.unseal(rootKey);
  await other.put('k', Buffer.from('replicated'));
  assert.equal((await barrier.get('k'))!.toString(), 'v');
  barrier.invalidate(['k']);
  assert.equal((await barrier.get('k'))!.toString(), 'replicated');
});

/** A read of `key` from storage that fills the cache, twice: a full cache admits a key on its second read (doorkeeper.ts). */
function readTwice(cache: ReadCache, key: string, value: Buffer): void {
  cache.fill(cache.ticket(key), Buffer.from(value));
  cache.fill(cache.ticket(key), value);
}

test('the cache stays within its entry and byte bounds', () => {
  const cache = new ReadCache({ maxEntries: 3, maxBytes: 10, maxValueBytes: 6 });
  for (const k of ['a', 'b', 'c', 'd']) readTwice(cache, k, Buffer.from('xx'));
  assert.equal(cache.size, 3);
  assert.equal(cache.get('a'), undefined);
  readTwice(cache, 'big', Buffer.from('1234567'));
  assert.equal(cache.get('big'), undefined);
  readTwice(cache, 'e', Buffer.from('123456'));
  readTwice(cache, 'f', Buffer.from('123456'));
  assert.ok(cache.size <= 3);
  assert.equal(cache.get('e'), undefined, 'bytes bound evicts the least recently used');
  assert.equal(cache.get('f')!.toString(), '123456');
});

test('an entry read since it was cached outlives older unread ones (second chance)', () => {
  const cache = new ReadCache({ maxEntries: 3, maxBytes: 1000, maxValueBytes: 100 });
  for (const k of ['a', 'b', 'c']) cache.fill(cache.ticket(k), Buffer.from(k));
  assert.equal(cache.get('a')!.toString(), 'a');
  readTwice(cache, 'd', Buffer.from('d'));
  assert.equal(cache.size, 3);
  assert.equal(cache.get('b'), undefined, 'the oldest unread entry goes first');
  assert.equal(cache.get('a')!.toString(), 'a');
  assert.equal(cache.get('d')!.toString(), 'd', 'a value just cached is never the one evicted');
  // Every entry read: eviction still ends, and the bounds still hold.
  cache.get('c');
  readTwice(cache, 'e', Buffer.from('e'));
  assert.equal(cache.size, 3);
  assert.equal(cache.get('e')!.toString(), 'e');
});

test('a full cache admits a key read from storage on its second read; writes are always cached', async () => {
  const cache = new ReadCache({ maxEntries: 4, maxBytes: 1000, maxValueBytes: 100 });
  for (const k of ['a', 'b', 'c', 'd']) cache.fill(cache.ticket(k), Buffer.from(k));
  assert.equal(cache.size, 4, 'not full: every read is cached at once');
  cache.fill(cache.ticket('once'), Buffer.from('once'));
  assert.equal(cache.get('once'), undefined, 'full: a key read once is turned away');
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => cache.get(k)?.toString()), ['a', 'b', 'c', 'd'], 'and displaced nothing');
  cache.fill(cache.ticket('twice'), Buffer.from('twice'));
  cache.fill(cache.ticket('twice'), Buffer.from('twice'));
  assert.equal(cache.get('twice')!.toString(), 'twice', 'read again soon: admitted');
  cache.fill(cache.ticket('absent'), null);
  cache.fill(cache.ticket('absent'), null);
  assert.equal(cache.get('absent'), null, 'a known absence is admitted the same way');
  await cache.write(['written'], async () => undefined, [Buffer.from('w')]);
  assert.equal(cache.get('written')!.toString(), 'w', 'write-through needs no second look');
  assert.ok(cache.size <= 4);
  cache.clear();
  cache.fill(cache.ticket('after-clear'), Buffer.from('x'));
  assert.equal(cache.get('after-clear')!.toString(), 'x', 'an emptied cache admits at once again');
});

test('a pass over many keys read once leaves the hot keys cached (barrier)', async () => {
  const { physical, barrier } = await open({ maxEntries: 100, maxBytes: 100_000, maxValueBytes: 100 });
  const cold = Array.from({ length: 2_000 }, (_, i) => `cold/${i}`);
  for (const k of cold) await barrier.put(k, Buffer.from(k));
  barrier.invalidate(cold);
  const hot = Array.from({ length: 90 }, (_, i) => `hot/${i}`);
  for (const k of hot) await barrier.put(k, Buffer.from(k));
  const readHot = async (): Promise<number> => {
    const before = physical.gets;
    for (const k of hot) assert.equal((await barrier.get(k))!.toString(), k);
    return physical.gets - before;
  };
  await readHot();
  // The hot keys are read again after every 500 keys of the pass, each read once.
  const misses: number[] = [];
  for (let i = 0; i < cold.length; i++) {
    assert.equal((await barrier.get(cold[i]!))!.toString(), cold[i]);
    if (i % 500 === 499) misses.push(await readHot());
  }
  // A rare key can pass by a hash collision and evict one; a cache replaced on every miss loses them all.
  assert.ok(misses.every((m) => m <= 5), `hot keys read from storage after each 500 cold reads: ${misses.join(', ')}`);
  // A cold key read again soon after is admitted on that read.
  await barrier.get('cold/1999');
  const again = physical.gets;
  await barrier.get('cold/1999');
  assert.equal(physical.gets, again, 'admitted on its second read');
});

test('a write to another key does not keep a read out of the cache; one to its key does', async () => {
  const { physical, barrier } = await open();
  await barrier.put('token', Buffer.from('t'));
  await barrier.put('k', Buffer.from('old'));
  let release!: () => void;
  physical.hold = new Promise<void>((r) => (release = r));
  const slowRead = barrier.get('token');
  await new Promise((r) => setImmediate(r));
  await barrier.put('other', Buffer.from('x'));
  release();
  assert.equal((await slowRead)!.toString(), 't');
  const before = physical.gets;
  assert.equal((await barrier.get('token'))!.toString(), 't');
  assert.equal(physical.gets, before, 'cached although another key was written meanwhile');

  // invalidate() during a read keeps that read out of the cache, like a write.
  physical.hold = new Promise<void>((r) => (release = r));
  const slowK = barrier.get('k');
  await new Promise((r) => setImmediate(r));
  barrier.invalidate(['k']);
  release();
  await slowK;
  const gets = physical.gets;
  await barrier.get('k');
  assert.equal(physical.gets, gets + 1, 'an invalidated read was not cached');
});

test('every read settles its ticket: found, missing, or failed', async () => {
  const cache = new ReadCache();
  cache.fill(cache.ticket('k'), undefined);
  cache.fill(cache.ticket('k'), Buffer.from('v'));
  assert.equal(cache.get('k')!.toString(), 'v');
  assert.equal(cache.readsInFlight, 0);

  const { physical, barrier } = await open();
  await barrier.put('bad', Buffer.from('v'));
  const raw = (await physical.get('bad'))!;
  raw[raw.length - 1]! ^= 1;
  await physical.put('bad', raw);
  barrier.invalidate(['bad']);
  await assert.rejects(barrier.get('bad'));
  assert.equal(await barrier.get('missing'), undefined);
  assert.equal((barrier as unknown as { cache: ReadCache }).cache.readsInFlight, 0);
});

test('a missing key is remembered as missing until something writes it', async () => {
  const { physical, barrier } = await open();
  assert.equal(await barrier.get('config'), undefined);
  const before = physical.gets;
  assert.equal(await barrier.get('config'), undefined);
  assert.equal(physical.gets, before, 'absence served from the cache');
  await barrier.put('config', Buffer.from('c'));
  assert.equal((await barrier.get('config'))!.toString(), 'c');
  await barrier.delete('config');
  assert.equal(await barrier.get('config'), undefined);
  await barrier.batch([{ type: 'put', key: 'config', value: Buffer.from('d') }]);
  assert.equal((await barrier.get('config'))!.toString(), 'd');
});

/** Lets a held write go once the test says so. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

test('write-through: a finished write is read back without storage, as of the call', async () => {
  const { physical, barrier } = await open();
  const value = Buffer.from('one');
  await barrier.put('k', value);
  value.fill(0x78); // the caller reusing its buffer changes nothing
  await barrier.batch([
    { type: 'put', key: 'meta', value: Buffer.from('m') },
    { type: 'delete', key: 'gone' },
  ]);
  const before = physical.gets;
  assert.equal((await barrier.get('k'))!.toString(), 'one');
  assert.equal((await barrier.get('meta'))!.toString(), 'm');
  assert.equal(await barrier.get('gone'), undefined);
  assert.equal(physical.gets, before, 'all three answered from the cache');
  // What the cache holds is what storage holds.
  const other = new AesGcmBarrier(physical);
  await other.unseal(Buffer.alloc(32, 7));
  assert.equal((await other.get('k'))!.toString(), 'one');
});

test('write-through caches nothing for a failed write, a duplicate key, or a key touched meanwhile', async () => {
  const { physical, barrier } = await open();
  await barrier.put('k', Buffer.from('old'));

  physical.failNextBatch = true;
  await assert.rejects(barrier.batch([{ type: 'put', key: 'k', value: Buffer.from('failed') }]));
  let gets = physical.gets;
  assert.equal((await barrier.get('k'))!.toString(), 'old');
  assert.equal(physical.gets, gets + 1, 'a failed write leaves the key to storage');

  await barrier.batch([
    { type: 'put', key: 'dup', value: Buffer.from('first') },
    { type: 'put', key: 'dup', value: Buffer.from('last') },
  ]);
  gets = physical.gets;
  assert.equal((await barrier.get('dup'))!.toString(), 'last');
  assert.equal(physical.gets, gets + 1, 'a key named twice in a batch is not cached');

  // Two overlapping writes of one key: neither caches, storage decides.
  const slow = gate();
  physical.holdWrite = slow.promise;
  const first = barrier.put('k', Buffer.from('a'));
  await barrier.put('k', Buffer.from('b'));
  slow.release();
  await first;
  gets = physical.gets;
  assert.equal((await barrier.get('k'))!.toString(), 'a');
  assert.equal(physical.gets, gets + 1, 'overlapping writes of a key cache nothing');

  // An invalidation while the write was in flight: the key may hold anything, so read storage.
  const held = gate();
  physical.holdWrite = held.promise;
  const write = barrier.put('k', Buffer.from('c'));
  barrier.invalidate(['k']);
  held.release();
  await write;
  gets = physical.gets;
  await barrier.get('k');
  assert.equal(physical.gets, gets + 1, 'an invalidated write is not cached');
});

test('write-through: a seal during the write leaves nothing cached after unseal', async () => {
  const { physical, barrier, rootKey } = await open();
  const held = gate();
  physical.holdWrite = held.promise;
  const write = barrier.put('k', Buffer.from('v'));
  barrier.seal();
  held.release();
  await write;
  const cache = (barrier as unknown as { cache: ReadCache }).cache;
  assert.equal(cache.size, 0);
  assert.equal(cache.readsInFlight, 0);
  await barrier.unseal(rootKey);
  const gets = physical.gets;
  assert.equal((await barrier.get('k'))!.toString(), 'v');
  assert.equal(physical.gets, gets + 1);
});

test('write-through stays off while the cache is disabled (performance standby)', async () => {
  let enabled = false;
  const { physical, barrier } = await open({ maxEntries: 100, maxBytes: 10_000, maxValueBytes: 100, enabled: () => enabled });
  await barrier.put('k', Buffer.from('v'));
  const gets = physical.gets;
  await barrier.get('k');
  assert.equal(physical.gets, gets + 1);
  enabled = true;
  await barrier.put('k', Buffer.from('w'));
  assert.equal((await barrier.get('k'))!.toString(), 'w');
  assert.equal(physical.gets, gets + 1);
});
