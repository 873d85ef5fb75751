/** Decoded forms kept in the barrier's read cache live and die with the cached bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import { ReadCache } from '../../src/barrier/read-cache.js';
import { StorageView, frozenJSON, sharedJSONPut, uncachedDelete, uncachedPut } from '../../src/logical/storage.js';
import { MapPhysical } from './map-physical.js';

async function open() {
  const physical = new MapPhysical();
  const barrier = new AesGcmBarrier(physical);
  const rootKey = Buffer.alloc(32, 3);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { physical, barrier, rootKey };
}

/** A store that records the keys read from it. */
class CountingPhysical extends MapPhysical {
  gets: string[] = [];
  override async get(key: string): Promise<Buffer | undefined> {
    this.gets.push(key);
    return super.get(key);
  }
}

async function openCounting(seed: number) {
  const physical = new CountingPhysical();
  const barrier = new AesGcmBarrier(physical);
  const rootKey = Buffer.alloc(32, seed);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { physical, barrier };
}

test('a decoder runs once per cached entry; another decoder gets its own value', async () => {
  const { barrier } = await open();
  await barrier.put('k', Buffer.from('{"a":1}'));
  let calls = 0;
  const decode = (b: Buffer): unknown => {
    calls++;
    return JSON.parse(b.toString());
  };
  const first = await barrier.getDecoded('k', decode);
  const second = await barrier.getDecoded('k', decode);
  assert.deepEqual(first, { a: 1 });
  assert.equal(second, first);
  assert.equal(calls, 1);
  const text = await barrier.getDecoded('k', (b) => b.toString());
  assert.equal(text, '{"a":1}');
  assert.equal(await barrier.getDecoded('missing', decode), undefined);
});

test('writes, deletes, batches, invalidation and clear drop the decoded value with the bytes', async () => {
  const { physical, barrier } = await open();
  const view = new StorageView(barrier, 'v/');
  await view.putJSON('k', { n: 1 });
  assert.deepEqual(await view.getJSONShared('k'), { n: 1 });
  await view.putJSON('k', { n: 2 });
  assert.deepEqual(await view.getJSONShared('k'), { n: 2 });
  await view.batch([{ type: 'put', key: 'k', value: Buffer.from('{"n":3}') }]);
  assert.deepEqual(await view.getJSONShared('k'), { n: 3 });
  await view.delete('k');
  assert.equal(await view.getJSONShared('k'), undefined);

  // Written below the barrier (as replication applies entries): seen after invalidate.
  await view.putJSON('k', { n: 4 });
  assert.deepEqual(await view.getJSONShared('k'), { n: 4 });
  const other = new AesGcmBarrier(physical);
  await other.unseal(Buffer.alloc(32, 3));
  await other.put('v/k', Buffer.from('{"n":5}'));
  assert.deepEqual(await view.getJSONShared('k'), { n: 4 }, 'still the cached value');
  barrier.invalidate(['v/k']);
  assert.deepEqual(await view.getJSONShared('k'), { n: 5 });
  await other.put('v/k', Buffer.from('{"n":6}'));
  barrier.clearCache();
  assert.deepEqual(await view.getJSONShared('k'), { n: 6 });
});

test('shared values are deep-frozen, also without a caching barrier below the view', async () => {
  const { barrier } = await open();
  const plain = new Map<string, Buffer>();
  const uncached = {
    get: async (k: string) => plain.get(k),
    put: async (k: string, v: Buffer) => void plain.set(k, v),
    delete: async (k: string) => void plain.delete(k),
    list: async () => [],
    batch: async () => undefined,
  };
  for (const view of [new StorageView(barrier, 'x/'), new StorageView(uncached, 'x/')]) {
    await view.putJSON('k', { a: { b: [1, { c: 2 }] } });
    const v = (await view.getJSONShared<{ a: { b: [number, { c: number }] } }>('k'))!;
    assert.ok(Object.isFrozen(v) && Object.isFrozen(v.a) && Object.isFrozen(v.a.b) && Object.isFrozen(v.a.b[1]));
    assert.throws(() => {
      (v.a.b[1] as { c: number }).c = 3;
    }, TypeError);
    // getJSON still hands out a private, mutable copy.
    const mine = (await view.getJSON<{ a: { b: unknown[] } }>('k'))!;
    mine.a.b.push(3);
    assert.deepEqual((await view.getJSONShared<{ a: { b: unknown[] } }>('k'))!.a.b.length, 2);
  }
});

test('ReadCache.getDecoded: unknown keys are undefined, absent ones null, and a throwing decoder caches nothing', () => {
  const cache = new ReadCache();
  const decode = frozenJSON;
  assert.equal(cache.getDecoded('k', decode), undefined);
  cache.fill(cache.ticket('gone'), null);
  assert.equal(cache.getDecoded('gone', decode), null);
  cache.fill(cache.ticket('bad'), Buffer.from('{not json'));
  assert.throws(() => cache.getDecoded('bad', decode), SyntaxError);
  assert.throws(() => cache.getDecoded('bad', decode), SyntaxError);
  cache.fill(cache.ticket('k'), Buffer.from('[1]'));
  assert.deepEqual(cache.getDecoded('k', decode), [1]);
});

test('a sharedJSONPut hands its frozen value to the cache: the next shared read is that value, not a parse', async () => {
  const { barrier, physical, rootKey } = await open();
  const view = new StorageView(barrier, 'v/');
  const meta = { n: 1, versions: { '1': { t: 5 } } };
  await view.batch([sharedJSONPut('m', meta), { type: 'put', key: 'other', value: Buffer.from('{}') }]);
  assert.ok(Object.isFrozen(meta) && Object.isFrozen(meta.versions['1']), 'the written value is deep-frozen');
  assert.equal(await view.getJSONShared('m'), meta, 'served as written, without parsing');
  // The bytes are the same JSON: a fresh barrier (no cache) reads an equal value.
  const reader = new AesGcmBarrier(physical);
  await reader.unseal(rootKey);
  assert.deepEqual(await new StorageView(reader, 'v/').getJSON('m'), { n: 1, versions: { '1': { t: 5 } } });
  // A later plain write replaces both the bytes and the decoded value.
  await view.putJSON('m', { n: 2 });
  assert.deepEqual(await view.getJSONShared('m'), { n: 2 });
  barrier.seal();
  reader.seal();
});

test('a sharedPut leaves only its decoded value cached: its bytes are zeroed, a plain get reads storage once', async () => {
  const physical = new MapPhysical();
  const gets: string[] = [];
  const read = physical.get.bind(physical);
  physical.get = async (key: string) => {
    gets.push(key);
    return read(key);
  };
  const barrier = new AesGcmBarrier(physical);
  const rootKey = Buffer.alloc(32, 5);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  const view = new StorageView(barrier, 'v/');
  const meta = { n: 1 };
  const op = sharedJSONPut('m', meta);
  const bytes = (op as { value: Buffer }).value;
  await view.batch([op]);
  assert.ok(bytes.every((b) => b === 0), 'the handed-over bytes are zeroed once written');
  gets.length = 0;
  assert.equal(await view.getJSONShared('m'), meta, 'the decoded value is served without storage');
  assert.deepEqual(gets, []);
  // A plain read wants bytes the cache no longer has: one storage read, which caches them.
  assert.equal((await view.get('m'))?.toString(), '{"n":1}');
  assert.equal((await view.get('m'))?.toString(), '{"n":1}');
  assert.deepEqual(gets, ['v/m']);
  // The shared read now decodes those bytes once, to an equal value.
  const again = await view.getJSONShared('m');
  assert.deepEqual(again, { n: 1 });
  assert.equal(await view.getJSONShared('m'), again);
  assert.deepEqual(gets, ['v/m']);
  // Another decoder on a decoded-only entry misses too, and reads storage rather than guess.
  await view.batch([sharedJSONPut('m', { n: 2 })]);
  gets.length = 0;
  assert.deepEqual(await view.getShared('m', (b) => b.length), 7);
  assert.deepEqual(gets, ['v/m']);
  barrier.seal();
});

test('an uncachedPut is written and sealed like any put, but only its first read caches it', async () => {
  const { physical, barrier } = await openCounting(4);
  const plain = Buffer.from('{"data":{"v":1}}');
  const other = Buffer.from('{"c":1}');
  await barrier.batch([uncachedPut('u', plain), { type: 'put', key: 'c', value: other }]);
  assert.ok(plain.every((b) => b === 0), 'an uncachedPut hands its buffer over: zeroed once written');
  assert.equal(other.toString(), '{"c":1}', "a plain put leaves the caller's buffer as it was");
  assert.ok(!physical.data.get('u')!.includes(Buffer.from('{"data":{"v":1}}')), 'stored sealed, not in plaintext');
  physical.gets.length = 0;
  assert.equal((await barrier.get('c'))?.toString(), '{"c":1}');
  assert.deepEqual(physical.gets, [], 'a plain put is written through to the cache');
  assert.equal((await barrier.get('u'))?.toString(), '{"data":{"v":1}}');
  assert.equal((await barrier.get('u'))?.toString(), '{"data":{"v":1}}');
  assert.deepEqual(physical.gets, ['u'], 'the uncached put is read from storage once, then cached');
  // Overwriting a cached key with an uncachedPut drops the old cached value.
  await barrier.batch([uncachedPut('c', Buffer.from('{"c":2}'))]);
  assert.equal((await barrier.get('c'))?.toString(), '{"c":2}');
  barrier.seal();
});

test('an uncachedDelete drops the cached value but does not remember the key as absent', async () => {
  const { physical, barrier } = await openCounting(5);
  await barrier.batch([
    { type: 'put', key: 'pruned', value: Buffer.from('1') },
    { type: 'put', key: 'deleted', value: Buffer.from('2') },
  ]);
  assert.equal((await barrier.get('pruned'))?.toString(), '1');
  physical.gets.length = 0;
  await barrier.batch([uncachedDelete('pruned'), { type: 'delete', key: 'deleted' }]);
  assert.equal(physical.data.has('pruned'), false, 'deleted from storage like any delete');
  assert.equal(await barrier.get('deleted'), undefined);
  assert.deepEqual(physical.gets, [], 'a plain delete leaves the key cached as absent');
  assert.equal(await barrier.get('pruned'), undefined);
  assert.equal(await barrier.get('pruned'), undefined);
  assert.deepEqual(physical.gets, ['pruned'], 'the uncached delete left nothing cached; its first read caches the absence');
  barrier.seal();
});
