import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../src/clock.js';
import { SealedError } from '../../src/errors.js';
import { AesGcmBarrier, decryptWith, encryptWith } from '../../src/barrier/aes-gcm-barrier.js';
import { BarrierIntegrityError, InvalidRootKeyError, NotInitializedError, ReservedKeyError, AlreadyInitializedError } from '../../src/barrier/errors.js';
import { DecryptionError } from '../../src/barrier/aead.js';
import { BARRIER_CANARY, BARRIER_KEYRING, SEAL_CONFIG, SEAL_ROOT_KEY } from '../../src/storage/keys.js';
import { Keyring } from '../../src/barrier/keyring.js';
import { MapPhysical } from './map-physical.js';

const plain = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('encryptWith/decryptWith', () => {
  it('round-trips and binds the AAD', () => {
    const key = randomBytes(32);
    const box = encryptWith(key, 'a/b', plain('hello'));
    assert.equal(box[0], 1, 'version byte');
    assert.equal(box.length, 1 + 12 + 5 + 16);
    assert.deepEqual(decryptWith(key, 'a/b', box), plain('hello'));
    assert.throws(() => decryptWith(key, 'a/c', box), DecryptionError);
    assert.throws(() => decryptWith(randomBytes(32), 'a/b', box), /message authentication failed/);
    assert.throws(() => decryptWith(key, 'a/b', box.subarray(0, 10)), /too short/);
  });

  it('uses a fresh nonce each time', () => {
    const key = randomBytes(32);
    assert.notDeepEqual(encryptWith(key, 'k', plain('x')), encryptWith(key, 'k', plain('x')));
    // Across several refills of the nonce pool, no nonce repeats and every box opens.
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const box = encryptWith(key, 'k', plain(`v${i}`));
      nonces.add(box.subarray(1, 13).toString('hex'));
      assert.deepEqual(decryptWith(key, 'k', box), plain(`v${i}`));
    }
    assert.equal(nonces.size, 2000);
  });
});

describe('AesGcmBarrier', () => {
  let physical: MapPhysical;
  let clock: FakeClock;
  let barrier: AesGcmBarrier;
  let rootKey: Buffer;

  beforeEach(async () => {
    physical = new MapPhysical();
    clock = new FakeClock();
    barrier = new AesGcmBarrier(physical, clock);
    rootKey = randomBytes(32);
  });

  async function ready(): Promise<void> {
    await barrier.initialize(rootKey);
    await barrier.unseal(rootKey);
  }

  it('initialises: keyring and canary stored, barrier stays sealed until unseal', async () => {
    assert.equal(await barrier.initialized(), false);
    await barrier.initialize(rootKey);
    assert.equal(await barrier.initialized(), true);
    assert.ok(physical.data.has(BARRIER_KEYRING));
    assert.ok(physical.data.has(BARRIER_CANARY));
    assert.equal(barrier.sealed, true);
    await barrier.unseal(rootKey);
    assert.equal(barrier.sealed, false);
    await assert.rejects(barrier.initialize(rootKey), AlreadyInitializedError);
  });

  it('writes extra ops in the same atomic batch as the keyring', async () => {
    physical.failNextBatch = true;
    await assert.rejects(barrier.initialize(rootKey, [{ type: 'put', key: SEAL_CONFIG, value: plain('{}') }]));
    assert.equal(physical.data.size, 0, 'nothing written when the batch fails');
    await barrier.initialize(rootKey, [{ type: 'put', key: SEAL_CONFIG, value: plain('{}') }]);
    assert.deepEqual([...physical.data.keys()].sort(), [BARRIER_CANARY, BARRIER_KEYRING, SEAL_CONFIG].sort());
  });

  it('round-trips values, deletes and lists', async () => {
    await ready();
    await barrier.put('logical/abc/foo', plain('bar'));
    await barrier.put('logical/abc/dir/x', plain('y'));
    assert.deepEqual(await barrier.get('logical/abc/foo'), plain('bar'));
    assert.equal(await barrier.get('logical/abc/missing'), undefined);
    assert.deepEqual(await barrier.list('logical/abc/'), ['dir/', 'foo']);
    await barrier.delete('logical/abc/foo');
    assert.equal(await barrier.get('logical/abc/foo'), undefined);
    await barrier.put('logical/abc/empty', Buffer.alloc(0));
    assert.deepEqual(await barrier.get('logical/abc/empty'), Buffer.alloc(0));
  });

  it('never lets a written plaintext reach physical storage', async () => {
    await ready();
    const secret = 'correct horse battery staple ' + randomBytes(8).toString('hex');
    await barrier.put('logical/m/secret', plain(secret));
    await barrier.batch([{ type: 'put', key: 'logical/m/other', value: plain(secret + '-2') }]);
    const raw = physical.allBytes();
    assert.equal(raw.indexOf(plain(secret)), -1);
    assert.equal(raw.indexOf(plain('correct horse')), -1);
    // Nor any keyring key material or the root key.
    assert.equal(raw.indexOf(rootKey), -1);
    const entry = physical.data.get('logical/m/secret')!;
    assert.equal(entry.readUInt32BE(0), 1, 'term header');
    assert.equal(entry[4], 1, 'version byte');
    assert.equal(entry.length, 4 + 1 + 12 + Buffer.byteLength(secret) + 16);
  });

  it('refuses every Storage method while sealed', async () => {
    await barrier.initialize(rootKey);
    await assert.rejects(barrier.get('a'), SealedError);
    await assert.rejects(barrier.put('a', plain('b')), SealedError);
    await assert.rejects(barrier.delete('a'), SealedError);
    await assert.rejects(barrier.list(''), SealedError);
    await assert.rejects(barrier.batch([]), SealedError);
    assert.throws(() => barrier.keyStatus(), SealedError);
    await assert.rejects(barrier.rotate(), SealedError);
  });

  it('seal() drops keys: data unreadable until unsealed again, then readable', async () => {
    await ready();
    await barrier.put('k', plain('v'));
    barrier.seal();
    assert.equal(barrier.sealed, true);
    await assert.rejects(barrier.get('k'), SealedError);
    await barrier.unseal(rootKey);
    assert.deepEqual(await barrier.get('k'), plain('v'));
  });

  it('zeroes the root key and every keyring term it held on seal', async () => {
    await ready();
    await barrier.rotate();
    // White-box: capture the buffers the barrier holds, then check seal() overwrote them.
    const held = (barrier as unknown as { state: { rootKey: Buffer; keyring: Keyring } }).state;
    const buffers = [held.rootKey, ...held.keyring.terms().map((t) => t.key)];
    assert.equal(buffers.length, 3);
    assert.ok(buffers.every((b) => !b.equals(Buffer.alloc(32))));
    barrier.seal();
    assert.ok(buffers.every((b) => b.equals(Buffer.alloc(32))), 'all key material zeroed');
    assert.notDeepEqual(rootKey, Buffer.alloc(32), "the caller's root key buffer is its own");
    barrier.seal();
  });

  it('rejects a wrong root key with InvalidRootKeyError and stays sealed', async () => {
    await barrier.initialize(rootKey);
    await assert.rejects(barrier.unseal(randomBytes(32)), InvalidRootKeyError);
    assert.equal(barrier.sealed, true);
    await assert.rejects(barrier.unseal(Buffer.alloc(16)), RangeError);
  });

  it('refuses to unseal uninitialised storage', async () => {
    await assert.rejects(barrier.unseal(rootKey), NotInitializedError);
  });

  it('detects a damaged or missing canary at unseal', async () => {
    await barrier.initialize(rootKey);
    const canary = physical.data.get(BARRIER_CANARY)!;
    canary[canary.length - 1]! ^= 1;
    await assert.rejects(barrier.unseal(rootKey), BarrierIntegrityError);
    physical.data.delete(BARRIER_CANARY);
    await assert.rejects(barrier.unseal(rootKey), /canary is missing/);
    assert.equal(barrier.sealed, true);
  });

  it('detects tampering: any flipped bit fails with an error naming the key, not the value', async () => {
    await ready();
    await barrier.put('logical/m/t', plain('tamper-me-value'));
    const original = physical.data.get('logical/m/t')!;
    // Every damaged entry below is a change behind the barrier's back: reads must reach storage.
    const damage = (value: Buffer): void => {
      physical.data.set('logical/m/t', value);
      barrier.invalidate(['logical/m/t']);
    };
    // Flip one bit in the version byte, the nonce, the ciphertext and the tag in turn.
    for (const pos of [4, 5, 17, original.length - 20, original.length - 1]) {
      const damaged = Buffer.from(original);
      damaged[pos]! ^= 0x01;
      damage(damaged);
      await assert.rejects(barrier.get('logical/m/t'), (err: unknown) => {
        assert.ok(err instanceof BarrierIntegrityError);
        assert.equal(err.key, 'logical/m/t');
        assert.match(err.message, /logical\/m\/t/);
        assert.ok(!err.message.includes('tamper-me-value'));
        return true;
      });
    }
    damage(original.subarray(0, 3));
    await assert.rejects(barrier.get('logical/m/t'), /entry too short/);
    const unknownTerm = Buffer.from(original);
    unknownTerm.writeUInt32BE(99, 0);
    damage(unknownTerm);
    await assert.rejects(barrier.get('logical/m/t'), /unknown key term 99/);
  });

  it('binds each entry to its storage key: a moved ciphertext fails to decrypt', async () => {
    await ready();
    await barrier.put('logical/m/a', plain('value-a'));
    physical.data.set('logical/m/b', physical.data.get('logical/m/a')!);
    await assert.rejects(barrier.get('logical/m/b'), BarrierIntegrityError);
    assert.deepEqual(await barrier.get('logical/m/a'), plain('value-a'));
  });

  it('rotates: new writes use the new term, old data stays readable, survives reseal', async () => {
    await ready();
    await barrier.put('old', plain('old-value'));
    const before = barrier.keyStatus();
    assert.equal(before.term, 1);
    assert.equal(before.installTime, '2026-01-01T00:00:00.000Z');
    assert.equal(before.encryptions, 1);
    clock.advance(60_000);
    const rotated = await barrier.rotate();
    assert.deepEqual(rotated, { term: 2, installTime: '2026-01-01T00:01:00.000Z' });
    assert.deepEqual(barrier.keyStatus(), { term: 2, installTime: rotated.installTime, encryptions: 0 });
    await barrier.put('new', plain('new-value'));
    assert.equal(barrier.keyStatus().encryptions, 1);
    assert.equal(physical.data.get('old')!.readUInt32BE(0), 1);
    assert.equal(physical.data.get('new')!.readUInt32BE(0), 2);
    assert.deepEqual(await barrier.get('old'), plain('old-value'));

    barrier.seal();
    const fresh = new AesGcmBarrier(physical, clock);
    await fresh.unseal(rootKey);
    assert.equal(fresh.keyStatus().term, 2, 'rotation was persisted');
    assert.deepEqual(await fresh.get('old'), plain('old-value'));
    assert.deepEqual(await fresh.get('new'), plain('new-value'));
  });

  it('serialises concurrent rotations into consecutive terms', async () => {
    await ready();
    const results = await Promise.all([barrier.rotate(), barrier.rotate(), barrier.rotate()]);
    assert.deepEqual(results.map((r) => r.term), [2, 3, 4]);
    assert.equal(barrier.keyStatus().term, 4);
  });

  it('batch encrypts every put and applies in one physical batch', async () => {
    await ready();
    await barrier.put('gone', plain('x'));
    let batches = 0;
    const inner = physical.batch.bind(physical);
    physical.batch = async (ops) => {
      batches++;
      return inner(ops);
    };
    await barrier.batch([
      { type: 'put', key: 'b/1', value: plain('one') },
      { type: 'delete', key: 'gone' },
      { type: 'put', key: 'b/2', value: plain('two') },
    ]);
    assert.equal(batches, 1);
    assert.deepEqual(await barrier.get('b/1'), plain('one'));
    assert.deepEqual(await barrier.get('b/2'), plain('two'));
    assert.equal(await barrier.get('gone'), undefined);
    assert.equal(physical.allBytes().indexOf(plain('one')), -1);

    physical.failNextBatch = true;
    await assert.rejects(barrier.batch([{ type: 'put', key: 'b/3', value: plain('three') }, { type: 'delete', key: 'b/1' }]));
    assert.equal(await barrier.get('b/3'), undefined, 'failed batch applied nothing');
    assert.deepEqual(await barrier.get('b/1'), plain('one'));
  });

  it('keeps the seal keys out of reach of logical storage', async () => {
    await ready();
    for (const key of [SEAL_CONFIG, SEAL_ROOT_KEY, BARRIER_KEYRING, BARRIER_CANARY]) {
      await assert.rejects(barrier.get(key), ReservedKeyError);
      await assert.rejects(barrier.put(key, plain('x')), ReservedKeyError);
      await assert.rejects(barrier.delete(key), ReservedKeyError);
      await assert.rejects(barrier.batch([{ type: 'put', key: 'ok', value: plain('x') }, { type: 'delete', key }]), ReservedKeyError);
    }
    assert.equal(await barrier.get('ok'), undefined, 'a batch touching a reserved key applies nothing');
  });

  it('a get racing a seal does not return plaintext', async () => {
    await ready();
    await barrier.put('race', plain('v'));
    barrier.invalidate(['race']); // not cached by the put: this get reads storage while the seal happens
    const pending = barrier.get('race');
    barrier.seal();
    await assert.rejects(pending, SealedError);
  });
});
