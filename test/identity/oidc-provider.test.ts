/**
 * The OIDC provider through the pipeline of an in-process node (fake clock): scopes,
 * assignments, clients and providers with Vault's validation; discovery and JWKS; the
 * authorization-code flow with client_secret_basic, client_secret_post and PKCE; ID token
 * signature and claims; userinfo; single-use, expiring codes and access tokens.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { matchesAny } from '../../src/core/special-paths.js';
import { CODE_TTL_MS } from '../../src/identity/oidc/provider-flow.js';
import { decodeJwt, type PublicJwk, verifyJwt } from '../../src/identity/oidc/signing-keys.js';
import type { Operation, Response } from '../../src/logical/request.js';
import { identityNode, type IdentityNode, ROOT } from './harness.js';

const ISSUER = 'https://arca.example:8200';
const CALLBACK = 'https://app.example/callback';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

async function withNode(fn: (h: IdentityNode) => Promise<void>): Promise<void> {
  const h = await identityNode();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

/** A request with headers (the harness's `call` sends none). */
let n = 0;
function send(h: IdentityNode, op: Operation, path: string, data: Record<string, unknown>, token: string, headers: Record<string, string> = {}): Promise<Response | undefined> {
  return h.node.pipeline.handle({ id: `oidc-p-${++n}`, operation: op, path, data, clientToken: token, headers, wrapTTL: 0, remoteAddr: '127.0.0.1' });
}

/** The raw answer of a flow endpoint: status and JSON body. */
async function rawCall(h: IdentityNode, op: Operation, path: string, data: Record<string, unknown>, token = '', headers: Record<string, string> = {}) {
  const r = await send(h, op, path, data, token, headers);
  assert.ok(r?.raw !== undefined, `no raw answer from ${op} ${path}`);
  return { status: r.raw.status, body: r.raw.body as Record<string, any>, headers: r.headers ?? {} };
}

async function userToken(h: IdentityNode, user: string): Promise<{ token: string; entityId: string }> {
  await h.call('update', `auth/userpass/users/${user}`, { password: `pw-${user}` });
  const auth = await h.userpassLogin(user, `pw-${user}`);
  return { token: auth.clientToken, entityId: auth.entityId };
}

interface Setup {
  alice: { token: string; entityId: string };
  mallory: { token: string; entityId: string };
  app: { client_id: string; client_secret: string };
  groupId: string;
}

/** userpass users alice (in group "eng", assigned) and mallory (not), a scope, a confidential client, provider "p". */
async function setUp(h: IdentityNode): Promise<Setup> {
  await h.enableAuth('userpass', 'userpass');
  const alice = await userToken(h, 'alice');
  const mallory = await userToken(h, 'mallory');
  await h.call('update', `identity/entity/id/${alice.entityId}`, { metadata: { color: 'green' } });
  const group = await h.data('update', 'identity/group', { name: 'eng', member_entity_ids: [alice.entityId] });
  const groupId = group['id'] as string;
  await h.call('update', 'identity/oidc/scope/groups', { template: '{"groups": {{identity.entity.groups.names}}}', description: 'group names' });
  await h.call('update', 'identity/oidc/scope/color', { template: Buffer.from('{"color": {{identity.entity.metadata.color}}}').toString('base64') });
  await h.call('update', 'identity/oidc/assignment/engineers', { group_ids: [groupId] });
  await h.call('update', 'identity/oidc/client/app', { redirect_uris: [CALLBACK], assignments: ['engineers'], id_token_ttl: '30m', access_token_ttl: '1h' });
  const app = (await h.data('read', 'identity/oidc/client/app')) as Setup['app'];
  await h.call('update', 'identity/oidc/provider/p', { issuer: ISSUER, allowed_client_ids: [app.client_id], scopes_supported: ['groups', 'color'] });
  return { alice, mallory, app, groupId };
}

function authorizeParams(s: Setup, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { client_id: s.app.client_id, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid groups color unknown', state: 'st-1', nonce: 'n-1', ...extra };
}

async function codeFor(h: IdentityNode, s: Setup, extra: Record<string, unknown> = {}, token = s.alice.token): Promise<string> {
  const r = await rawCall(h, 'update', 'identity/oidc/provider/p/authorize', authorizeParams(s, extra), token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body['state'], extra['state'] ?? 'st-1');
  assert.match(String(r.body['code']), /^[A-Za-z0-9]{32}$/);
  return r.body['code'] as string;
}

function basic(id: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

function halfSha256(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

test('special paths: "+" matches exactly one segment, with a trailing "*" as prefix', () => {
  const globs = ['oidc/provider/+/token', 'oidc/provider/+/.well-known/*', 'oidc/.well-known/*'];
  assert.equal(matchesAny(globs, 'oidc/provider/p/token'), true);
  assert.equal(matchesAny(globs, 'oidc/provider/p/token/'), true);
  assert.equal(matchesAny(globs, 'oidc/provider/p/authorize'), false);
  assert.equal(matchesAny(globs, 'oidc/provider//token'), false);
  assert.equal(matchesAny(globs, 'oidc/provider/a/b/token'), false);
  assert.equal(matchesAny(globs, 'oidc/provider/p/.well-known/keys'), true);
  assert.equal(matchesAny(globs, 'oidc/provider/p/.well-known'), false);
  assert.equal(matchesAny(globs, 'oidc/provider/p'), false);
  assert.equal(matchesAny(globs, 'oidc/.well-known/keys'), true);
});

test('oidc provider config: scopes, assignments, clients and providers with Vault\'s validation', () =>
  withNode(async (h) => {
    // Scopes.
    await h.fails('update', 'identity/oidc/scope/openid', { template: '{}' }, 400, 'the "openid" scope name is reserved');
    await h.fails('update', 'identity/oidc/scope/bad', { template: '{"sub": "x"}' }, 400);
    await h.fails('update', 'identity/oidc/scope/bad', { template: '{"a": ' }, 400);
    await h.call('update', 'identity/oidc/scope/groups', { template: '{"groups": {{identity.entity.groups.names}}}', description: 'd1' });
    await h.call('update', 'identity/oidc/scope/groups', { description: 'd2' });
    assert.deepEqual(await h.data('read', 'identity/oidc/scope/groups'), { template: '{"groups": {{identity.entity.groups.names}}}', description: 'd2' });
    assert.deepEqual((await h.data('list', 'identity/oidc/scope'))['keys'], ['groups']);

    // Assignments, with the built-in allow_all.
    await h.call('update', 'identity/oidc/assignment/a1', { entity_ids: 'e1,e2', group_ids: ['g1'] });
    assert.deepEqual(await h.data('read', 'identity/oidc/assignment/a1'), { entity_ids: ['e1', 'e2'], group_ids: ['g1'] });
    assert.deepEqual(await h.data('read', 'identity/oidc/assignment/allow_all'), { entity_ids: ['*'], group_ids: ['*'] });
    assert.deepEqual((await h.data('list', 'identity/oidc/assignment'))['keys'], ['a1', 'allow_all']);
    await h.fails('update', 'identity/oidc/assignment/allow_all', { entity_ids: 'e1' }, 400, 'modification of assignment "allow_all" not allowed');
    await h.fails('delete', 'identity/oidc/assignment/allow_all', {}, 400, 'deletion of assignment "allow_all" not allowed');

    // Clients: assignments and key must exist; the default key is made on first use.
    await h.fails('update', 'identity/oidc/client/app', { assignments: 'nope' }, 400, 'assignment "nope" does not exist');
    await h.fails('update', 'identity/oidc/client/app', { key: 'nope' }, 400, 'key "nope" does not exist');
    await h.fails('update', 'identity/oidc/client/app', { client_type: 'secretive' }, 400, 'invalid client_type "secretive"');
    assert.equal(await h.call('read', 'identity/oidc/key/default'), undefined);
    await h.call('update', 'identity/oidc/client/app', { redirect_uris: CALLBACK, assignments: 'a1' });
    const app = await h.data('read', 'identity/oidc/client/app');
    assert.match(String(app['client_id']), /^[A-Za-z0-9]{32}$/);
    assert.match(String(app['client_secret']), /^hvo_secret_[A-Za-z0-9]{64}$/);
    assert.deepEqual({ ...app, client_id: 'x', client_secret: 'y' }, {
      client_id: 'x',
      client_secret: 'y',
      client_type: 'confidential',
      redirect_uris: [CALLBACK],
      assignments: ['a1'],
      key: 'default',
      id_token_ttl: 86400,
      access_token_ttl: 86400,
    });
    assert.deepEqual(await h.data('read', 'identity/oidc/key/default'), { algorithm: 'RS256', rotation_period: 86400, verification_ttl: 86400, allowed_client_ids: ['*'] });
    // Updates keep the credentials; the type is fixed.
    await h.call('update', 'identity/oidc/client/app', { redirect_uris: [CALLBACK, 'http://127.0.0.1:8250/cb'], access_token_ttl: '2h' });
    const updated = await h.data('read', 'identity/oidc/client/app');
    assert.equal(updated['client_id'], app['client_id']);
    assert.equal(updated['client_secret'], app['client_secret']);
    assert.equal(updated['access_token_ttl'], 7200);
    assert.equal((updated['redirect_uris'] as string[]).length, 2);
    await h.fails('update', 'identity/oidc/client/app', { client_type: 'public' }, 400, 'client_type cannot be updated');
    await h.call('update', 'identity/oidc/key/short', { verification_ttl: '1h', rotation_period: '1h' });
    await h.fails('update', 'identity/oidc/client/app', { key: 'short' }, 400, "a client's id_token_ttl cannot be longer than the verification_ttl of the key it references");
    await h.call('update', 'identity/oidc/client/spa', { client_type: 'public', key: 'short', id_token_ttl: '10m' });
    const spa = await h.data('read', 'identity/oidc/client/spa');
    assert.equal(spa['client_type'], 'public');
    assert.ok(!('client_secret' in spa), 'a public client has no secret');
    assert.deepEqual((await h.data('list', 'identity/oidc/client'))['keys'], ['app', 'spa']);

    // Providers: the built-in default, issuer and scope validation, the allowed_client_id filter.
    const apiAddr = h.node.core.apiAddr;
    assert.deepEqual(await h.data('read', 'identity/oidc/provider/default'), {
      issuer: `${apiAddr}/v1/identity/oidc/provider/default`,
      allowed_client_ids: ['*'],
      scopes_supported: [],
    });
    await h.fails('update', 'identity/oidc/provider/p', { scopes_supported: 'missing' }, 400, 'scope "missing" does not exist');
    await h.fails('update', 'identity/oidc/provider/p', { issuer: 'https://x.example/path' }, 400);
    await h.call('update', 'identity/oidc/provider/p', { issuer: ISSUER, allowed_client_ids: [spa['client_id']], scopes_supported: 'groups' });
    assert.deepEqual(await h.data('read', 'identity/oidc/provider/p'), {
      issuer: `${ISSUER}/v1/identity/oidc/provider/p`,
      allowed_client_ids: [spa['client_id']],
      scopes_supported: ['groups'],
    });
    const listed = await h.data('list', 'identity/oidc/provider');
    assert.deepEqual(listed['keys'], ['default', 'p']);
    assert.deepEqual((listed['key_info'] as Record<string, any>)['p'].scopes_supported, ['groups']);
    assert.deepEqual((await h.data('list', 'identity/oidc/provider', { allowed_client_id: app['client_id'] }))['keys'], ['default']);
    assert.deepEqual((await h.data('list', 'identity/oidc/provider', { allowed_client_id: spa['client_id'] }))['keys'], ['default', 'p']);

    // What is in use cannot be deleted.
    await h.fails('delete', 'identity/oidc/provider/default', {}, 400, 'deletion of OIDC provider "default" not allowed');
    await h.fails('delete', 'identity/oidc/scope/groups', {}, 400, 'unable to delete scope "groups" because it is currently referenced by these providers: p');
    await h.fails('delete', 'identity/oidc/assignment/a1', {}, 400, 'unable to delete assignment "a1" because it is currently referenced by these clients: app');
    await h.fails('delete', 'identity/oidc/key/short', {}, 400, 'unable to delete key "short" because it is currently referenced by these clients: spa');
    await h.call('delete', 'identity/oidc/provider/p');
    await h.call('delete', 'identity/oidc/scope/groups');
    await h.call('delete', 'identity/oidc/client/app');
    await h.call('delete', 'identity/oidc/assignment/a1');
    assert.equal(await h.call('read', 'identity/oidc/provider/p'), undefined);
    assert.deepEqual((await h.data('list', 'identity/oidc/assignment'))['keys'], ['allow_all']);
  }));

test('oidc provider discovery: openid-configuration and the JWKS of the keys of the allowed clients, without a token', () =>
  withNode(async (h) => {
    await setUp(h);
    await h.call('update', 'identity/oidc/key/other', { algorithm: 'ES256', allowed_client_ids: '*' });
    await h.call('update', 'identity/oidc/client/elsewhere', { key: 'other', assignments: 'allow_all' });
    const iss = `${ISSUER}/v1/identity/oidc/provider/p`;
    const doc = await rawCall(h, 'read', 'identity/oidc/provider/p/.well-known/openid-configuration', {});
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['Cache-Control'], 'max-age=3600');
    assert.deepEqual(doc.body, {
      issuer: iss,
      jwks_uri: `${iss}/.well-known/keys`,
      authorization_endpoint: `${iss}/authorize`,
      token_endpoint: `${iss}/token`,
      userinfo_endpoint: `${iss}/userinfo`,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      id_token_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      response_types_supported: ['code'],
      scopes_supported: ['openid', 'groups', 'color'],
      claims_supported: [],
      subject_types_supported: ['public'],
      grant_types_supported: ['authorization_code'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['plain', 'S256'],
    });
    const jwks = await rawCall(h, 'read', 'identity/oidc/provider/p/.well-known/keys', {});
    const kids = (jwks.body['keys'] as PublicJwk[]).map((k) => k.kid).sort();
    const defaultKey = (await h.node.pipeline.handle({ id: 'k', operation: 'read', path: 'identity/oidc/.well-known/keys', data: {}, clientToken: '', headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' }))?.raw?.body as { keys: PublicJwk[] };
    assert.equal(kids.length, 2, 'signing and next key of the default key only');
    assert.ok(kids.every((kid) => defaultKey.keys.some((k) => k.kid === kid)));
    assert.ok((jwks.body['keys'] as PublicJwk[]).every((k) => k.alg === 'RS256'), 'the ES256 key of a client the provider does not allow is not published');
    assert.match(String(jwks.headers['Cache-Control']), /^max-age=\d+$/);
    // The default provider allows every client: both keys.
    const all = await rawCall(h, 'read', 'identity/oidc/provider/default/.well-known/keys', {});
    assert.equal((all.body['keys'] as PublicJwk[]).length, 4);
    assert.equal(await send(h, 'read', 'identity/oidc/provider/nope/.well-known/openid-configuration', {}, ''), undefined);
    // The CRUD paths next to them still need a token.
    await h.fails('read', 'identity/oidc/provider/p', {}, 403, undefined, '');
  }));

test('oidc provider flow: authorize, token with client_secret_basic and client_secret_post, ID token, userinfo', () =>
  withNode(async (h) => {
    const s = await setUp(h);
    const jwks = (await rawCall(h, 'read', 'identity/oidc/provider/p/.well-known/keys', {})).body['keys'] as PublicJwk[];

    // client_secret_basic.
    const code = await codeFor(h, s);
    const r = await rawCall(h, 'update', 'identity/oidc/provider/p/token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, '', basic(s.app.client_id, s.app.client_secret));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.headers['Cache-Control'], 'no-store');
    assert.equal(r.body['token_type'], 'Bearer');
    assert.equal(r.body['expires_in'], 3600);
    const accessToken = r.body['access_token'] as string;
    const jwt = decodeJwt(r.body['id_token'] as string);
    assert.ok(jwt !== undefined);
    const jwk = jwks.find((k) => k.kid === jwt.header.kid);
    assert.ok(jwk !== undefined, 'signed by a key the provider publishes');
    assert.equal(verifyJwt(jwt, jwk), true);
    const at = Math.floor(h.clock.now() / 1000);
    const c = jwt.claims;
    assert.deepEqual(c, {
      iss: `${ISSUER}/v1/identity/oidc/provider/p`,
      namespace: 'root',
      sub: s.alice.entityId,
      aud: s.app.client_id,
      iat: at,
      exp: at + 1800,
      auth_time: c['auth_time'],
      nonce: 'n-1',
      at_hash: halfSha256(accessToken),
      c_hash: halfSha256(code),
      groups: ['eng'],
      color: 'green',
    });
    assert.ok(typeof c['auth_time'] === 'number' && c['auth_time'] <= at && c['auth_time'] > at - 60, 'auth_time is when the Vault token was issued');

    // userinfo: sub and the granted scopes' claims.
    const info = await rawCall(h, 'read', 'identity/oidc/provider/p/userinfo', {}, accessToken);
    assert.equal(info.status, 200);
    assert.deepEqual(info.body, { sub: s.alice.entityId, groups: ['eng'], color: 'green' });
    const bad = await rawCall(h, 'read', 'identity/oidc/provider/p/userinfo', {}, 'not-a-token');
    assert.equal(bad.status, 401);
    assert.equal(bad.body['error'], 'invalid_token');
    assert.equal((await rawCall(h, 'read', 'identity/oidc/provider/default/userinfo', {}, accessToken)).status, 401, 'another provider does not accept it');

    // The code is single use.
    const again = await rawCall(h, 'update', 'identity/oidc/provider/p/token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, '', basic(s.app.client_id, s.app.client_secret));
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, { error: 'invalid_grant', error_description: 'authorization grant is invalid or expired' });

    // client_secret_post, with only the openid scope and no nonce: no scope claims, no nonce.
    const code2 = await codeFor(h, s, { scope: 'openid', nonce: '', state: 'st-2' });
    const post = await rawCall(h, 'update', 'identity/oidc/provider/p/token', {
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: CALLBACK,
      client_id: s.app.client_id,
      client_secret: s.app.client_secret,
    });
    assert.equal(post.status, 200, JSON.stringify(post.body));
    const claims2 = decodeJwt(post.body['id_token'] as string)?.claims ?? {};
    assert.ok(!('nonce' in claims2) && !('groups' in claims2));
    assert.deepEqual((await rawCall(h, 'read', 'identity/oidc/provider/p/userinfo', {}, post.body['access_token'] as string)).body, { sub: s.alice.entityId });

    // Access tokens expire.
    h.clock.advance(3600_000 + 1000);
    assert.equal((await rawCall(h, 'read', 'identity/oidc/provider/p/userinfo', {}, accessToken)).status, 401);
  }));

test('oidc provider flow: the errors of authorize and token', () =>
  withNode(async (h) => {
    const s = await setUp(h);
    const authorize = (extra: Record<string, unknown>, token = s.alice.token) => rawCall(h, 'update', 'identity/oidc/provider/p/authorize', authorizeParams(s, extra), token);
    const expectError = async (p: Promise<{ status: number; body: Record<string, any> }>, status: number, error: string): Promise<void> => {
      const r = await p;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body['error'], error, JSON.stringify(r.body));
      assert.equal(typeof r.body['error_description'], 'string');
    };
    // Authorize needs a Vault token at all (the default policy grants the path).
    await h.fails('update', 'identity/oidc/provider/p/authorize', authorizeParams(s), 403, undefined, '');
    await expectError(authorize({ redirect_uri: 'https://evil.example/cb' }), 400, 'invalid_request');
    await expectError(authorize({ client_id: 'nope' }), 400, 'invalid_request');
    await expectError(authorize({ scope: 'groups' }), 400, 'invalid_scope');
    await expectError(authorize({ response_type: 'token' }), 400, 'unsupported_response_type');
    await expectError(authorize({ code_challenge: VERIFIER, code_challenge_method: 'S512' }), 400, 'invalid_request');
    await expectError(authorize({}, s.mallory.token), 400, 'access_denied');
    await expectError(authorize({}, ROOT), 400, 'access_denied');
    const state = (await authorize({ client_id: 'nope', state: 'keep-me' })).body['state'];
    assert.equal(state, 'keep-me', 'an error answer carries the state back');
    // A client the provider does not allow.
    await h.call('update', 'identity/oidc/client/other', { redirect_uris: CALLBACK, assignments: 'allow_all' });
    const other = await h.data('read', 'identity/oidc/client/other');
    await expectError(authorize({ client_id: other['client_id'] }), 400, 'unauthorized_client');
    // max_age counts from when the Vault token was issued.
    h.clock.advance(120_000);
    await expectError(authorize({ max_age: 60 }), 400, 'login_required');
    await codeFor(h, s, { max_age: 600 });

    const exchange = (code: string, extra: Record<string, unknown> = {}, headers = basic(s.app.client_id, s.app.client_secret)) =>
      rawCall(h, 'update', 'identity/oidc/provider/p/token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, ...extra }, '', headers);
    // Client authentication comes first: a wrong secret is 401 whatever the code.
    const wrong = await exchange(await codeFor(h, s), {}, basic(s.app.client_id, `${s.app.client_secret}x`));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body['error'], 'invalid_client');
    assert.equal(wrong.headers['WWW-Authenticate'], 'Basic realm="token"');
    await expectError(exchange('whatever', {}, {}), 401, 'invalid_client');
    await expectError(exchange('whatever', { client_id: s.app.client_id }, {}), 401, 'invalid_client');
    await expectError(exchange(await codeFor(h, s), { grant_type: 'refresh_token' }), 400, 'unsupported_grant_type');
    await expectError(exchange('', {}), 400, 'invalid_request');
    // A wrong redirect_uri spends the code.
    const code = await codeFor(h, s);
    const mismatch = await exchange(code, { redirect_uri: 'http://127.0.0.1:8250/cb' });
    assert.deepEqual(mismatch.body, { error: 'invalid_grant', error_description: 'redirect_uri does not match the redirect_uri used in the authorization request' });
    await expectError(exchange(code), 400, 'invalid_grant');
    // A verifier without a challenge.
    await expectError(exchange(await codeFor(h, s), { code_verifier: VERIFIER }), 400, 'invalid_grant');
    // Codes expire after five minutes.
    const late = await codeFor(h, s);
    h.clock.advance(CODE_TTL_MS + 1000);
    await expectError(exchange(late), 400, 'invalid_grant');
    // An entity removed from the assignment after authorizing gets no tokens.
    const removed = await codeFor(h, s);
    await h.call('update', 'identity/oidc/assignment/engineers', { group_ids: [], entity_ids: ['someone-else'] });
    await expectError(exchange(removed), 400, 'invalid_grant');
  }));

test('oidc provider flow: a public client with PKCE (S256 and plain), no secret, wrong verifier refused', () =>
  withNode(async (h) => {
    const s = await setUp(h);
    await h.call('update', 'identity/oidc/client/spa', { client_type: 'public', redirect_uris: CALLBACK, assignments: 'allow_all' });
    const spa = (await h.data('read', 'identity/oidc/client/spa'))['client_id'] as string;
    await h.call('update', 'identity/oidc/provider/p', { allowed_client_ids: [s.app.client_id, spa] });
    const authorize = (extra: Record<string, unknown>) => rawCall(h, 'update', 'identity/oidc/provider/p/authorize', authorizeParams(s, { client_id: spa, ...extra }), s.mallory.token);
    const exchange = (code: string, verifier: string) =>
      rawCall(h, 'update', 'identity/oidc/provider/p/token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: spa, code_verifier: verifier });

    const missing = await authorize({});
    assert.deepEqual(missing.body, { error: 'invalid_request', error_description: 'PKCE is required for public clients', state: 'st-1' });

    const challenge = createHash('sha256').update(VERIFIER).digest('base64url');
    const code = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).body['code'] as string;
    const ok = await exchange(code, VERIFIER);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const claims = decodeJwt(ok.body['id_token'] as string)?.claims;
    assert.equal(claims?.['sub'], s.mallory.entityId);
    assert.equal(claims?.['aud'], spa);

    const code2 = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).body['code'] as string;
    const wrongVerifier = await exchange(code2, `${VERIFIER.slice(0, -1)}A`);
    assert.deepEqual(wrongVerifier.body, { error: 'invalid_grant', error_description: 'failed to verify the PKCE code_verifier' });
    assert.equal((await exchange(code2, VERIFIER)).status, 400, 'the code was spent by the failed attempt');
    const code3 = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).body['code'] as string;
    assert.equal((await exchange(code3, '')).body['error'], 'invalid_request');

    // plain: the verifier is the challenge.
    const code4 = (await authorize({ code_challenge: VERIFIER })).body['code'] as string;
    assert.equal((await exchange(code4, VERIFIER)).status, 200);
  }));
