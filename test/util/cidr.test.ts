import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrError, addressAllowed, parseCidrList } from '../../src/util/cidr.js';

test('parseCidrList validates and normalises blocks', () => {
  assert.deepEqual(parseCidrList(['10.0.0.0/8', ' 127.0.0.1 ', '', '::1']), ['10.0.0.0/8', '127.0.0.1/32', '::1/128']);
  for (const bad of ['10.0.0.0/33', 'nope', '10.0.0/8', '1.2.3.4/x', '::1/129']) {
    assert.throws(() => parseCidrList([bad]), CidrError, bad);
  }
});

test('addressAllowed: empty list allows all, IPv4-mapped IPv6 matches IPv4 blocks', () => {
  assert.equal(addressAllowed('203.0.113.9', []), true);
  assert.equal(addressAllowed('127.0.0.1', ['127.0.0.0/8']), true);
  assert.equal(addressAllowed('::ffff:127.0.0.1', ['127.0.0.0/8']), true);
  assert.equal(addressAllowed('10.1.2.3', ['127.0.0.0/8']), false);
  assert.equal(addressAllowed('::1', ['127.0.0.1/32']), false);
  assert.equal(addressAllowed('::1', ['::1/128']), true);
  assert.equal(addressAllowed('garbage', ['0.0.0.0/0']), false);
});
