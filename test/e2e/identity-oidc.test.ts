/**
 * Identity tokens over HTTP on a real dev server process: named keys, roles, a signed ID token
 * for a userpass user's entity, the unauthenticated discovery documents a JWT library reads,
 * introspection, rotation, the issuer setting, and Vault's error answers.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { test } from 'node:test';
import { devServerForFile } from '../helpers/server-process.js';

const ROOT = 'oidc-e2e-root';
const call = devServerForFile(ROOT);

function decode(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; input: string; signature: Buffer } {
  const [h, c, s] = jwt.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>,
    input: `${h}.${c}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** Verify a JWT against a JWKS the way a relying party does: by kid, with the key's algorithm. */
function verifiedBy(jwt: string, jwks: { keys: Record<string, string>[] }): boolean {
  const { header, input, signature } = decode(jwt);
  const jwk = jwks.keys.find((k) => k['kid'] === header['kid']);
  if (jwk === undefined || jwk['alg'] !== header['alg']) return false;
  const { kid: _k, alg, use: _u, ...material } = jwk;
  const key = createPublicKey({ key: material, format: 'jwk' });
  const hash = alg === 'EdDSA' ? null : `sha${String(alg).slice(2)}`;
  return String(alg).startsWith('ES') ? verify(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature) : verify(hash, Buffer.from(input), key, signature);
}

async function login(user: string): Promise<{ token: string; entityId: string }> {
  const r = await call('POST', `auth/userpass/login/${user}`, { password: 'pw-123456' }, '');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { token: r.body.auth.client_token as string, entityId: r.body.auth.entity_id as string };
}

test('identity tokens: keys, roles, a signed ID token and what verifiers read', async () => {
  assert.equal((await call('POST', 'sys/auth/userpass', { type: 'userpass' })).status, 204);
  assert.equal((await call('POST', 'auth/userpass/users/alice', { password: 'pw-123456', token_policies: 'oidc-user' })).status, 204);
  await call('PUT', 'sys/policies/acl/oidc-user', { policy: 'path "identity/oidc/token/*" { capabilities = ["read"] }' });
  const alice = await login('alice');
  assert.notEqual(alice.entityId, '');
  await call('POST', `identity/entity/id/${alice.entityId}`, { metadata: { color: 'green' } });
  const group = await call('POST', 'identity/group', { name: 'web', member_entity_ids: [alice.entityId] });
  assert.equal(group.status, 200);

  // Keys: validation, then one ES256 key any role may use.
  assert.match((await call('POST', 'identity/oidc/key/k1', { rotation_period: '30s' })).body.errors[0], /rotation_period must be at least one minute/);
  assert.match((await call('POST', 'identity/oidc/key/k1', { rotation_period: '1h', verification_ttl: '11h' })).body.errors[0], /verification_ttl cannot be longer than 10x rotation_period/);
  assert.match((await call('POST', 'identity/oidc/key/k1', { algorithm: 'HS256' })).body.errors[0], /unknown signing algorithm "HS256"/);
  assert.equal((await call('POST', 'identity/oidc/key/k1', { algorithm: 'ES256', allowed_client_ids: '*', verification_ttl: '2h', rotation_period: '1h' })).status, 204);
  const key = await call('GET', 'identity/oidc/key/k1');
  assert.deepEqual(key.body.data, { algorithm: 'ES256', rotation_period: 3600, verification_ttl: 7200, allowed_client_ids: ['*'] });
  assert.deepEqual((await call('LIST', 'identity/oidc/key')).body.data.keys, ['k1']);

  // Roles: validation, then one with a template.
  assert.equal((await call('GET', 'identity/oidc/token/r1', undefined, alice.token)).body.errors[0], 'role "r1" not found');
  assert.equal((await call('POST', 'identity/oidc/role/r1', {})).body.errors[0], 'the key parameter is required');
  assert.equal((await call('POST', 'identity/oidc/role/r1', { key: 'nope' })).body.errors[0], 'key "nope" does not exist');
  assert.equal((await call('POST', 'identity/oidc/role/r1', { key: 'k1', ttl: '3h' })).body.errors[0], "a role's token ttl cannot be longer than the verification_ttl of the key it references");
  assert.match((await call('POST', 'identity/oidc/role/r1', { key: 'k1', template: '{"exp": 1}' })).body.errors[0], /top level key "exp" not allowed/);
  const template = '{"color": {{identity.entity.metadata.color}}, "groups": {{identity.entity.groups.names}}, "nbf": {{time.now}}}';
  assert.equal((await call('POST', 'identity/oidc/role/r1', { key: 'k1', ttl: '1h', template: Buffer.from(template).toString('base64') })).status, 204);
  const role = (await call('GET', 'identity/oidc/role/r1')).body.data;
  assert.match(role.client_id, /^[A-Za-z0-9]{26}$/);
  assert.deepEqual({ ...role, client_id: 'x' }, { client_id: 'x', key: 'k1', template: Buffer.from(template).toString('base64'), ttl: 3600 });
  assert.deepEqual((await call('LIST', 'identity/oidc/role')).body.data.keys, ['r1']);

  // The root token has no entity: no ID token.
  assert.equal((await call('GET', 'identity/oidc/token/r1')).body.errors[0], "no entity associated with the request's token");
  const issued = await call('GET', 'identity/oidc/token/r1', undefined, alice.token);
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal(issued.body.data.client_id, role.client_id);
  assert.equal(issued.body.data.ttl, 3600);
  const jwt = issued.body.data.token as string;
  const { header, claims } = decode(jwt);
  assert.equal(header['alg'], 'ES256');

  // Discovery: unauthenticated, and consistent with the token.
  const discovery = await call('GET', 'identity/oidc/.well-known/openid-configuration', undefined, '');
  assert.equal(discovery.status, 200);
  const issuer = discovery.body.issuer as string;
  assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+\/v1\/identity\/oidc$/);
  assert.equal(discovery.body.jwks_uri, `${issuer}/.well-known/keys`);
  assert.deepEqual(discovery.body.id_token_signing_alg_values_supported, ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
  const jwks = await call('GET', 'identity/oidc/.well-known/keys', undefined, '');
  assert.equal(jwks.status, 200);
  assert.match(jwks.headers.get('cache-control') ?? '', /^max-age=\d+$/);
  assert.equal(jwks.body.keys.length, 2, 'the signing key and the next one');
  assert.ok(jwks.body.keys.every((k: Record<string, string>) => k['use'] === 'sig' && k['alg'] === 'ES256' && !('d' in k)));
  assert.equal(verifiedBy(jwt, jwks.body), true);

  const iat = claims['iat'] as number;
  assert.deepEqual(claims, { color: 'green', groups: ['web'], nbf: iat, iss: issuer, namespace: 'root', sub: alice.entityId, aud: role.client_id, exp: iat + 3600, iat });
  assert.ok(Math.abs(iat - Date.now() / 1000) < 60);

  // Introspection (authenticated).
  assert.deepEqual((await call('POST', 'identity/oidc/introspect', { token: jwt })).body, { active: true });
  assert.deepEqual((await call('POST', 'identity/oidc/introspect', { token: jwt, client_id: role.client_id })).body, { active: true });
  assert.equal((await call('POST', 'identity/oidc/introspect', { token: jwt, client_id: 'other' })).body.active, false);
  const [h, , s] = jwt.split('.') as [string, string, string];
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${s}`;
  assert.deepEqual((await call('POST', 'identity/oidc/introspect', { token: forged })).body, { active: false, error: 'unable to validate the token signature' });
  assert.match((await call('POST', 'identity/oidc/introspect', { token: 'garbage' })).body.error, /^error parsing token/);
  assert.equal((await call('POST', 'identity/oidc/introspect', {})).status, 400);
  assert.equal((await call('POST', 'identity/oidc/introspect', { token: jwt }, '')).status, 403, 'introspection needs a token');

  // Rotation: the next key signs, the old one stays published; earlier tokens still verify.
  assert.equal((await call('POST', 'identity/oidc/key/k1/rotate')).status, 204);
  assert.equal((await call('POST', 'identity/oidc/key/none/rotate')).body.errors[0], 'no named key found at "none"');
  const after = await call('GET', 'identity/oidc/.well-known/keys', undefined, '');
  assert.equal(after.body.keys.length, 3);
  assert.equal(verifiedBy(jwt, after.body), true);
  const second = (await call('GET', 'identity/oidc/token/r1', undefined, alice.token)).body.data.token as string;
  assert.notEqual(decode(second).header['kid'], header['kid']);
  assert.ok(jwks.body.keys.some((k: Record<string, string>) => k['kid'] === decode(second).header['kid']), 'the new signer was published before it signed');
  assert.deepEqual((await call('POST', 'identity/oidc/introspect', { token: jwt })).body, { active: true });

  // A key that does not list the role's client ID refuses to sign for it.
  assert.equal((await call('POST', 'identity/oidc/key/k1', { allowed_client_ids: 'someone' })).status, 204);
  assert.equal((await call('GET', 'identity/oidc/token/r1', undefined, alice.token)).body.errors[0], 'the key "k1" does not list the client ID of the role "r1" as an allowed client ID');
  assert.equal((await call('POST', 'identity/oidc/key/k1', { allowed_client_ids: role.client_id })).status, 204);
  assert.equal((await call('GET', 'identity/oidc/token/r1', undefined, alice.token)).status, 200);
  assert.match((await call('POST', 'identity/oidc/key/k1', { verification_ttl: '30m' })).body.errors[0], /referenced by one or more roles with a token ttl greater than 1800 seconds/);

  // A disabled entity's tokens are no longer active.
  await call('POST', `identity/entity/id/${alice.entityId}`, { disabled: true });
  assert.deepEqual((await call('POST', 'identity/oidc/introspect', { token: second })).body, { active: false, error: 'entity is disabled' });
  await call('POST', `identity/entity/id/${alice.entityId}`, { disabled: false });

  // The issuer setting: validated, shown, and used from then on (older tokens no longer match it).
  assert.equal((await call('POST', 'identity/oidc/config', { issuer: 'ftp://x' })).status, 400);
  assert.equal((await call('POST', 'identity/oidc/config', { issuer: 'https://vault.example.com:8200/path' })).status, 400);
  const set = await call('POST', 'identity/oidc/config', { issuer: 'https://vault.example.com:8200' });
  assert.equal(set.status, 200);
  assert.match(set.body.warnings[0], /If "issuer" is set explicitly/);
  assert.deepEqual((await call('GET', 'identity/oidc/config')).body.data, { issuer: 'https://vault.example.com:8200' });
  const third = (await call('GET', 'identity/oidc/token/r1', undefined, alice.token)).body.data.token as string;
  assert.equal(decode(third).claims['iss'], 'https://vault.example.com:8200/v1/identity/oidc');
  assert.equal((await call('GET', 'identity/oidc/.well-known/openid-configuration', undefined, '')).body.jwks_uri, 'https://vault.example.com:8200/v1/identity/oidc/.well-known/keys');
  assert.deepEqual((await call('POST', 'identity/oidc/introspect', { token: third })).body, { active: true });
  assert.equal((await call('POST', 'identity/oidc/introspect', { token: second })).body.active, false);

  // A key in use cannot be deleted; after its role, it can.
  assert.equal((await call('DELETE', 'identity/oidc/key/k1')).body.errors[0], 'unable to delete key "k1" because it is currently referenced by these roles: r1');
  assert.equal((await call('DELETE', 'identity/oidc/role/r1')).status, 204);
  assert.equal((await call('DELETE', 'identity/oidc/key/k1')).status, 204);
  assert.equal((await call('GET', 'identity/oidc/key/k1')).status, 404);
  assert.deepEqual((await call('GET', 'identity/oidc/.well-known/keys', undefined, '')).body, { keys: [] });
});
