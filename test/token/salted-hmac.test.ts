/** SaltedHmac must name tokens exactly as createHmac did: stored keys depend on it. */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SaltedHmac } from '../../src/token/salted-hmac.js';

function reference(key: Buffer, kind: string, value: string): string {
  return createHmac('sha256', key).update(kind).update('\0').update(value).digest('hex');
}

test('SaltedHmac equals HMAC-SHA256 over kind NUL value, for every key and message size', () => {
  const keys = [randomBytes(32), randomBytes(64), randomBytes(100), Buffer.alloc(0), randomBytes(1)];
  const values = ['', 's.abcdefghijklmnopqrstuvwx', 'é-ünïcødé-🙂', 'x'.repeat(4095), 'y'.repeat(5000), '\0\0'];
  for (const key of keys) {
    const h = new SaltedHmac(key);
    for (const kind of ['id', 'accessor', '']) {
      for (const value of values) assert.equal(h.hex(kind, value), reference(key, kind, value), `${key.length}-byte key, ${value.length}-char value`);
    }
  }
});

test('one message leaves no trace in the next (scratch buffer reuse)', () => {
  const key = randomBytes(32);
  const h = new SaltedHmac(key);
  assert.equal(h.hex('id', 'a-much-longer-token-value'), reference(key, 'id', 'a-much-longer-token-value'));
  assert.equal(h.hex('id', 'short'), reference(key, 'id', 'short'));
});

test('zero() forgets the key pads', () => {
  const key = randomBytes(32);
  const h = new SaltedHmac(key);
  const before = h.hex('id', 't');
  h.zero();
  assert.notEqual(h.hex('id', 't'), before);
});
