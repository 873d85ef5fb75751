import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { KeyringFormatError } from '../../src/barrier/errors.js';
import { Keyring } from '../../src/barrier/keyring.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-02-01T00:00:00.000Z';

describe('Keyring', () => {
  it('starts at term 1 and rotates to term+1, keeping old terms', () => {
    const k1 = randomBytes(32);
    const ring = Keyring.create(T0, k1);
    assert.equal(ring.activeTerm.term, 1);
    assert.deepEqual(ring.activeTerm.key, k1);
    const added = ring.rotate(T1);
    assert.equal(added.term, 2);
    assert.equal(ring.activeTerm.term, 2);
    assert.equal(ring.activeTerm.installTime, T1);
    assert.deepEqual(ring.term(1)?.key, k1);
    assert.deepEqual(ring.terms().map((t) => t.term), [1, 2]);
    assert.notDeepEqual(ring.term(2)?.key, k1);
  });

  it('serialises to JSON with base64 keys and back', () => {
    const ring = Keyring.create(T0);
    ring.rotate(T1);
    const raw = ring.serialize();
    const parsed = JSON.parse(raw.toString('utf8')) as { terms: { term: number; key: string; install_time: string }[] };
    assert.equal(parsed.terms.length, 2);
    assert.equal(parsed.terms[0]!.key, ring.term(1)!.key.toString('base64'));
    assert.equal(parsed.terms[1]!.install_time, T1);
    const back = Keyring.deserialize(raw);
    assert.equal(back.activeTerm.term, 2);
    assert.deepEqual(back.term(1)!.key, ring.term(1)!.key);
    assert.deepEqual(back.term(2)!.key, ring.term(2)!.key);
    assert.equal(back.term(2)!.installTime, T1);
  });

  it('rejects malformed serialisations', () => {
    const bad = (s: string): void => assert.throws(() => Keyring.deserialize(Buffer.from(s)), KeyringFormatError);
    bad('not json');
    bad('{}');
    bad('{"terms":[]}');
    bad('{"terms":[{"term":1,"key":"AAAA","install_time":"x"}]}');
    const key = randomBytes(32).toString('base64');
    bad(`{"terms":[{"term":0,"key":"${key}","install_time":"x"}]}`);
    bad(`{"terms":[{"term":1,"key":"${key}","install_time":"x"},{"term":1,"key":"${key}","install_time":"x"}]}`);
    bad('{"terms":[null]}');
  });

  it('counts encryptions per term', () => {
    const ring = Keyring.create(T0);
    ring.recordEncryption(1);
    ring.recordEncryption(1);
    ring.rotate(T1);
    ring.recordEncryption(2);
    assert.equal(ring.encryptions(1), 2);
    assert.equal(ring.encryptions(2), 1);
    assert.equal(ring.clone().encryptions(1), 2);
  });

  it('owns its key buffers: clone is independent, zero wipes every term', () => {
    const given = randomBytes(32);
    const ring = Keyring.create(T0, given);
    ring.rotate(T1);
    const copy = ring.clone();
    ring.zero();
    assert.deepEqual(ring.term(1)!.key, Buffer.alloc(32));
    assert.deepEqual(ring.term(2)!.key, Buffer.alloc(32));
    assert.deepEqual(copy.term(1)!.key, given, 'clone unaffected');
    assert.notDeepEqual(given, Buffer.alloc(32), 'caller buffer unaffected');
  });
});
