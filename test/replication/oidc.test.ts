/**
 * Identity tokens across performance replication: named keys and roles written at the primary
 * reach the secondary, which signs ID tokens for its own logins with the primary's keys and
 * publishes the same JWKS; a rotation asked for at the secondary is done by the primary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Cluster, ReplicationSet } from './harness.js';

function kidOf(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
}

test('a secondary issues identity tokens with the primary\'s keys, and its JWKS follows the primary\'s rotations', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    const s = await set.addSecondary('s1');
    await p.call('update', 'sys/auth/userpass', { type: 'userpass' });
    await p.call('update', 'sys/policies/acl/oidc', { policy: 'path "identity/oidc/token/*" { capabilities = ["read"] }' });
    await p.call('update', 'auth/userpass/users/dave', { password: 'pw-dave-123', token_policies: 'oidc' });
    await p.call('update', 'identity/oidc/key/k', { algorithm: 'ES256', allowed_client_ids: '*' });
    await p.call('update', 'identity/oidc/role/r', { key: 'k', ttl: '1h', template: '{"name": {{identity.entity.name}}}' });
    await set.converge();

    const jwks = async (c: Cluster): Promise<{ keys: { kid: string }[] }> =>
      (await c.call('read', 'identity/oidc/.well-known/keys', {}, ''))?.raw?.body as { keys: { kid: string }[] };
    assert.deepEqual(await jwks(s), await jwks(p));

    // A login at the secondary: its token is the secondary's own, its entity is replicated.
    const login = await s.call('update', 'auth/userpass/login/dave', { password: 'pw-dave-123' }, '');
    const token = login?.auth?.clientToken;
    assert.ok(typeof token === 'string' && token !== '', `login at the secondary: ${JSON.stringify(login)}`);
    const issued = await s.call('read', 'identity/oidc/token/r', {}, token);
    const jwt = issued?.data?.['token'] as string;
    assert.ok(typeof jwt === 'string', JSON.stringify(issued));
    const primaryKeys = await jwks(p);
    assert.ok(primaryKeys.keys.some((k) => k.kid === kidOf(jwt)), 'signed with a key the primary publishes');
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims['aud'], (await p.call('read', 'identity/oidc/role/r'))?.data?.['client_id']);
    assert.equal(typeof claims['name'], 'string');
    await set.converge();
    assert.deepEqual((await p.call('update', 'identity/oidc/introspect', { token: jwt }))?.raw?.body, { active: true }, 'the primary accepts what the secondary signed');

    // A rotation asked for at the secondary runs at the primary and comes back by replication.
    await s.call('update', 'identity/oidc/key/k/rotate', {});
    await set.converge();
    const after = await jwks(s);
    assert.deepEqual(after, await jwks(p));
    assert.equal(after.keys.length, 3, 'new signer, new next key, and the retired one');
    const second = (await s.call('read', 'identity/oidc/token/r', {}, token))?.data?.['token'] as string;
    assert.notEqual(kidOf(second), kidOf(jwt));
    assert.deepEqual((await s.call('update', 'identity/oidc/introspect', { token: jwt }))?.raw?.body, { active: true }, 'the old token still verifies at the secondary');
  } finally {
    await set.close();
  }
});
