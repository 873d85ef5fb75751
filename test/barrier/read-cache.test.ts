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

test('the cache stays within its entry and byte bounds', () => {
  const cache = new ReadCache({ maxEntries: 3, maxBytes: 10, maxValueBytes: 6 });
  for (const k of ['a', 'b', 'c', 'd']) cache.fill(k, Buffer.from('xx'), cache.ticket());
  assert.equal(cache.size, 3);
  assert.equal(cache.get('a'), undefined);
  cache.fill('big', Buffer.from('1234567'), cache.ticket());
  assert.equal(cache.get('big'), undefined);
  cache.fill('e', Buffer.from('123456'), cache.ticket());
  cache.fill('f', Buffer.from('123456'), cache.ticket());
  assert.ok(cache.size <= 3);
  assert.equal(cache.get('e'), undefined, 'bytes bound evicts the least recently used');
  assert.equal(cache.get('f')!.toString(), '123456');
});
