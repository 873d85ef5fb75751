/**
 * sys/leases/* through the real pipeline of an in-process node (FakeClock), with a small
 * lease-issuing secrets engine mounted like any other: registration on read, lookup, list,
 * renew, revoke, prefix revocation, sudo on the protected paths, revocation with the token,
 * and expiry on schedule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackend, definePath } from '../../src/framework/index.js';
import { fails, grant, tokenNode, type TokenNode } from '../token/node-harness.js';

async function nodeWithEngine(): Promise<{ n: TokenNode; revoked: string[] }> {
  const n = await tokenNode({ defaultLeaseTTL: 3600, maxLeaseTTL: 7200 });
  const revoked: string[] = [];
  let seq = 0;
  n.node.core.registerBuiltin('leasetest', (ctx) =>
    createBackend(
      {
        paths: [
          definePath({
            pattern: 'creds/(?<role>\\w+)',
            fields: { role: { type: 'string', description: 'role' } },
            operations: {
              read: async (_req, f) => {
                const user = `${f.get('role')}-${++seq}`;
                return { data: { username: user }, secret: { type: 'cred', ttl: 600, renewable: true, internalData: { user } } };
              },
            },
            synopsis: 'creds',
            description: 'creds',
          }),
        ],
        secrets: {
          cred: {
            revoke: async (lease) => {
              revoked.push(String(lease.internalData['user']));
            },
            renew: async () => ({ ttl: 600 }),
          },
        },
        help: 'lease test engine',
      },
      ctx,
    ),
  );
  await n.call('update', 'sys/mounts/dyn', { type: 'leasetest' });
  return { n, revoked };
}

test('a typed secret gets a lease; lookup, list, renew and revoke work as Vault', async () => {
  const { n, revoked } = await nodeWithEngine();
  try {
    const resp = await n.call('read', 'dyn/creds/app');
    const leaseId = resp?.secret?.leaseId;
    assert.match(leaseId ?? '', /^dyn\/creds\/app\/[0-9A-Za-z]{24}$/);
    assert.equal(resp?.secret?.ttl, 600);
    assert.equal(resp?.secret?.internalData !== undefined, true, 'kept in memory only; the HTTP shell never renders it');

    const look = await n.call('update', 'sys/leases/lookup', { lease_id: leaseId });
    assert.equal(look?.data?.['id'], leaseId);
    assert.equal(look?.data?.['ttl'], 600);
    assert.equal(look?.data?.['renewable'], true);
    await assert.rejects(n.call('update', 'sys/leases/lookup', { lease_id: 'dyn/creds/app/nope' }), fails(400, 'invalid lease'));

    assert.deepEqual((await n.call('list', 'sys/leases/lookup/dyn/creds/'))?.data?.['keys'], ['app/']);
    assert.deepEqual((await n.call('list', 'sys/leases/lookup/dyn/creds/app'))?.data?.['keys'], [leaseId!.split('/')[3]]);

    n.clock.advance(100_000);
    const renewed = await n.call('update', 'sys/leases/renew', { lease_id: leaseId, increment: '1h' });
    assert.equal(renewed?.secret?.leaseId, leaseId);
    assert.equal(renewed?.secret?.ttl, 3600);
    const legacy = await n.call('update', `sys/renew/${leaseId}`, { increment: 99_999 });
    assert.equal(legacy?.secret?.ttl, 7200 - 100, 'capped by the mount max counted from issue');

    await n.call('update', 'sys/leases/revoke', { lease_id: leaseId });
    assert.equal(revoked.length, 1);
    await assert.rejects(n.call('update', 'sys/leases/lookup', { lease_id: leaseId }), fails(400, 'invalid lease'));
  } finally {
    await n.close();
  }
});

test('leases expire on time and are revoked with their token; prefix revocation needs sudo', async () => {
  const { n, revoked } = await nodeWithEngine();
  try {
    await n.policy('reader', grant({ 'dyn/creds/*': ['read'], 'sys/leases/revoke-prefix/*': ['update'] }));
    const tok = await n.token({ policies: ['reader'], ttl: '2h' });
    await n.call('read', 'dyn/creds/a', {}, tok);
    await n.call('read', 'dyn/creds/b', {}, tok);
    await n.call('read', 'dyn/creds/c');
    await assert.rejects(n.call('update', 'sys/leases/revoke-prefix/dyn/', {}, tok), fails(403, 'permission denied'));

    await n.call('update', 'auth/token/revoke', { token: tok });
    await n.node.core.expiration.drain();
    assert.deepEqual(revoked.sort(), ['a-1', 'b-2']);

    n.clock.advance(600_000);
    await n.node.core.expiration.drain();
    assert.deepEqual(revoked.sort(), ['a-1', 'b-2', 'c-3'], 'expired on schedule');

    await n.call('read', 'dyn/creds/d');
    await n.call('update', 'sys/leases/revoke-prefix/dyn/creds');
    assert.equal(revoked.length, 4);
  } finally {
    await n.close();
  }
});

test('an expired token is revoked by the queue: its children and leases go at its expiry', async () => {
  const { n, revoked } = await nodeWithEngine();
  try {
    await n.policy('reader', grant({ 'dyn/creds/*': ['read'], 'auth/token/create': ['update'] }));
    const parent = await n.token({ policies: ['reader'], ttl: '10m' });
    const child = await n.token({ policies: ['reader'], ttl: '1h' }, parent);
    await n.call('read', 'dyn/creds/x', {}, child);
    n.clock.advance(600_000);
    await n.node.core.expiration.drain();
    assert.deepEqual(revoked, ['x-1']);
    await assert.rejects(n.call('read', 'auth/token/lookup-self', {}, child), fails(403));
  } finally {
    await n.close();
  }
});

test('disabling a secrets engine revokes its leases first; disabling an auth method revokes its tokens', async () => {
  const { n, revoked } = await nodeWithEngine();
  try {
    await n.call('read', 'dyn/creds/z');
    await n.call('delete', 'sys/mounts/dyn');
    assert.deepEqual(revoked, ['z-1']);
    assert.deepEqual((await n.call('list', 'sys/leases/lookup/dyn/'))?.data?.['keys'] ?? [], []);

    await n.call('update', 'sys/auth/up', { type: 'userpass' });
    await n.call('update', 'auth/up/users/bob', { password: 'pw-123456' });
    const login = await n.call('update', 'auth/up/login/bob', { password: 'pw-123456' });
    const tok = login?.auth?.clientToken;
    assert.ok(tok);
    assert.ok(await n.call('read', 'auth/token/lookup-self', {}, tok));
    const other = await n.token({ policies: ['default'] });
    await n.call('delete', 'sys/auth/up');
    await assert.rejects(n.call('read', 'auth/token/lookup-self', {}, tok), fails(403));
    assert.ok(await n.call('read', 'auth/token/lookup-self', {}, other), 'tokens of other mounts stay');
  } finally {
    await n.close();
  }
});
