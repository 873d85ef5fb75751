import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardedClientAddress, type ForwardedForPolicy } from '../../src/http/forwarded-for.js';

const policy = (p: Partial<ForwardedForPolicy> = {}): ForwardedForPolicy => ({ authorizedAddrs: ['10.0.0.0/8'], hopSkips: 0, rejectNotAuthorized: false, rejectNotPresent: false, ...p });

test('an authorized proxy names the client: the last hop, or further back with hop skips', () => {
  assert.equal(forwardedClientAddress('10.1.2.3', '203.0.113.7', policy()), '203.0.113.7');
  assert.equal(forwardedClientAddress('10.1.2.3', '198.51.100.1, 203.0.113.7', policy()), '203.0.113.7');
  assert.equal(forwardedClientAddress('10.1.2.3', ['198.51.100.1', '203.0.113.7, 10.9.9.9'], policy({ hopSkips: 1 })), '203.0.113.7', 'several headers form one chain');
  assert.equal(forwardedClientAddress('::ffff:10.1.2.3', '2001:db8::1', policy()), '2001:db8::1');
});

test('without authorization or without a header the connection address stays, unless the policy rejects', () => {
  assert.equal(forwardedClientAddress('192.0.2.1', '203.0.113.7', policy()), '192.0.2.1', 'an unauthorized sender cannot choose its address');
  assert.equal(forwardedClientAddress('10.1.2.3', undefined, policy()), '10.1.2.3');
  assert.equal(forwardedClientAddress('10.1.2.3', ' , ', policy()), '10.1.2.3', 'an empty chain is no header');
  assert.throws(() => forwardedClientAddress('192.0.2.1', '203.0.113.7', policy({ rejectNotAuthorized: true })), /client address not authorized for x-forwarded-for and configured to reject connection/);
  assert.throws(() => forwardedClientAddress('10.1.2.3', undefined, policy({ rejectNotPresent: true })), /missing x-forwarded-for header and configured to reject when not present/);
});

test('malformed chains are refused with 400', () => {
  assert.throws(() => forwardedClientAddress('10.1.2.3', '203.0.113.7', policy({ hopSkips: 1 })), (err: unknown) => {
    assert.equal((err as { status: number }).status, 400);
    assert.match((err as Error).message, /hops to skip \(1\) would skip before earliest chain link \(chain length 1\)/);
    return true;
  });
  assert.throws(() => forwardedClientAddress('10.1.2.3', 'not-an-ip', policy()), /error parsing client address "not-an-ip"/);
});
