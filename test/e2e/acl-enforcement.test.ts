/**
 * ACL enforcement over real HTTP: non-root tokens get exactly what their policies grant, for
 * every capability, on KV v1 and KV v2 paths, with parameter constraints, wrapping TTL bounds,
 * "+" and "*" patterns, deny, and sudo on root-protected sys/ paths; everything else is 403
 * "permission denied". The capabilities endpoints report what the pipeline enforces.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/server-process.js';
import { startAclHarness, type AclHarness, type MintedToken } from './acl-harness.js';

let h: AclHarness;

const POLICIES: Record<string, string> = {
  'p-read': 'path "kv/r/*" { capabilities = ["read"] }',
  'p-create': 'path "kv/c/*" { capabilities = ["create"] }',
  'p-update': 'path "kv/u/*" { capabilities = ["update"] }',
  'p-delete': 'path "kv/d/*" { capabilities = ["delete"] }',
  'p-list': 'path "kv/l/" { capabilities = ["list"] }\npath "kv/l2" { capabilities = ["list"] }',
  'p-patch': 'path "secret/data/p" { capabilities = ["patch"] }',
  'p-kv2': [
    'path "secret/data/app/*" { capabilities = ["read"] }',
    'path "secret/metadata/app/*" { capabilities = ["list"] }',
  ].join('\n'),
  'p-sudo': 'path "sys/auth/*" { capabilities = ["create", "read", "update", "delete", "sudo"] }',
  'p-nosudo': [
    'path "sys/auth/*" { capabilities = ["create", "read", "update", "delete"] }',
    'path "sys/auth" { capabilities = ["read"] }',
    'path "sys/mounts/*" { capabilities = ["read"] }',
  ].join('\n'),
  'p-deny': [
    'path "kv/x/*" { capabilities = ["read", "list"] }',
    'path "kv/x/secret" { capabilities = ["deny"] }',
  ].join('\n'),
  'p-grant-x': 'path "kv/x/secret" { capabilities = ["read"] }\npath "kv/x/*" { capabilities = ["deny"] }',
  'p-params': [
    'path "kv/allowed" {',
    '  capabilities = ["create", "update"]',
    '  allowed_parameters = { "color" = ["red", "blu*"], "size" = [] }',
    '}',
    'path "kv/denied" {',
    '  capabilities = ["create", "update"]',
    '  denied_parameters = { "admin" = [], "mode" = ["root*"] }',
    '}',
    'path "kv/required" {',
    '  capabilities = ["create", "update"]',
    '  required_parameters = ["owner"]',
    '}',
  ].join('\n'),
  'p-wrap': 'path "kv/wrapped" {\n  capabilities = ["read"]\n  min_wrapping_ttl = "1m"\n  max_wrapping_ttl = "10m"\n}',
  'p-globs': 'path "kv/+/shared" { capabilities = ["read"] }\npath "kv/pre*" { capabilities = ["read"] }',
};

const asRoot = (method: string, path: string, body?: unknown) => api(h.url, method, path, { token: h.root, ...(body !== undefined ? { body } : {}) });
const as = (t: MintedToken | string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  api(h.url, method, path, { token: typeof t === 'string' ? t : t.token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

function assertDenied(r: { status: number; body: any }, what: string): void {
  assert.equal(r.status, 403, `${what}: expected 403, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body, { errors: ['permission denied'] }, what);
}

function assertAllowed(r: { status: number; body: any }, what: string): void {
  assert.ok(r.status < 300 || r.status === 404, `${what}: expected success, got ${r.status} ${JSON.stringify(r.body)}`);
}

const tokens: Record<string, MintedToken> = {};

before(async () => {
  h = await startAclHarness();
  let r = await asRoot('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '1' } });
  assert.equal(r.status, 204);
  for (const [name, text] of Object.entries(POLICIES)) {
    r = await asRoot('PUT', `sys/policies/acl/${name}`, { policy: text });
    assert.equal(r.status, 204, `${name}: ${JSON.stringify(r.body)}`);
  }
  for (const path of ['kv/r/a', 'kv/u/a', 'kv/d/a', 'kv/l/one', 'kv/l2/two', 'kv/x/open', 'kv/x/secret', 'kv/team1/shared', 'kv/prefix-a', 'kv/pre/b', 'kv/pr', 'kv/wrapped']) {
    r = await asRoot('PUT', path, { v: path });
    assert.equal(r.status, 204);
  }
  for (const path of ['secret/data/app/one', 'secret/data/p', 'secret/data/other']) {
    r = await asRoot('PUT', path, { data: { v: path } });
    assert.equal(r.status, 200);
  }
  for (const name of Object.keys(POLICIES)) tokens[name] = await h.mint([name]);
});
after(async () => {
  await h?.close();
});

test('harness mode', (t) => {
  t.diagnostic(`tokens minted ${h.mode === 'process' ? 'through auth/token/create on a server process' : 'in-process (auth/token/create not available yet)'}`);
});

test('read, create, update, delete and list each need their own capability', async () => {
  const { 'p-read': r, 'p-create': c, 'p-update': u, 'p-delete': d, 'p-list': l } = tokens as Record<string, MintedToken>;
  assertAllowed(await as(r!, 'GET', 'kv/r/a'), 'read with read');
  assert.deepEqual((await as(r!, 'GET', 'kv/r/a')).body.data, { v: 'kv/r/a' });
  assertDenied(await as(r!, 'PUT', 'kv/r/a', { v: 1 }), 'update with read');
  assertDenied(await as(r!, 'DELETE', 'kv/r/a'), 'delete with read');
  assertDenied(await as(r!, 'LIST', 'kv/r'), 'list with read');
  assertDenied(await as(r!, 'GET', 'kv/rr'), 'read outside the glob');

  // create: only where nothing exists yet (KV v1 has an existence check).
  assertAllowed(await as(c!, 'PUT', 'kv/c/new', { v: 1 }), 'create with create');
  assertDenied(await as(c!, 'PUT', 'kv/c/new', { v: 2 }), 'update with create only');
  assertDenied(await as(c!, 'GET', 'kv/c/new'), 'read with create');

  assertAllowed(await as(u!, 'PUT', 'kv/u/a', { v: 2 }), 'update with update');
  assertDenied(await as(u!, 'PUT', 'kv/u/brand-new', { v: 1 }), 'create with update only');
  assert.deepEqual((await asRoot('GET', 'kv/u/a')).body.data, { v: 2 });

  assertDenied(await as(d!, 'GET', 'kv/d/a'), 'read with delete');
  assert.equal((await as(d!, 'DELETE', 'kv/d/a')).status, 204);
  assert.equal((await asRoot('GET', 'kv/d/a')).status, 404);

  const listed = await as(l!, 'LIST', 'kv/l');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.data.keys, ['one']);
  assert.equal((await as(l!, 'GET', 'kv/l?list=true')).status, 200);
  // A rule written without the trailing slash also grants the list of "kv/l2/".
  assert.deepEqual((await as(l!, 'LIST', 'kv/l2')).body.data.keys, ['two']);
  assertDenied(await as(l!, 'GET', 'kv/l/one'), 'read with list');
  assertDenied(await as(l!, 'LIST', 'kv'), 'list of the parent');
});

test('KV v2: data/ and metadata/ are separate paths; patch needs patch', async () => {
  const k = tokens['p-kv2']!;
  const read = await as(k, 'GET', 'secret/data/app/one');
  assert.equal(read.status, 200);
  assert.deepEqual(read.body.data.data, { v: 'secret/data/app/one' });
  assert.deepEqual((await as(k, 'LIST', 'secret/metadata/app')).body.data.keys, ['one']);
  assertDenied(await as(k, 'GET', 'secret/metadata/app/one'), 'metadata read with list');
  assertDenied(await as(k, 'PUT', 'secret/data/app/one', { data: { v: 'x' } }), 'write with read');
  assertDenied(await as(k, 'DELETE', 'secret/data/app/one'), 'soft delete with read');
  assertDenied(await as(k, 'GET', 'secret/data/other'), 'read outside app/');
  assertDenied(await as(k, 'LIST', 'secret/metadata'), 'list of the mount root');

  const p = tokens['p-patch']!;
  const patched = await as(p, 'PATCH', 'secret/data/p', { data: { extra: 'y' } }, { 'Content-Type': 'application/merge-patch+json' });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.deepEqual((await asRoot('GET', 'secret/data/p')).body.data.data, { v: 'secret/data/p', extra: 'y' });
  assertDenied(await as(p, 'PUT', 'secret/data/p', { data: { v: 'z' } }), 'update with patch');
  assertDenied(await as(p, 'GET', 'secret/data/p'), 'read with patch');
});

test('sudo: root-protected sys/ paths need it, others do not', async () => {
  const s = tokens['p-sudo']!;
  const n = tokens['p-nosudo']!;
  assert.equal((await as(s, 'GET', 'sys/auth/token')).status, 200);
  assertDenied(await as(n, 'GET', 'sys/auth/token'), 'sys/auth/:path without sudo');
  assertDenied(await as(n, 'POST', 'sys/auth/up', { type: 'userpass' }), 'enable auth without sudo');
  // Listing auth methods and reading mounts are not root-protected.
  assert.equal((await as(n, 'GET', 'sys/auth')).status, 200);
  assert.equal((await as(n, 'GET', 'sys/mounts/secret')).status, 200);
  // sudo alone grants nothing on paths outside the rule.
  assertDenied(await as(s, 'GET', 'sys/mounts/secret'), 'sys/mounts with sudo elsewhere');
  assertDenied(await as(s, 'POST', 'sys/seal'), 'seal without a rule');
  // The capabilities report sudo only where a rule grants it.
  const caps = await as(s, 'POST', 'sys/capabilities-self', { paths: ['sys/auth/token', 'sys/seal'] });
  assert.deepEqual(caps.body.data['sys/auth/token'], ['create', 'delete', 'read', 'sudo', 'update']);
  assert.deepEqual(caps.body.data['sys/seal'], ['deny']);
});

test('deny overrides: an exact deny beats a glob grant, and merges across policies', async () => {
  const d = tokens['p-deny']!;
  assert.equal((await as(d, 'GET', 'kv/x/open')).status, 200);
  assertDenied(await as(d, 'GET', 'kv/x/secret'), 'exact deny');
  // LIST kv/x is a request for "kv/x/", which the glob "kv/x/*" covers.
  assert.equal((await as(d, 'LIST', 'kv/x')).status, 200);
  assertDenied(await as(d, 'LIST', 'kv'), 'list above the glob');
  // p-grant-x grants read on kv/x/secret exactly; with p-deny the same pattern merges to deny.
  const both = await h.mint(['p-deny', 'p-grant-x']);
  assertDenied(await as(both, 'GET', 'kv/x/secret'), 'deny merged with a grant');
  // Alone, p-grant-x's exact rule beats its own glob deny.
  assert.equal((await as(tokens['p-grant-x']!, 'GET', 'kv/x/secret')).status, 200);
  assertDenied(await as(tokens['p-grant-x']!, 'GET', 'kv/x/open'), 'glob deny');
});

test('parameter constraints: allowed, denied and required', async () => {
  const t = tokens['p-params']!;
  assertAllowed(await as(t, 'PUT', 'kv/allowed', { color: 'red', size: 3 }), 'allowed values');
  assertAllowed(await as(t, 'PUT', 'kv/allowed', { color: 'blue-green' }), 'value glob');
  assertDenied(await as(t, 'PUT', 'kv/allowed', { color: 'green' }), 'value not allowed');
  assertDenied(await as(t, 'PUT', 'kv/allowed', { color: 'red', extra: 1 }), 'key not allowed');

  assertAllowed(await as(t, 'PUT', 'kv/denied', { mode: 'user', x: 1 }), 'no denied key');
  assertDenied(await as(t, 'PUT', 'kv/denied', { admin: false }), 'denied key');
  assertDenied(await as(t, 'PUT', 'kv/denied', { mode: 'rooted' }), 'denied value glob');

  assertDenied(await as(t, 'PUT', 'kv/required', { x: 1 }), 'missing required');
  assertAllowed(await as(t, 'PUT', 'kv/required', { owner: 'me', x: 1 }), 'required present');
  assert.deepEqual((await asRoot('GET', 'kv/required')).body.data, { owner: 'me', x: 1 });
});

test('wrapping TTL bounds: the request must ask for wrapping within them', async () => {
  const t = tokens['p-wrap']!;
  assertDenied(await as(t, 'GET', 'kv/wrapped'), 'not wrapped');
  assertDenied(await as(t, 'GET', 'kv/wrapped', undefined, { 'X-Vault-Wrap-TTL': '30s' }), 'below min');
  assertDenied(await as(t, 'GET', 'kv/wrapped', undefined, { 'X-Vault-Wrap-TTL': '20m' }), 'above max');
  const ok = await as(t, 'GET', 'kv/wrapped', undefined, { 'X-Vault-Wrap-TTL': '5m' });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assertAllowed(await as(t, 'GET', 'kv/wrapped', undefined, { 'X-Vault-Wrap-TTL': '600' }), 'exactly max');
});

test('"+" matches one segment and "*" matches a prefix', async () => {
  const t = tokens['p-globs']!;
  assert.equal((await as(t, 'GET', 'kv/team1/shared')).status, 200);
  assertDenied(await as(t, 'GET', 'kv/team1/x/shared'), '+ spans two segments');
  assertDenied(await as(t, 'GET', 'kv/team1/other'), '+ with another tail');
  assert.equal((await as(t, 'GET', 'kv/prefix-a')).status, 200);
  assert.equal((await as(t, 'GET', 'kv/pre/b')).status, 200);
  assertDenied(await as(t, 'GET', 'kv/pr'), 'shorter than the prefix');
});

test('unknown, missing and revoked-policy tokens', async () => {
  assertDenied(await as('s.thisTokenDoesNotExist1234', 'GET', 'kv/r/a'), 'unknown token');
  assertDenied(await api(h.url, 'GET', 'kv/r/a'), 'no token');
  assertDenied(await as('s.thisTokenDoesNotExist1234', 'POST', 'sys/capabilities-self', { paths: ['kv/r/a'] }), 'unknown token, capabilities-self');

  // Policies are looked up on every request: a change applies to tokens already issued.
  const t = await h.mint(['p-live']);
  assertDenied(await as(t, 'GET', 'kv/r/a'), 'policy not written yet');
  assert.equal((await asRoot('PUT', 'sys/policy/p-live', { policy: 'path "kv/r/a" { capabilities = ["read"] }' })).status, 204);
  assert.equal((await as(t, 'GET', 'kv/r/a')).status, 200);
  assert.equal((await asRoot('PUT', 'sys/policy/p-live', { policy: 'path "kv/r/a" { capabilities = ["deny"] }' })).status, 204);
  assertDenied(await as(t, 'GET', 'kv/r/a'), 'after the policy changed to deny');
  assert.equal((await asRoot('PUT', 'sys/policy/p-live', { policy: 'path "kv/r/a" { capabilities = ["read"] }' })).status, 204);
  assert.equal((await as(t, 'GET', 'kv/r/a')).status, 200);
  assert.equal((await asRoot('DELETE', 'sys/policy/p-live')).status, 204);
  assertDenied(await as(t, 'GET', 'kv/r/a'), 'after the policy was deleted');
});

/** What each capability lets a request do, probed against the real pipeline. */
const PROBES: Array<{ cap: string; run: (t: MintedToken, path: string) => Promise<{ status: number; body: any }> }> = [
  { cap: 'read', run: (t, p) => as(t, 'GET', p) },
  { cap: 'list', run: (t, p) => as(t, 'LIST', p) },
];

test('capabilities, capabilities-self and capabilities-accessor agree with enforcement', async () => {
  const paths = ['kv/r/a', 'kv/l/', 'kv/l2/', 'kv/x/open', 'kv/x/secret', 'kv/team1/shared', 'kv/prefix-a', 'secret/data/app/one', 'secret/metadata/app/', 'kv/nothing'];
  for (const [name, t] of Object.entries(tokens)) {
    const self = await as(t, 'POST', 'sys/capabilities-self', { paths });
    assert.equal(self.status, 200, `${name}: ${JSON.stringify(self.body)}`);
    const byToken = await asRoot('POST', 'sys/capabilities', { token: t.token, paths });
    const byAccessor = await asRoot('POST', 'sys/capabilities-accessor', { accessor: t.accessor, paths });
    for (const p of paths) {
      const caps: string[] = self.body.data[p];
      assert.ok(Array.isArray(caps), `${name} ${p}`);
      assert.deepEqual(byToken.body.data[p], caps, `${name} ${p}: sys/capabilities`);
      assert.deepEqual(byAccessor.body.data[p], caps, `${name} ${p}: sys/capabilities-accessor`);
      // Legacy top-level copy, as Vault renders these endpoints.
      assert.deepEqual(self.body[p], caps);
      for (const probe of PROBES) {
        const r = await probe.run(t, p);
        if (caps.includes(probe.cap)) assert.notEqual(r.status, 403, `${name} ${probe.cap} ${p}: reported but denied`);
        else assertDenied(r, `${name} ${probe.cap} ${p}: denied but reported ${JSON.stringify(caps)}`);
      }
    }
  }
  // One path also answers as `capabilities`.
  const one = await as(tokens['p-read']!, 'POST', 'sys/capabilities-self', { path: 'kv/r/a' });
  assert.deepEqual(one.body.data, { 'kv/r/a': ['read'], capabilities: ['read'] });
  const rootCaps = await asRoot('POST', 'sys/capabilities-self', { paths: ['anything'] });
  assert.deepEqual(rootCaps.body.data.capabilities, ['root']);
});

test('capabilities endpoints: Vault errors for bad input', async () => {
  let r = await asRoot('POST', 'sys/capabilities', { token: 's.unknownUnknownUnknown1', paths: ['kv/r/a'] });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['invalid token']);
  r = await asRoot('POST', 'sys/capabilities-accessor', { accessor: 'nope', paths: ['kv/r/a'] });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['invalid accessor']);
  r = await asRoot('POST', 'sys/capabilities-accessor', { paths: ['kv/r/a'] });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['missing accessor']);
  r = await asRoot('POST', 'sys/capabilities-self', {});
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['missing path']);
  // sys/capabilities is not in the default policy; capabilities-self is.
  assertDenied(await as(tokens['p-read']!, 'POST', 'sys/capabilities', { token: h.root, paths: ['x'] }), 'sys/capabilities without a rule');
  // Without a token field, sys/capabilities reports the caller.
  r = await asRoot('POST', 'sys/capabilities', { paths: ['x'] });
  assert.deepEqual(r.body.data.capabilities, ['root']);
});

test('resultant ACL: the caller\'s merged rules in Vault\'s shape', async () => {
  const t = await h.mint(['p-read', 'p-params', 'p-wrap', 'p-globs']);
  const r = await as(t, 'GET', 'sys/internal/ui/resultant-acl');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const d = r.body.data;
  assert.equal(d.root, false);
  assert.deepEqual(d.glob_paths['kv/r/'], { capabilities: ['read'] });
  assert.deepEqual(d.glob_paths['kv/pre'], { capabilities: ['read'] });
  assert.deepEqual(d.glob_paths['cubbyhole/'].capabilities, ['create', 'delete', 'list', 'read', 'update']);
  assert.deepEqual(d.exact_paths['sys/capabilities-self'], { capabilities: ['update'] });
  assert.deepEqual(d.exact_paths['kv/required'], { capabilities: ['create', 'update'], required_parameters: ['owner'] });
  assert.deepEqual(d.exact_paths['kv/allowed'].allowed_parameters, { color: ['red', 'blu*'], size: [] });
  assert.deepEqual(d.exact_paths['kv/denied'].denied_parameters, { admin: [], mode: ['root*'] });
  assert.equal(d.exact_paths['kv/wrapped'].min_wrapping_ttl, 60);
  assert.equal(d.exact_paths['kv/wrapped'].max_wrapping_ttl, 600);
  assert.ok(!('kv/c/' in d.glob_paths), 'a policy the token does not hold shows up');

  assert.deepEqual((await asRoot('GET', 'sys/internal/ui/resultant-acl')).body.data, { root: true });
  assertDenied(await as('s.unknownUnknownUnknown1', 'GET', 'sys/internal/ui/resultant-acl'), 'unknown token');
  assert.equal((await api(h.url, 'GET', 'sys/internal/ui/resultant-acl')).status, 404);
});

test('identity policies and templated paths count in enforcement and in every capabilities answer', async () => {
  const tpl = 'path "kv/{{identity.entity.name}}/*" { capabilities = ["read", "list"] }';
  assert.equal((await asRoot('PUT', 'sys/policies/acl/p-tpl', { policy: tpl })).status, 204);
  assert.equal((await asRoot('POST', 'sys/auth/up', { type: 'userpass' })).status, 204);
  assert.equal((await asRoot('POST', 'auth/up/users/alice', { password: 'pw-alice-1', token_policies: 'p-tpl' })).status, 204);
  const accessor = (await asRoot('GET', 'sys/auth')).body.data['up/'].accessor;
  const ent = await asRoot('POST', 'identity/entity', { name: 'ent-alice', policies: ['p-read'] });
  assert.equal(ent.status, 200, JSON.stringify(ent.body));
  const alias = await asRoot('POST', 'identity/entity-alias', { name: 'alice', canonical_id: ent.body.data.id, mount_accessor: accessor });
  assert.equal(alias.status, 200, JSON.stringify(alias.body));
  const login = await api(h.url, 'POST', 'auth/up/login/alice', { body: { password: 'pw-alice-1' } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const t: MintedToken = { token: login.body.auth.client_token, accessor: login.body.auth.accessor };
  assert.equal((await asRoot('PUT', 'kv/ent-alice/doc', { v: 1 })).status, 204);

  // p-read comes from the entity, p-tpl's path from the entity's name.
  assert.equal((await as(t, 'GET', 'kv/r/a')).status, 200);
  assert.equal((await as(t, 'GET', 'kv/ent-alice/doc')).status, 200);
  assertDenied(await as(t, 'GET', 'kv/ent-bob/doc'), 'another entity\'s templated path');
  const paths = ['kv/r/a', 'kv/ent-alice/doc', 'kv/ent-bob/doc'];
  const expected = { 'kv/r/a': ['read'], 'kv/ent-alice/doc': ['list', 'read'], 'kv/ent-bob/doc': ['deny'] };
  const pick = (data: Record<string, unknown>) => Object.fromEntries(paths.map((p) => [p, data[p]]));
  assert.deepEqual(pick((await as(t, 'POST', 'sys/capabilities-self', { paths })).body.data), expected);
  assert.deepEqual(pick((await asRoot('POST', 'sys/capabilities', { token: t.token, paths })).body.data), expected);
  assert.deepEqual(pick((await asRoot('POST', 'sys/capabilities-accessor', { accessor: t.accessor, paths })).body.data), expected);
  const resultant = (await as(t, 'GET', 'sys/internal/ui/resultant-acl')).body.data;
  assert.deepEqual(resultant.glob_paths['kv/r/'], { capabilities: ['read'] });
  assert.deepEqual(resultant.glob_paths['kv/ent-alice/'], { capabilities: ['list', 'read'] });

  // A disabled entity's tokens are refused everywhere.
  assert.equal((await asRoot('POST', `identity/entity/id/${ent.body.data.id}`, { disabled: true })).status < 300, true);
  assertDenied(await as(t, 'GET', 'kv/r/a'), 'disabled entity');
  const r = await asRoot('POST', 'sys/capabilities', { token: t.token, paths });
  assert.deepEqual([r.status, r.body.errors], [400, ['invalid token']]);
  assertDenied(await as(t, 'GET', 'sys/internal/ui/resultant-acl'), 'resultant ACL of a disabled entity');
});
