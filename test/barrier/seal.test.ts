import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../src/clock.js';
import { SealedError } from '../../src/errors.js';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import { AlreadyInitializedError, NotInitializedError, SealConfigError, UnsealFailedError } from '../../src/barrier/errors.js';
import { ShamirSeal } from '../../src/barrier/seal.js';
import { SEAL_CONFIG, SEAL_ROOT_KEY } from '../../src/storage/keys.js';
import { MapPhysical } from './map-physical.js';

describe('ShamirSeal', () => {
  let physical: MapPhysical;
  let barrier: AesGcmBarrier;
  let seal: ShamirSeal;

  beforeEach(() => {
    physical = new MapPhysical();
    barrier = new AesGcmBarrier(physical, new FakeClock());
    seal = new ShamirSeal(physical, barrier);
  });

  /** A fresh node over the same storage, as after a restart. */
  function restart(): void {
    barrier = new AesGcmBarrier(physical, new FakeClock());
    seal = new ShamirSeal(physical, barrier);
  }

  it('reports an uninitialised store', async () => {
    assert.deepEqual(await seal.status(), { initialized: false, sealed: true, t: 0, n: 0, progress: 0, nonce: '' });
    await assert.rejects(seal.submitUnsealKey(randomBytes(33)), NotInitializedError);
  });

  it('initialises, leaves the barrier unsealed, and stores only plaintext config and encrypted root key', async () => {
    const { shares } = await seal.initialize({ secretShares: 5, secretThreshold: 3 });
    assert.equal(shares.length, 5);
    for (const s of shares) assert.equal(s.length, 33);
    assert.equal(barrier.sealed, false);
    assert.deepEqual(await seal.status(), { initialized: true, sealed: false, t: 3, n: 5, progress: 0, nonce: '' });
    const config = JSON.parse(physical.data.get(SEAL_CONFIG)!.toString('utf8'));
    assert.deepEqual(config, { type: 'shamir', secret_shares: 5, secret_threshold: 3 });
    assert.equal(physical.data.get(SEAL_ROOT_KEY)!.length, 1 + 12 + 32 + 16);
    // No share, and not the unseal key they make, is in storage.
    const raw = physical.allBytes();
    for (const s of shares) assert.equal(raw.indexOf(s.subarray(0, 32)), -1);
    await barrier.put('logical/x/k', Buffer.from('v'));
  });

  it('rejects a second init', async () => {
    await seal.initialize({ secretShares: 1, secretThreshold: 1 });
    await assert.rejects(seal.initialize({ secretShares: 1, secretThreshold: 1 }), (err: unknown) => {
      assert.ok(err instanceof AlreadyInitializedError);
      assert.equal(err.message, 'Vault is already initialized');
      assert.equal(err.status, 400);
      return true;
    });
    restart();
    await assert.rejects(seal.initialize({ secretShares: 3, secretThreshold: 2 }), AlreadyInitializedError);
  });

  it('validates the configuration with Vault wording', async () => {
    const cases: [number, number, string][] = [
      [0, 0, 'invalid seal configuration: shares must be at least one'],
      [3, 0, 'invalid seal configuration: threshold must be at least one'],
      [3, 1, 'invalid seal configuration: threshold must be greater than one for multiple shares'],
      [256, 2, 'invalid seal configuration: shares must be less than 256'],
      [3, 4, 'invalid seal configuration: threshold cannot be larger than shares'],
      [2.5, 2, 'invalid seal configuration: shares must be an integer'],
    ];
    for (const [n, t, message] of cases) {
      await assert.rejects(seal.initialize({ secretShares: n, secretThreshold: t }), (err: unknown) => {
        assert.ok(err instanceof SealConfigError);
        assert.equal(err.message, message);
        assert.equal(err.status, 400);
        return true;
      });
    }
    assert.equal(physical.data.size, 0, 'nothing written for a rejected config');
  });

  it('init is atomic: a failed write leaves storage uninitialised and retryable', async () => {
    physical.failNextBatch = true;
    await assert.rejects(seal.initialize({ secretShares: 3, secretThreshold: 2 }));
    assert.equal(physical.data.size, 0);
    assert.equal((await seal.status()).initialized, false);
    const { shares } = await seal.initialize({ secretShares: 3, secretThreshold: 2 });
    assert.equal(shares.length, 3);
  });

  it('seals and unseals with threshold shares in any order, tracking progress and nonce', async () => {
    const { shares } = await seal.initialize({ secretShares: 5, secretThreshold: 3 });
    await barrier.put('logical/x/k', Buffer.from('kept'));
    for (const order of [[0, 1, 2], [4, 2, 0], [3, 1, 4], [2, 4, 3]]) {
      await seal.seal();
      restart();
      assert.equal((await seal.status()).sealed, true);
      await assert.rejects(barrier.get('logical/x/k'), SealedError);
      const first = await seal.submitUnsealKey(shares[order[0]!]!);
      assert.equal(first.sealed, true);
      assert.equal(first.progress, 1);
      assert.match(first.nonce, /^[0-9a-f-]{36}$/);
      const second = await seal.submitUnsealKey(shares[order[1]!]!);
      assert.equal(second.progress, 2);
      assert.equal(second.nonce, first.nonce, 'same attempt, same nonce');
      const done = await seal.submitUnsealKey(shares[order[2]!]!);
      assert.deepEqual(done, { sealed: false, t: 3, n: 5, progress: 0, nonce: '' });
      assert.deepEqual(await barrier.get('logical/x/k'), Buffer.from('kept'));
    }
  });

  it('1-of-1: the single share is the unseal key', async () => {
    const { shares } = await seal.initialize({ secretShares: 1, secretThreshold: 1 });
    assert.equal(shares.length, 1);
    assert.equal(shares[0]!.length, 32);
    await seal.seal();
    const status = await seal.submitUnsealKey(shares[0]!);
    assert.equal(status.sealed, false);
  });

  it('a wrong share is reported when the threshold is reached and progress resets', async () => {
    const { shares } = await seal.initialize({ secretShares: 3, secretThreshold: 2 });
    await seal.seal();
    await seal.submitUnsealKey(shares[0]!);
    // Random share bytes, but never the first share's x coordinate (its last byte): that would
    // be a duplicate share, a different error (1 run in 255 before this was pinned).
    const wrong = randomBytes(33);
    const firstX = shares[0]![32]!;
    wrong[32] = firstX === 255 ? 1 : firstX + 1;
    await assert.rejects(seal.submitUnsealKey(wrong), (err: unknown) => {
      assert.ok(err instanceof UnsealFailedError);
      assert.equal(err.status, 400);
      assert.match(err.message, /cipher: message authentication failed/);
      return true;
    });
    assert.deepEqual(await seal.status(), { initialized: true, sealed: true, t: 2, n: 3, progress: 0, nonce: '' });
    // A correct set still works afterwards.
    await seal.submitUnsealKey(shares[1]!);
    assert.equal((await seal.submitUnsealKey(shares[2]!)).sealed, false);
  });

  it('shares from a different initialisation do not unseal', async () => {
    const other = new MapPhysical();
    const otherSeal = new ShamirSeal(other, new AesGcmBarrier(other));
    const foreign = (await otherSeal.initialize({ secretShares: 3, secretThreshold: 2 })).shares;
    await seal.initialize({ secretShares: 3, secretThreshold: 2 });
    await seal.seal();
    await seal.submitUnsealKey(foreign[0]!);
    await assert.rejects(seal.submitUnsealKey(foreign[1]!), UnsealFailedError);
    assert.equal(barrier.sealed, true);
  });

  it('counts a share given twice in one attempt once, as Vault does', async () => {
    const { shares } = await seal.initialize({ secretShares: 3, secretThreshold: 3 });
    await seal.seal();
    await seal.submitUnsealKey(shares[0]!);
    const again = await seal.submitUnsealKey(Buffer.from(shares[0]!));
    assert.equal(again.progress, 1);
    assert.equal(again.sealed, true);
    await seal.submitUnsealKey(shares[1]!);
    assert.equal((await seal.submitUnsealKey(shares[2]!)).sealed, false);
  });

  it('rejects shares of impossible length', async () => {
    await seal.initialize({ secretShares: 3, secretThreshold: 2 });
    await seal.seal();
    await assert.rejects(seal.submitUnsealKey(randomBytes(8)), /invalid key: key is shorter than minimum 16 bytes/);
    await assert.rejects(seal.submitUnsealKey(randomBytes(40)), /invalid key: key is longer than maximum 33 bytes/);
    assert.equal((await seal.status()).progress, 0);
  });

  it('resetUnseal forgets the attempt; a new attempt gets a new nonce', async () => {
    const { shares } = await seal.initialize({ secretShares: 3, secretThreshold: 2 });
    await seal.seal();
    const first = await seal.submitUnsealKey(shares[0]!);
    await seal.resetUnseal();
    assert.deepEqual(await seal.status(), { initialized: true, sealed: true, t: 2, n: 3, progress: 0, nonce: '' });
    const again = await seal.submitUnsealKey(shares[1]!);
    assert.equal(again.progress, 1);
    assert.notEqual(again.nonce, first.nonce);
    assert.equal((await seal.submitUnsealKey(shares[0]!)).sealed, false);
  });

  it('seal() also discards a partial unseal attempt', async () => {
    const { shares } = await seal.initialize({ secretShares: 3, secretThreshold: 2 });
    await seal.seal();
    await seal.submitUnsealKey(shares[0]!);
    await seal.seal();
    assert.equal((await seal.status()).progress, 0);
  });

  it('submitting while already unsealed is a no-op reporting unsealed', async () => {
    const { shares } = await seal.initialize({ secretShares: 3, secretThreshold: 2 });
    assert.deepEqual(await seal.submitUnsealKey(shares[0]!), { sealed: false, t: 2, n: 3, progress: 0, nonce: '' });
  });

  it('unsealWithShares submits until unsealed, and concurrent submissions are serialised', async () => {
    const { shares } = await seal.initialize({ secretShares: 5, secretThreshold: 3 });
    await seal.seal();
    assert.equal((await seal.unsealWithShares(shares.slice(0, 2))).sealed, true);
    await seal.resetUnseal();
    assert.equal((await seal.unsealWithShares(shares)).sealed, false);
    await seal.seal();
    const results = await Promise.all(shares.slice(0, 3).map((s) => seal.submitUnsealKey(s)));
    assert.deepEqual(results.map((r) => r.progress), [1, 2, 0]);
    assert.equal(barrier.sealed, false);
  });
});
