/**
 * The OIDC provider over real HTTP on a dev server process: a userpass user's token asks the
 * authorization endpoint for a code, the relying party redeems it at the unauthenticated token
 * endpoint (form body, as OAuth clients send it), verifies the ID token against the provider's
 * JWKS, and reads userinfo with the access token as a Bearer token.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, test } from 'node:test';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'oidc-provider-e2e-root';
const CALLBACK = 'http://127.0.0.1:8250/callback';
let server: ServerProcess;
let url: string;

before(async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  url = server.url;
});
after(async () => {
  await server?.stop();
});

const root = (method: string, path: string, body?: unknown) => api(url, method, path, { token: ROOT, ...(body !== undefined ? { body } : {}) });

/** Verify a JWT against a JWKS the way a relying party does: by kid, with the key's algorithm. */
function verifiedClaims(jwt: string, jwks: { keys: Record<string, string>[] }): Record<string, unknown> {
  const [h, c, s] = jwt.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const jwk = jwks.keys.find((k) => k['kid'] === header['kid']);
  assert.ok(jwk !== undefined && jwk['alg'] === header['alg'] && header['alg'] === 'RS256');
  const { kid: _k, alg: _a, use: _u, ...material } = jwk;
  assert.ok(verify('sha256', Buffer.from(`${h}.${c}`), createPublicKey({ key: material, format: 'jwk' }), Buffer.from(s, 'base64url')), 'signature verifies');
  return JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>;
}

interface Flow {
  token: string;
  entityId: string;
  clientId: string;
  clientSecret: string;
}

let flow: Flow | undefined;

/** userpass user, assignment, client and provider "web" (set up once for the file). */
async function setUp(): Promise<Flow> {
  if (flow !== undefined) return flow;
  assert.equal((await root('POST', 'sys/auth/userpass', { type: 'userpass' })).status, 204);
  assert.equal((await root('POST', 'auth/userpass/users/carol', { password: 'pw-123456' })).status, 204);
  const login = await api(url, 'POST', 'auth/userpass/login/carol', { body: { password: 'pw-123456' } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const entityId = login.body.auth.entity_id as string;
  assert.equal((await root('POST', 'identity/oidc/scope/profile', { template: '{"username": {{identity.entity.name}}}' })).status, 204);
  assert.equal((await root('POST', 'identity/oidc/assignment/carol', { entity_ids: [entityId] })).status, 204);
  assert.equal((await root('POST', 'identity/oidc/client/web', { redirect_uris: [CALLBACK], assignments: ['carol'] })).status, 204);
  const client = await root('GET', 'identity/oidc/client/web');
  const clientId = client.body.data.client_id as string;
  let r = await root('POST', 'identity/oidc/provider/web', { allowed_client_ids: [clientId], scopes_supported: ['profile'] });
  assert.equal(r.status, 204, JSON.stringify(r.body));
  flow = { token: login.body.auth.client_token as string, entityId, clientId, clientSecret: client.body.data.client_secret as string };
  return flow;
}

async function authorize(f: Flow, state: string): Promise<string> {
  const query = new URLSearchParams({ client_id: f.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile', state, nonce: `nonce-${state}` });
  const r = await api(url, 'GET', `identity/oidc/provider/web/authorize?${query}`, { token: f.token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.state, state, 'a raw body, not the Vault envelope');
  return r.body.code as string;
}

test('oidc provider over HTTP: authorize, token (client_secret_post, form body), JWKS-verified ID token, userinfo', async () => {
  const f = await setUp();
  const code = await authorize(f, 's1');
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: f.clientId, client_secret: f.clientSecret });
  const r = await api(url, 'POST', 'identity/oidc/provider/web/token', { body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.body.token_type, 'Bearer');

  const discovery = await api(url, 'GET', 'identity/oidc/provider/web/.well-known/openid-configuration');
  assert.equal(discovery.status, 200);
  const issuer = `${url}/v1/identity/oidc/provider/web`;
  assert.equal(discovery.body.issuer, issuer);
  const jwks = await fetch(discovery.body.jwks_uri as string).then((res) => res.json() as Promise<{ keys: Record<string, string>[] }>);
  const claims = verifiedClaims(r.body.id_token as string, jwks);
  assert.equal(claims['iss'], issuer);
  assert.equal(claims['sub'], f.entityId);
  assert.equal(claims['aud'], f.clientId);
  assert.equal(claims['nonce'], 'nonce-s1');
  assert.match(String(claims['username']), /^entity_[0-9a-f]{8}$/);

  const info = await api(url, 'GET', 'identity/oidc/provider/web/userinfo', { headers: { Authorization: `Bearer ${r.body.access_token}` } });
  assert.equal(info.status, 200, JSON.stringify(info.body));
  assert.deepEqual(info.body, { sub: f.entityId, username: claims['username'] });

  // The code was spent; a wrong secret is 401 with OAuth's error shape.
  const reuse = await api(url, 'POST', 'identity/oidc/provider/web/token', { body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(reuse.status, 400);
  assert.equal(reuse.body.error, 'invalid_grant');
  const code2 = await authorize(f, 's2');
  const wrong = await api(url, 'POST', 'identity/oidc/provider/web/token', {
    body: { grant_type: 'authorization_code', code: code2, redirect_uri: CALLBACK, client_id: f.clientId, client_secret: 'hvo_secret_wrong' },
  });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'invalid_client');
});

test(
  'oidc provider over HTTP: token endpoint with client_secret_basic',
  async () => {
    const f = await setUp();
    const code = await authorize(f, 's3');
    const basic = Buffer.from(`${encodeURIComponent(f.clientId)}:${encodeURIComponent(f.clientSecret)}`).toString('base64');
    const r = await api(url, 'POST', 'identity/oidc/provider/web/token', {
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.token_type, 'Bearer');
  },
);
