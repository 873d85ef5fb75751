import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SealedError } from '../../src/errors.js';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import { RekeyError, SealConfigError, UnsealFailedError } from '../../src/barrier/errors.js';
import { Rekey, type RekeyResult, type RekeyStatus } from '../../src/barrier/rekey.js';
import { ShamirSeal } from '../../src/barrier/seal.js';
import { SEAL_ROOT_KEY } from '../../src/storage/keys.js';
import { MapPhysical } from './map-physical.js';

function isResult(r: RekeyStatus | RekeyResult): r is RekeyResult {
  return 'complete' in r && r.complete;
}

describe('Rekey', () => {
  let physical: MapPhysical;
  let barrier: AesGcmBarrier;
  let seal: ShamirSeal;
  let shares: Buffer[];
  let rekey: Rekey;

  beforeEach(async () => {
    physical = new MapPhysical();
    barrier = new AesGcmBarrier(physical);
    seal = new ShamirSeal(physical, barrier);
    shares = (await seal.initialize({ secretShares: 5, secretThreshold: 3 })).shares;
    await barrier.put('app/secret', Buffer.from('written before the rekey'));
    rekey = new Rekey(seal);
  });

  /** Seal, then unseal with `keys`; true when the barrier opened. */
  async function unsealsWith(keys: readonly Buffer[]): Promise<boolean> {
    await seal.seal();
    try {
      return !(await seal.unsealWithShares(keys)).sealed;
    } catch (err) {
      if (err instanceof UnsealFailedError) return false;
      throw err;
    }
  }

  async function runToThreshold(nonce: string, keys = shares.slice(0, 3)): Promise<RekeyResult> {
    let last: RekeyStatus | RekeyResult | undefined;
    for (const k of keys) last = await rekey.update(k, nonce);
    assert.ok(last !== undefined && isResult(last), 'the threshold completes the operation');
    return last;
  }

  it('reports an idle status with the current threshold as required', async () => {
    assert.deepEqual(await rekey.status(), {
      nonce: '', started: false, t: 0, n: 0, progress: 0, required: 3, pgp_fingerprints: null, backup: false, verification_required: false,
    });
  });

  it('replaces the shares: the new ones unseal, the old ones no longer do, and data stays readable', async () => {
    const started = await rekey.start({ secretShares: 3, secretThreshold: 2, requireVerification: false });
    assert.equal(started.started, true);
    assert.match(started.nonce, /^[0-9a-f-]{36}$/);
    assert.deepEqual([started.n, started.t, started.required, started.progress], [3, 2, 3, 0]);

    const one = await rekey.update(shares[4]!, started.nonce);
    assert.ok(!isResult(one));
    assert.equal(one.progress, 1);
    await rekey.update(shares[0]!, started.nonce);
    assert.deepEqual(await seal.config(), { secretShares: 5, secretThreshold: 3 }, 'nothing changes below the threshold');
    const done = await rekey.update(shares[2]!, started.nonce);
    assert.ok(isResult(done));
    assert.equal(done.nonce, started.nonce);
    assert.equal(done.verification_required, false);
    assert.equal(done.verification_nonce, undefined);
    assert.equal(done.keys.length, 3);
    assert.deepEqual(done.keys_base64.map((k) => Buffer.from(k, 'base64').toString('hex')), done.keys, 'hex and base64 are the same shares');
    assert.deepEqual(await seal.config(), { secretShares: 3, secretThreshold: 2 });
    assert.equal((await rekey.status()).started, false, 'the operation ends with the rekey');
    assert.equal((await rekey.status()).required, 2);

    const fresh = done.keys.map((k) => Buffer.from(k, 'hex'));
    assert.equal(await unsealsWith(shares.slice(0, 3)), false, 'old shares are void');
    assert.equal(await unsealsWith([fresh[2]!, fresh[0]!]), true, 'any two new shares unseal');
    assert.equal((await barrier.get('app/secret'))?.toString(), 'written before the rekey');
  });

  it('validates the new configuration and allows one operation at a time', async () => {
    await assert.rejects(rekey.start({ secretShares: 2, secretThreshold: 3, requireVerification: false }), (err: unknown) => {
      assert.ok(err instanceof SealConfigError);
      assert.match(err.message, /threshold cannot be larger than shares/);
      return true;
    });
    await assert.rejects(rekey.start({ secretShares: 3, secretThreshold: 1, requireVerification: false }), /threshold must be greater than one for multiple shares/);
    assert.equal((await rekey.status()).started, false);
    await rekey.start({ secretShares: 1, secretThreshold: 1, requireVerification: false });
    await assert.rejects(rekey.start({ secretShares: 1, secretThreshold: 1, requireVerification: false }), /rekey already in progress/);
  });

  it('checks the nonce, the share length and repeated shares', async () => {
    await assert.rejects(rekey.update(shares[0]!, 'x'), /no rekey in progress/);
    const { nonce } = await rekey.start({ secretShares: 3, secretThreshold: 2, requireVerification: false });
    await assert.rejects(rekey.update(shares[0]!, 'not-the-nonce'), (err: unknown) => err instanceof RekeyError && /incorrect nonce supplied/.test(err.message));
    await assert.rejects(rekey.update(Buffer.alloc(4), nonce), /shorter than minimum/);
    await rekey.update(shares[0]!, nonce);
    await assert.rejects(rekey.update(Buffer.from(shares[0]!), nonce), /already been provided during this rekey operation/);
    assert.equal((await rekey.status()).progress, 1);
  });

  it('wrong shares at the threshold abort with progress reset; the operation stays open and nothing changes', async () => {
    const { nonce } = await rekey.start({ secretShares: 3, secretThreshold: 2, requireVerification: false });
    const rootKeyBox = physical.data.get(SEAL_ROOT_KEY);
    await rekey.update(shares[0]!, nonce);
    await rekey.update(shares[1]!, nonce);
    await assert.rejects(rekey.update(randomBytes(33), nonce), (err: unknown) => {
      assert.ok(err instanceof RekeyError);
      assert.match(err.message, /^rekey aborted: unable to authenticate: .*cipher: message authentication failed/);
      return true;
    });
    assert.deepEqual(physical.data.get(SEAL_ROOT_KEY), rootKeyBox);
    const status = await rekey.status();
    assert.equal(status.started, true);
    assert.equal(status.progress, 0);
    await runToThreshold(nonce, shares.slice(2, 5));
    assert.deepEqual(await seal.config(), { secretShares: 3, secretThreshold: 2 });
  });

  it('with verification the new shares take effect only once a threshold of them comes back', async () => {
    const { nonce } = await rekey.start({ secretShares: 4, secretThreshold: 2, requireVerification: true });
    assert.equal((await rekey.status()).verification_required, true);
    await assert.rejects(rekey.verifyStatus(), /has not reached its threshold yet/);
    const done = await runToThreshold(nonce);
    assert.equal(done.verification_required, true);
    assert.match(done.verification_nonce ?? '', /^[0-9a-f-]{36}$/);
    assert.notEqual(done.verification_nonce, nonce);
    assert.deepEqual(await seal.config(), { secretShares: 5, secretThreshold: 3 }, 'not in force before verification');
    await assert.rejects(rekey.update(shares[3]!, nonce), /must be verified at sys\/rekey\/verify/);

    const fresh = done.keys_base64.map((k) => Buffer.from(k, 'base64'));
    const v0 = await rekey.verifyStatus();
    assert.deepEqual(v0, { nonce: done.verification_nonce, started: true, t: 2, n: 4, progress: 0 });
    await assert.rejects(rekey.verify(fresh[0]!, nonce), /incorrect nonce supplied; nonce for this verify operation/);

    // Today's shares are not the new ones: the proof fails, progress resets, the rekey waits on.
    await rekey.verify(shares[0]!, v0.nonce);
    await assert.rejects(rekey.verify(shares[1]!, v0.nonce), (err: unknown) => err instanceof RekeyError && /^rekey verification failed/.test(err.message));
    assert.equal((await rekey.verifyStatus()).progress, 0);

    const restarted = await rekey.restartVerification();
    assert.notEqual(restarted.nonce, v0.nonce);
    const step = await rekey.verify(fresh[3]!, restarted.nonce);
    assert.ok(!('complete' in step));
    assert.equal(step.progress, 1);
    await assert.rejects(rekey.verify(Buffer.from(fresh[3]!), restarted.nonce), /already been provided during this verify operation/);
    const verified = await rekey.verify(fresh[1]!, restarted.nonce);
    assert.deepEqual(verified, { nonce: restarted.nonce, complete: true });
    assert.deepEqual(await seal.config(), { secretShares: 4, secretThreshold: 2 });
    assert.equal((await rekey.status()).started, false);
    await assert.rejects(rekey.verifyStatus(), /no rekey in progress/);

    assert.equal(await unsealsWith(shares.slice(0, 3)), false);
    assert.equal(await unsealsWith(fresh.slice(0, 2)), true);
  });

  it('cancel, even during verification, leaves today\'s shares in force', async () => {
    const { nonce } = await rekey.start({ secretShares: 3, secretThreshold: 2, requireVerification: true });
    await runToThreshold(nonce);
    rekey.cancel();
    assert.equal((await rekey.status()).started, false);
    await assert.rejects(rekey.verifyStatus(), /no rekey in progress/);
    rekey.cancel();
    assert.equal(await unsealsWith(shares.slice(1, 4)), true);
  });

  it('an operation that does not require verification has nothing to verify', async () => {
    await rekey.start({ secretShares: 3, secretThreshold: 2, requireVerification: false });
    await assert.rejects(rekey.verifyStatus(), /does not require verification/);
  });

  it('requires an unsealed node', async () => {
    await seal.seal();
    await assert.rejects(rekey.status(), SealedError);
    await assert.rejects(rekey.start({ secretShares: 3, secretThreshold: 2, requireVerification: false }), SealedError);
    await assert.rejects(rekey.verifyStatus(), SealedError);
  });
});
