/**
 * The barrier seals entries in its sealing thread (src/barrier/seal-thread.ts) while many writes
 * are in flight. The entries must be the same format (a fresh barrier opens them), writes must
 * reach storage in the order they were made, sealing must zero and end the thread, and a failed
 * thread must fall back to sealing inline without losing a write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../src/clock.js';
import { SealedError } from '../../src/errors.js';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import type { SealThread } from '../../src/barrier/seal-thread.js';
import type { BatchOp } from '../../src/storage/physical.js';
import { MapPhysical } from './map-physical.js';

/** A store whose writes take a while, so many are in flight at once (as behind a disk). */
class SlowPhysical extends MapPhysical {
  readonly order: string[] = [];
  override async batch(ops: readonly BatchOp[]): Promise<void> {
    for (const op of ops) this.order.push(`${op.type} ${op.key}`);
    await new Promise((r) => setTimeout(r, 2));
    return super.batch(ops);
  }
  override async put(key: string, value: Buffer): Promise<void> {
    this.order.push(`put ${key}`);
    await new Promise((r) => setTimeout(r, 2));
    return super.put(key, value);
  }
  override async delete(key: string): Promise<void> {
    this.order.push(`delete ${key}`);
    await new Promise((r) => setTimeout(r, 2));
    return super.delete(key);
  }
}

/** White box: the barrier's sealing thread, and whether it has one running. */
function threadOf(barrier: AesGcmBarrier): { running: boolean; sealer: SealThread } {
  const sealer = (barrier as unknown as { sealThread: SealThread }).sealThread;
  return { running: (sealer as unknown as { current: unknown }).current !== undefined, sealer };
}

async function fresh(): Promise<{ physical: SlowPhysical; barrier: AesGcmBarrier; rootKey: Buffer }> {
  const physical = new SlowPhysical();
  const barrier = new AesGcmBarrier(physical, new FakeClock());
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { physical, barrier, rootKey };
}

test('under many concurrent writes entries are sealed in the thread, in order, and a fresh barrier opens them', async () => {
  const { physical, barrier, rootKey } = await fresh();
  // A lone write seals inline: no thread.
  await barrier.put('lone', Buffer.from('one'));
  assert.equal(threadOf(barrier).running, false);

  const writes: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    writes.push(
      barrier.batch([
        { type: 'put', key: `many/${i}`, value: Buffer.from(`value ${i}`) },
        { type: 'put', key: 'same', value: Buffer.from(String(i)) },
      ]),
    );
    if (i % 50 === 49) writes.push(barrier.delete(`many/${i}`));
  }
  assert.equal(threadOf(barrier).running, true, 'the sealing thread was started');
  await Promise.all(writes);

  // Storage saw the writes in the order they were made: the last one to "same" wins.
  const sameWrites = physical.order.filter((o) => o === 'put same').length;
  assert.equal(sameWrites, 200);
  const deleteAt = physical.order.indexOf('delete many/49');
  assert.ok(deleteAt > physical.order.indexOf('put many/49'), 'the delete reached storage after the put before it');

  const reader = new AesGcmBarrier(physical, new FakeClock());
  await reader.unseal(rootKey);
  assert.deepEqual(await reader.get('same'), Buffer.from('199'));
  assert.deepEqual(await reader.get('many/7'), Buffer.from('value 7'));
  assert.equal(await reader.get('many/49'), undefined);
  assert.deepEqual(await reader.get('lone'), Buffer.from('one'));
  // Nothing reached storage in plaintext.
  assert.equal(physical.allBytes().includes(Buffer.from('value 1')), false);
  barrier.seal();
  reader.seal();
});

test('sealing ends the thread; writes then fail as sealed, and after unseal work again', async () => {
  const { barrier, rootKey, physical } = await fresh();
  await Promise.all(Array.from({ length: 40 }, (_, i) => barrier.put(`k/${i}`, Buffer.from(String(i)))));
  assert.equal(threadOf(barrier).running, true);
  barrier.seal();
  assert.equal(threadOf(barrier).running, false);
  await assert.rejects(barrier.put('k/after', Buffer.from('x')), SealedError);
  await barrier.unseal(rootKey);
  await Promise.all(Array.from({ length: 40 }, (_, i) => barrier.put(`k/${i}`, Buffer.from(`again ${i}`))));
  const reader = new AesGcmBarrier(physical, new FakeClock());
  await reader.unseal(rootKey);
  assert.deepEqual(await reader.get('k/39'), Buffer.from('again 39'));
  barrier.seal();
  reader.seal();
});

test('a failed sealing thread costs no write: they are sealed inline instead, from the bytes of the call', async () => {
  const { barrier, rootKey, physical } = await fresh();
  const values = Array.from({ length: 60 }, (_, i) => Buffer.from(`v${i}`));
  const writes = values.map((v, i) => barrier.put(`f/${i}`, v));
  // The caller reuses its buffers at once: what is stored is still what was passed at the call.
  for (const v of values) v.fill(0x58);
  const { sealer } = threadOf(barrier);
  const worker = (sealer as unknown as { current: { worker: { terminate(): Promise<number> } } }).current.worker;
  await worker.terminate();
  await Promise.all(writes);
  assert.equal(sealer.usable, false);
  await Promise.all(Array.from({ length: 20 }, (_, i) => barrier.put(`g/${i}`, Buffer.from(`w${i}`))));
  const reader = new AesGcmBarrier(physical, new FakeClock());
  await reader.unseal(rootKey);
  for (let i = 0; i < 60; i += 7) assert.deepEqual(await reader.get(`f/${i}`), Buffer.from(`v${i}`));
  assert.deepEqual(await reader.get('g/19'), Buffer.from('w19'));
  barrier.seal();
  reader.seal();
});

test('items larger than a turn buffer and multi-byte keys are sealed in the thread and open intact', async () => {
  const { physical, barrier, rootKey } = await fresh();
  const values = new Map<string, Buffer>();
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 40; i++) {
    // Sizes around and well past the 16 KiB turn buffer, and keys of 2-, 3- and 4-byte UTF-8.
    const key = `big/${i}/ключ/键/𝄞`;
    const value = randomBytes(i % 4 === 0 ? 70_000 : 900 + i * 211);
    values.set(key, value);
    writes.push(barrier.put(key, value));
  }
  assert.equal(threadOf(barrier).running, true, 'the sealing thread was started');
  await Promise.all(writes);
  const reader = new AesGcmBarrier(physical, new FakeClock());
  await reader.unseal(rootKey);
  for (const [key, value] of values) assert.deepEqual(await reader.get(key), value, key);
  barrier.seal();
});
