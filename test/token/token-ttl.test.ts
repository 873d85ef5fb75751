/**
 * Token lifetimes with a fake clock: the auth/token mount's default and max, explicit max
 * TTLs, periods, expiry at exactly the TTL, and renewal (renew, renew-self, renew-accessor)
 * within the ceilings counted from creation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRenewal } from '../../src/token/token-renew.js';
import type { TokenEntry } from '../../src/token/token-entry.js';
import { fails, tokenNode } from './node-harness.js';

test('mount default TTL applies; a token works until exactly its TTL', async () => {
  const t = await tokenNode();
  try {
    await t.tune(60, 300);
    const resp = await t.call('update', 'auth/token/create', { policies: ['default'] });
    assert.equal(resp!.auth!.leaseDuration, 60);
    const tok = resp!.auth!.clientToken;
    t.clock.advance(59_999);
    assert.equal((await t.call('read', 'auth/token/lookup-self', {}, tok))!.data!['ttl'], 0);
    t.clock.advance(1);
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, tok), fails(403, 'permission denied'));
  } finally {
    await t.close();
  }
});

test('a TTL above the mount max is capped with a warning', async () => {
  const t = await tokenNode();
  try {
    await t.tune(60, 300);
    const resp = await t.call('update', 'auth/token/create', { ttl: '1h' });
    assert.equal(resp!.auth!.leaseDuration, 300);
    assert.deepEqual(resp!.warnings, ['TTL of "1h0m0s" exceeded the effective max_ttl of "5m0s"; TTL value is capped accordingly']);
  } finally {
    await t.close();
  }
});

test('renewal: default increment is the creation TTL, bounded by the mount max from creation', async () => {
  const t = await tokenNode();
  try {
    await t.tune(100, 300);
    const resp = await t.call('update', 'auth/token/create', { policies: ['default'] });
    const tok = resp!.auth!.clientToken;
    const accessor = resp!.auth!.accessor;

    t.clock.advance(90_000);
    const r1 = await t.call('update', 'auth/token/renew-self', {}, tok);
    assert.equal(r1!.auth!.leaseDuration, 100);
    assert.equal(r1!.auth!.clientToken, tok);
    assert.equal(r1!.warnings, undefined);
    const looked = (await t.call('update', 'auth/token/lookup', { token: tok }))!.data!;
    assert.equal(looked['ttl'], 100);
    assert.equal(looked['last_renewal_time'], Math.floor(t.clock.now() / 1000));

    t.clock.advance(90_000);
    const r2 = await t.call('update', 'auth/token/renew', { token: tok, increment: '50s' });
    assert.equal(r2!.auth!.leaseDuration, 50);

    t.clock.advance(40_000); // 220 s after creation: 80 s left under the 300 s max
    const r3 = await t.call('update', 'auth/token/renew-accessor', { accessor, increment: 1000 });
    assert.equal(r3!.auth!.leaseDuration, 80);
    assert.equal(r3!.auth!.clientToken, '', 'renew-accessor does not reveal the token');
    assert.deepEqual(r3!.warnings, ['TTL of "16m40s" exceeded the effective max_ttl of "1m20s"; TTL value is capped accordingly']);

    t.clock.advance(79_999);
    assert.ok(await t.call('read', 'auth/token/lookup-self', {}, tok));
    t.clock.advance(1);
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, tok), fails(403));
    await assert.rejects(t.call('update', 'auth/token/renew', { token: tok }), fails(400, 'token not found'));
  } finally {
    await t.close();
  }
});

test('explicit_max_ttl caps creation and every renewal', async () => {
  const t = await tokenNode();
  try {
    const resp = await t.call('update', 'auth/token/create', { ttl: 100, explicit_max_ttl: 150 });
    assert.equal(resp!.auth!.leaseDuration, 100);
    const tok = resp!.auth!.clientToken;
    assert.equal((await t.call('read', 'auth/token/lookup-self', {}, tok))!.data!['explicit_max_ttl'], 150);
    t.clock.advance(80_000);
    const renewed = await t.call('update', 'auth/token/renew-self', { increment: 100 }, tok);
    assert.equal(renewed!.auth!.leaseDuration, 70);
    assert.equal(renewed!.warnings?.length, 1);
    t.clock.advance(70_000);
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, tok), fails(403));

    const capped = await t.call('update', 'auth/token/create', { ttl: 500, explicit_max_ttl: 200 });
    assert.equal(capped!.auth!.leaseDuration, 200);
  } finally {
    await t.close();
  }
});

test('periodic tokens renew to their period, past the mount max, but not past explicit_max_ttl', async () => {
  const t = await tokenNode();
  try {
    await t.tune(60, 300);
    const periodic = (await t.call('update', 'auth/token/create', { period: 100, policies: ['default'] }))!.auth!;
    assert.equal(periodic.leaseDuration, 100);
    const tok = periodic.clientToken;
    for (let i = 0; i < 5; i++) {
      t.clock.advance(90_000);
      const r = await t.call('update', 'auth/token/renew-self', { increment: 5 }, tok);
      assert.equal(r!.auth!.leaseDuration, 100, 'a period ignores the increment');
    }
    // 450 s after creation, well past the 300 s mount max: still alive.
    assert.equal((await t.call('read', 'auth/token/lookup-self', {}, tok))!.data!['period'], 100);

    const bounded = (await t.call('update', 'auth/token/create', { period: 100, explicit_max_ttl: 250, policies: ['default'] }))!.auth!;
    t.clock.advance(200_000);
    await assert.rejects(t.call('update', 'auth/token/renew-self', {}, bounded.clientToken), fails(403), 'expired at 100 s');
    const b2 = (await t.call('update', 'auth/token/create', { period: 100, explicit_max_ttl: 250, policies: ['default'] }))!.auth!;
    t.clock.advance(90_000);
    assert.equal((await t.call('update', 'auth/token/renew-self', {}, b2.clientToken))!.auth!.leaseDuration, 100);
    t.clock.advance(90_000);
    const last = await t.call('update', 'auth/token/renew-self', {}, b2.clientToken);
    assert.equal(last!.auth!.leaseDuration, 70);
    assert.match(last!.warnings![0]!, /^period of "1m40s" exceeded the effective max_ttl of "1m10s"/);
  } finally {
    await t.close();
  }
});

test('what cannot be renewed', async () => {
  const t = await tokenNode();
  try {
    const fixed = await t.token({ ttl: 100, renewable: false });
    await assert.rejects(t.call('update', 'auth/token/renew', { token: fixed }), fails(400, 'lease is not renewable'));
    assert.equal((await t.call('read', 'auth/token/lookup', { token: fixed }))!.data!['renewable'], false);
    await assert.rejects(t.call('update', 'auth/token/renew-self', {}), fails(400, 'lease is not renewable'), 'root never expires');
    await assert.rejects(t.call('update', 'auth/token/renew', { token: 's.unknown' }), fails(400, 'token not found'));
    await assert.rejects(t.call('update', 'auth/token/renew', {}), fails(400, 'missing token ID'));
    await assert.rejects(t.call('update', 'auth/token/renew-accessor', { accessor: 'zzz' }), fails(400, 'invalid accessor'));
  } finally {
    await t.close();
  }
});

test('computeRenewal refuses a token at its ceiling', () => {
  const entry = {
    type: 'service',
    renewable: true,
    creationTime: 0,
    creationTTL: 10,
    expireTime: 10_000,
    maxTTL: 30,
    explicitMaxTTL: 0,
    period: 0,
  } as unknown as TokenEntry;
  assert.equal(computeRenewal(entry, 5_000, 0, 0).ttl, 10);
  assert.equal(computeRenewal(entry, 25_000, 0, 0).ttl, 5);
  assert.equal(computeRenewal(entry, 15_000, 0, 20).ttl, 5, 'the tighter of token and mount max');
  assert.equal(computeRenewal(entry, 15_000, 3, 0).ttl, 3, 'an increment below the ceiling is granted');
  assert.throws(() => computeRenewal(entry, 30_000, 0, 0), /past the max TTL, cannot renew/);
});
