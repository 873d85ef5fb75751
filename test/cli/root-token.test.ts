import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRootToken, encodeRootToken, generateLegacyOtp, generateOtp, RootTokenDecodeError } from '../../src/cli/root-token.js';

test('generateOtp returns base62 strings of the requested length', () => {
  for (const len of [1, 26, 28, 100]) {
    const otp = generateOtp(len);
    assert.equal(otp.length, len);
    assert.match(otp, /^[A-Za-z0-9]+$/);
  }
  assert.notEqual(generateOtp(26), generateOtp(26));
  assert.throws(() => generateOtp(0), RangeError);
});

test('generateOtp rejects biased bytes (>= 248) instead of folding them', () => {
  // A source that yields only 255 then 0: only the zeros may be used, each mapping to "A".
  let calls = 0;
  const source = (n: number): Buffer => {
    calls++;
    return Buffer.from(Array.from({ length: n }, (_, i) => (calls === 1 || i % 2 === 0 ? 255 : 0)));
  };
  assert.equal(generateOtp(4, source), 'AAAA');
  assert.ok(calls >= 2);
  assert.throws(() => generateOtp(4, (n) => Buffer.alloc(n, 250)), /too few usable bytes/);
});

test('decode reverses the server encoding: base64 without padding of token XOR otp', () => {
  const token = 's.prBuSBzkN23wC9eVEgtUlOJf';
  const otp = generateOtp(token.length);
  const encoded = encodeRootToken(token, otp);
  assert.doesNotMatch(encoded, /=/);
  assert.equal(decodeRootToken(encoded, otp), token);
  // Padded input, surrounding whitespace and the URL alphabet are accepted too.
  const padded = Buffer.from(encoded, 'base64').toString('base64');
  assert.equal(decodeRootToken(` ${padded}\n`, otp), token);
  assert.equal(decodeRootToken(padded.replace(/\+/g, '-').replace(/\//g, '_'), otp), token);
});

test('decode of a value captured from a real attempt', () => {
  // XOR of "hvs.0123456789abcdefghijklmn" with an OTP of "A"s, computed independently.
  const token = 'hvs.0123456789abcdefghijklmn';
  const otp = 'A'.repeat(token.length);
  const encoded = Buffer.from([...token].map((c) => c.charCodeAt(0) ^ 0x41)).toString('base64').replace(/=+$/, '');
  assert.equal(decodeRootToken(encoded, otp), token);
});

test('the older scheme: base64 OTP of 16 bytes and a UUID token', () => {
  const otp = generateLegacyOtp();
  const otpBytes = Buffer.from(otp, 'base64');
  assert.equal(otpBytes.length, 16);
  const uuid = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
  const raw = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  const encoded = Buffer.from(raw.map((b, i) => b ^ otpBytes[i]!)).toString('base64');
  assert.equal(decodeRootToken(encoded, otp), uuid);
});

test('decode errors are typed and do not echo the token', () => {
  assert.throws(() => decodeRootToken('not base64!', 'abc'), (e: unknown) => e instanceof RootTokenDecodeError && /not valid base64/.test(e.message));
  assert.throws(() => decodeRootToken('QUJD', ''), /OTP is empty/);
  assert.throws(
    () => decodeRootToken('QUJDREVG', 'short'),
    (e: unknown) => e instanceof RootTokenDecodeError && /does not match the OTP/.test(e.message) && !e.message.includes('QUJDREVG'),
  );
});
