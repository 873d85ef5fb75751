/**
 * Transit auto-rotation on a performance replication pair (test/replication/harness.ts, real
 * nodes): the primary rotates a key whose auto_rotate_period elapsed and the secondary gets the
 * new version by replication, while the secondary's own check writes nothing (its replicated
 * storage is read-only: every attempt would be a ReadOnlyError). After a promotion the roles
 * swap: the promoted node rotates, the demoted one stays quiet.
 *
 * The periods are hours, so both nodes share a clock that runs in real time (replication's
 * short timers) and can jump ahead, firing every timer the jump makes due.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../../src/clock.js';
import { AUTO_ROTATE_CHECK_MS } from '../../../src/engines/transit/backend.js';
import { ReadOnlyError } from '../../../src/errors.js';
import type { BatchOp } from '../../../src/storage/physical.js';
import { ReplicationSet, waitFor, type Cluster } from '../../replication/harness.js';
import { b64 } from './helpers.js';

/** Real time plus an offset; jump() moves the offset and fires the timers that became due. */
class JumpingClock implements Clock {
  private offset = 0;
  private readonly timers = new Set<{ readonly at: number; fire(): void }>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const entry = {
      at: this.now() + Math.max(0, ms),
      fire: (): void => {
        if (!this.timers.delete(entry)) return;
        clearTimeout(handle);
        fn();
      },
    };
    const handle = setTimeout(() => entry.fire(), ms);
    handle.unref?.();
    this.timers.add(entry);
    return () => {
      this.timers.delete(entry);
      clearTimeout(handle);
    };
  }

  jump(ms: number): void {
    this.offset += ms;
    const now = this.now();
    for (const e of [...this.timers].filter((t) => t.at <= now).sort((a, b) => a.at - b.at)) e.fire();
  }
}

/** Count the writes a node's replication layer refused as read-only (what a secondary's background writes would hit). */
function countRefusals(c: Cluster): { readonly keys: string[] } {
  const physical = c.node.core.replication.physical;
  const refused: string[] = [];
  const watch = <A extends unknown[]>(fn: (...args: A) => Promise<void>, keysOf: (...args: A) => string[]) =>
    (...args: A): Promise<void> =>
      fn.apply(physical, args).catch((err: unknown) => {
        if (err instanceof ReadOnlyError) refused.push(...keysOf(...args));
        throw err;
      });
  physical.put = watch(physical.put, (key: string) => [key]);
  physical.delete = watch(physical.delete, (key: string) => [key]);
  physical.batch = watch(physical.batch, (ops: readonly BatchOp[]) => ops.map((op) => op.key));
  return { keys: refused };
}

const version = async (c: Cluster): Promise<unknown> => (await c.call('read', 'transit/keys/auto'))?.data?.['latest_version'];

/** Let every timer-started pass finish (they only touch in-memory storage). */
const settle = (): Promise<void> => sleep(100);

test('auto-rotation runs at the primary only; the secondary follows by replication and takes over after promotion', async () => {
  const clock = new JumpingClock();
  const set = new ReplicationSet({ clock });
  try {
    const p = await set.startPrimary();
    const faults = { partitioned: false };
    const s = await set.addSecondary('s1', faults);
    await p.call('update', 'sys/mounts/transit', { type: 'transit' });
    await p.call('update', 'transit/keys/auto', { auto_rotate_period: '1h' });
    await set.converge();
    // Read at the secondary: its cache holds version 1, so a check there would find it due at once.
    assert.equal(await version(s), 1);
    const atSecondary = countRefusals(s);
    const atPrimary = countRefusals(p);

    // Cut the link, so the secondary's own check runs before the primary's rotation can reach it.
    s.link.faults.partitioned = faults.partitioned = true;
    clock.jump(3_600_000 + AUTO_ROTATE_CHECK_MS);
    await waitFor(async () => (await version(p)) === 2, 5_000, () => 'the primary did not rotate the key');
    await settle();
    assert.deepEqual(atSecondary.keys, [], 'the secondary attempted no write');
    assert.equal(await version(s), 1, 'the secondary has not rotated on its own');

    // Healed: the new version arrives by replication, and the secondary's cache lets go of version 1.
    s.link.faults.partitioned = faults.partitioned = false;
    await set.converge();
    assert.equal(await version(s), 2);
    const ciphertext = String((await p.call('update', 'transit/encrypt/auto', { plaintext: b64('after rotation') }))?.data?.['ciphertext']);
    assert.ok(ciphertext.startsWith('vault:v2:'));
    assert.equal((await s.call('update', 'transit/decrypt/auto', { ciphertext }))?.data?.['plaintext'], b64('after rotation'));

    // More checks at both nodes, an hour apart: the primary rotates once more, the secondary stays quiet.
    clock.jump(3_600_000 + AUTO_ROTATE_CHECK_MS);
    await waitFor(async () => (await version(p)) === 3, 5_000, () => 'the primary did not rotate the key again');
    for (let i = 0; i < 3; i++) {
      clock.jump(AUTO_ROTATE_CHECK_MS);
      await settle();
    }
    await set.converge();
    assert.equal(await version(s), 3);
    assert.deepEqual(atSecondary.keys, [], 'the secondary attempted no write');
    assert.deepEqual(atPrimary.keys, []);

    // Promotion: the old primary is demoted (its storage now refuses replicated writes), the
    // secondary becomes the primary. An hour later the promoted node rotates by itself.
    await p.node.core.replication.demote();
    await s.node.core.replication.promote();
    clock.jump(3_600_000 + AUTO_ROTATE_CHECK_MS);
    await waitFor(async () => (await version(s)) === 4, 5_000, () => 'the promoted secondary did not rotate the key');
    await settle();
    assert.deepEqual(atSecondary.keys, [], 'the promoted node wrote without refusals');
    assert.deepEqual(atPrimary.keys, [], 'the demoted primary attempted no write');
    assert.equal(await version(p), 3, 'the demoted primary did not rotate');
  } finally {
    await set.close();
  }
});
