import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SealedError } from '../../src/errors.js';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import { GenerateRootError } from '../../src/barrier/errors.js';
import { GenerateRoot, OTP_LENGTH, decodeRootToken, encodeRootToken } from '../../src/barrier/generate-root.js';
import { ShamirSeal } from '../../src/barrier/seal.js';
import { MapPhysical } from './map-physical.js';

describe('GenerateRoot', () => {
  let seal: ShamirSeal;
  let shares: Buffer[];
  let generateRoot: GenerateRoot;
  let minted: string[];

  beforeEach(async () => {
    const physical = new MapPhysical();
    seal = new ShamirSeal(physical, new AesGcmBarrier(physical));
    shares = (await seal.initialize({ secretShares: 5, secretThreshold: 3 })).shares;
    minted = [];
    generateRoot = new GenerateRoot(seal, async () => {
      const token = 's.' + randomBytes(18).toString('base64url').slice(0, 24);
      minted.push(token);
      return token;
    });
  });

  it('reports an idle status', async () => {
    assert.deepEqual(await generateRoot.status(), {
      started: false, nonce: '', progress: 0, required: 3, complete: false,
      encoded_token: '', encoded_root_token: '', pgp_fingerprint: '', otp: '', otp_length: 26,
    });
  });

  it('runs end to end with a generated OTP; decoding gives the token the callback made', async () => {
    const started = await generateRoot.start();
    assert.equal(started.started, true);
    assert.equal(started.otp.length, OTP_LENGTH);
    assert.match(started.otp, /^[A-Za-z0-9]{26}$/);
    assert.match(started.nonce, /^[0-9a-f-]{36}$/);
    assert.equal((await generateRoot.status()).otp, '', 'the OTP is shown once, at start');

    const one = await generateRoot.update(shares[4]!, started.nonce);
    assert.equal(one.progress, 1);
    assert.equal(one.complete, false);
    await generateRoot.update(shares[1]!, started.nonce);
    assert.equal(minted.length, 0, 'no token before the threshold');
    const done = await generateRoot.update(shares[2]!, started.nonce);
    assert.equal(done.complete, true);
    assert.equal(done.progress, 3);
    assert.equal(done.required, 3);
    assert.equal(done.encoded_token, done.encoded_root_token);
    assert.doesNotMatch(done.encoded_token, /=/, 'no base64 padding');
    assert.equal(minted.length, 1);
    assert.equal(decodeRootToken(done.encoded_token, started.otp), minted[0]);
    assert.equal((await generateRoot.status()).started, false, 'attempt cleared after completion');
  });

  it('accepts a caller-chosen 26-character OTP and rejects other lengths', async () => {
    await assert.rejects(generateRoot.start('short'), /OTP string is wrong length/);
    const otp = 'abcdefghijklmnopqrstuvwxyz';
    const started = await generateRoot.start(otp);
    assert.equal(started.otp, '');
    for (const s of shares.slice(0, 2)) await generateRoot.update(s, started.nonce);
    const done = await generateRoot.update(shares[3]!, started.nonce);
    assert.equal(decodeRootToken(done.encoded_token, otp), minted[0]);
  });

  it('allows one attempt at a time, checks the nonce, and rejects a repeated share', async () => {
    const started = await generateRoot.start();
    await assert.rejects(generateRoot.start(), /root generation already in progress/);
    await assert.rejects(generateRoot.update(shares[0]!, 'not-the-nonce'), /incorrect nonce supplied/);
    await generateRoot.update(shares[0]!, started.nonce);
    await assert.rejects(generateRoot.update(Buffer.from(shares[0]!), started.nonce), /already been provided/);
    assert.equal((await generateRoot.status()).progress, 1);
  });

  it('wrong shares abort with progress reset and no token minted; the attempt stays open', async () => {
    const started = await generateRoot.start();
    await generateRoot.update(shares[0]!, started.nonce);
    await generateRoot.update(shares[1]!, started.nonce);
    await assert.rejects(generateRoot.update(randomBytes(33), started.nonce), (err: unknown) => {
      assert.ok(err instanceof GenerateRootError);
      assert.match(err.message, /^root generation aborted: unable to authenticate: .*cipher: message authentication failed/);
      return true;
    });
    assert.equal(minted.length, 0);
    const status = await generateRoot.status();
    assert.equal(status.started, true);
    assert.equal(status.progress, 0);
    for (const s of shares.slice(2)) await generateRoot.update(s, started.nonce);
    assert.equal(minted.length, 1);
  });

  it('cancel drops the attempt', async () => {
    const started = await generateRoot.start();
    await generateRoot.update(shares[0]!, started.nonce);
    generateRoot.cancel();
    assert.equal((await generateRoot.status()).started, false);
    await assert.rejects(generateRoot.update(shares[1]!, started.nonce), /no root generation in progress/);
    generateRoot.cancel();
  });

  it('requires an unsealed node', async () => {
    await seal.seal();
    await assert.rejects(generateRoot.status(), SealedError);
    await assert.rejects(generateRoot.start(), SealedError);
  });
});

describe('encodeRootToken/decodeRootToken', () => {
  it('round-trips and uses unpadded standard base64', () => {
    const token = 's.abcdefghijklmnopqrstuvwx';
    const otp = 'ZYXWVUTSRQPONMLKJIHGFEDCBA';
    const encoded = encodeRootToken(token, otp);
    const expected = Buffer.from(token).map((b, i) => b ^ otp.charCodeAt(i));
    assert.equal(encoded, Buffer.from(expected).toString('base64').replace(/=+$/, ''));
    assert.equal(decodeRootToken(encoded, otp), token);
    assert.equal(decodeRootToken(encoded + '==', otp), token, 'padded input is accepted too');
  });

  it('rejects mismatched lengths and invalid base64', () => {
    assert.throws(() => encodeRootToken('s.short', 'x'.repeat(26)), GenerateRootError);
    assert.throws(() => decodeRootToken('AAAA', 'x'.repeat(26)), /lengths differ/);
    assert.throws(() => decodeRootToken('not base64!', 'x'.repeat(26)), /not valid base64/);
  });
});
