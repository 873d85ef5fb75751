import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH, hkdfSync } from 'node:crypto';
import { Base64Error, decodeBase64 } from '../../../src/engines/transit/base64.js';
import { deriveKey } from '../../../src/engines/transit/derive.js';
import { curveParams } from '../../../src/engines/transit/ecdsa-raw.js';

function fails(input: string, offset: number, padded = true): void {
  assert.throws(() => decodeBase64(input, padded), (err: unknown) => err instanceof Base64Error && err.message === `illegal base64 data at input byte ${offset}`, input);
}

test('base64 follows Go: padding required, CR/LF ignored, error offsets', () => {
  assert.equal(decodeBase64('').length, 0);
  assert.equal(decodeBase64('aGVsbG8=').toString(), 'hello');
  assert.equal(decodeBase64('aGVs\r\nbG8=\n').toString(), 'hello');
  assert.equal(decodeBase64('aGk=').toString(), 'hi');
  assert.equal(decodeBase64('aA==').toString(), 'h');
  fails('aGVsbG8', 4);
  fails('aGVsbG8=x', 8);
  fails('a===', 1);
  fails('aA=', 3);
  fails('aA=x', 2);
  fails('a', 0);
  fails('aGV-bG8=', 3);
  fails('héllo', 1);
  // Raw URL alphabet (JWS): no padding, '-' and '_'.
  assert.deepEqual(decodeBase64('-_8', false), Buffer.from([0xfb, 0xff]));
  fails('-_8=', 3, false);
  fails('a', 0, false);
  for (let n = 0; n < 40; n++) {
    const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
    assert.deepEqual(decodeBase64(bytes.toString('base64')), bytes);
    assert.deepEqual(decodeBase64(bytes.toString('base64url'), false), bytes);
  }
});

test('key derivation is HKDF-SHA256 without salt, for any context length', () => {
  const ikm = Buffer.alloc(32, 7);
  for (const info of [Buffer.alloc(0), Buffer.from('ctx'), Buffer.alloc(1024, 1)]) {
    for (const len of [16, 32, 64]) {
      assert.deepEqual(deriveKey(ikm, info, len), Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, len)));
    }
  }
  // Node's hkdf refuses info over 1024 bytes; ours does not, and stays context-sensitive.
  const long1 = deriveKey(ikm, Buffer.alloc(5000, 1), 32);
  const long2 = deriveKey(ikm, Buffer.alloc(5000, 2), 32);
  assert.equal(long1.length, 32);
  assert.notDeepEqual(long1, long2);
});

test('ECDSA curve constants: (n-1)·G = -G for every curve', () => {
  for (const name of ['prime256v1', 'secp384r1', 'secp521r1']) {
    const { n, gx, gy, bytes } = curveParams(name);
    const ecdh = createECDH(name);
    ecdh.setPrivateKey(Buffer.from((n - 1n).toString(16).padStart(bytes * 2, '0'), 'hex'));
    const pub = ecdh.getPublicKey();
    const x = BigInt(`0x${pub.subarray(1, 1 + bytes).toString('hex')}`);
    const y = BigInt(`0x${pub.subarray(1 + bytes).toString('hex')}`);
    assert.equal(x, gx, name);
    assert.notEqual(y, gy, name);
  }
});
