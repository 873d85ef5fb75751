/** sys/policy and sys/policies/acl over real HTTP: Vault's shapes, status codes and error texts. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/server-process.js';
import { DEFAULT_POLICY_TEXT } from '../../src/policy/index.js';
import { startAclHarness, type AclHarness } from './acl-harness.js';

let h: AclHarness;
before(async () => {
  h = await startAclHarness();
});
after(async () => {
  await h?.close();
});

const call = (method: string, path: string, body?: unknown) => api(h.url, method, path, { token: h.root, ...(body !== undefined ? { body } : {}) });

const DEV = 'path "secret/data/dev/*" {\n  capabilities = ["read", "list"]\n}\n';

test('legacy sys/policy: list, read, write, delete with top-level copies', async () => {
  let r = await call('GET', 'sys/policy');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data.policies, ['default', 'root']);
  assert.deepEqual(r.body.data.keys, ['default', 'root']);
  assert.deepEqual(r.body.policies, ['default', 'root'], 'legacy top-level copy');

  r = await call('GET', 'sys/policy/default');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { name: 'default', rules: DEFAULT_POLICY_TEXT });
  assert.equal(r.body.rules, DEFAULT_POLICY_TEXT);
  r = await call('GET', 'sys/policy/root');
  assert.deepEqual(r.body.data, { name: 'root', rules: '' });

  r = await call('PUT', 'sys/policy/Dev', { policy: DEV });
  assert.equal(r.status, 204);
  r = await call('GET', 'sys/policy/dev');
  assert.deepEqual(r.body.data, { name: 'dev', rules: DEV });
  assert.deepEqual((await call('GET', 'sys/policy')).body.data.policies, ['default', 'dev', 'root']);

  // node-vault and old clients send `rules`: accepted with Vault's deprecation warning.
  r = await call('PUT', 'sys/policy/old', { rules: DEV });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.warnings, ["'rules' is deprecated, please use 'policy' instead"]);
  assert.equal((await call('GET', 'sys/policy/old')).body.data.rules, DEV);

  assert.equal((await call('DELETE', 'sys/policy/old')).status, 204);
  assert.equal((await call('GET', 'sys/policy/old')).status, 404);
  assert.equal((await call('DELETE', 'sys/policy/old')).status, 204, 'delete is idempotent');
});

test('sys/policies/acl: list, read, write (raw, JSON, base64), delete', async () => {
  let r = await call('PUT', 'sys/policies/acl/team', { policy: DEV });
  assert.equal(r.status, 204);
  r = await call('GET', 'sys/policies/acl/team');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { name: 'team', policy: DEV });
  assert.equal(r.body.policy, undefined, 'no top-level copy on the new endpoint');

  const json = JSON.stringify({ path: { 'secret/data/json/*': { capabilities: ['read'] } } });
  assert.equal((await call('PUT', 'sys/policies/acl/json', { policy: json })).status, 204);
  assert.equal((await call('GET', 'sys/policies/acl/json')).body.data.policy, json);

  assert.equal((await call('PUT', 'sys/policies/acl/b64', { policy: Buffer.from(DEV).toString('base64') })).status, 204);
  assert.equal((await call('GET', 'sys/policies/acl/b64')).body.data.policy, DEV, 'base64 text is stored decoded');

  r = await call('LIST', 'sys/policies/acl');
  assert.equal(r.status, 200);
  // `dev` is left from the previous test.
  assert.deepEqual(r.body.data.keys, ['b64', 'default', 'dev', 'json', 'root', 'team']);
  assert.equal((await call('GET', 'sys/policies/acl?list=true')).status, 200);
  assert.equal((await call('GET', 'sys/policies/acl')).status, 405);

  for (const name of ['team', 'json', 'b64']) assert.equal((await call('DELETE', `sys/policies/acl/${name}`)).status, 204);
  assert.equal((await call('GET', 'sys/policies/acl/team')).status, 404);
  assert.ok(!(await call('LIST', 'sys/policies/acl')).body.data.keys.includes('team'));
});

test('Vault\'s errors: unknown names, built-ins, empty and malformed policies', async () => {
  let r = await call('GET', 'sys/policy/nope');
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { errors: [] });
  assert.equal((await call('GET', 'sys/policies/acl/nope')).status, 404);

  for (const path of ['sys/policy/root', 'sys/policies/acl/ROOT']) {
    r = await call('PUT', path, { policy: DEV });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors, ['cannot update "root" policy']);
  }
  r = await call('PUT', 'sys/policies/acl/response-wrapping', { policy: DEV });
  assert.deepEqual([r.status, r.body.errors], [400, ['cannot update "response-wrapping" policy']]);
  r = await call('DELETE', 'sys/policy/default');
  assert.deepEqual([r.status, r.body.errors], [400, ['cannot delete default policy']]);
  r = await call('DELETE', 'sys/policies/acl/root');
  assert.deepEqual([r.status, r.body.errors], [400, ['cannot delete "root" policy']]);

  r = await call('PUT', 'sys/policies/acl/empty', { policy: '' });
  assert.deepEqual([r.status, r.body.errors], [400, ["'policy' parameter not supplied or empty"]]);
  r = await call('PUT', 'sys/policy/empty', {});
  assert.equal(r.status, 400);

  r = await call('PUT', 'sys/policies/acl/bad', { policy: 'path "a" {\n  capabilities = ["read"]\n}\npath "b" {\n  capabilities = ["fly"]\n}\n' });
  assert.equal(r.status, 400);
  assert.match(r.body.errors[0], /^failed to parse policy: .*line 5/);
  r = await call('PUT', 'sys/policies/acl/bad', { policy: 'path "a" { capabilities = ["read"' });
  assert.equal(r.status, 400);
  assert.match(r.body.errors[0], /^failed to parse policy/);
  assert.equal((await call('GET', 'sys/policies/acl/bad')).status, 404, 'a refused policy was stored');

  r = await call('PUT', 'sys/policies/acl/a/b', { policy: DEV });
  assert.equal(r.status, 400);
});

test('the default policy can be edited, and non-root tokens manage policies as their ACL allows', async () => {
  const edited = `${DEFAULT_POLICY_TEXT}\npath "secret/data/everyone" {\n  capabilities = ["read"]\n}\n`;
  assert.equal((await call('PUT', 'sys/policies/acl/default', { policy: edited })).status, 204);
  assert.equal((await call('GET', 'sys/policy/default')).body.data.rules, edited);

  assert.equal(
    (await call('PUT', 'sys/policies/acl/policy-admin', { policy: 'path "sys/policies/acl/team-*" { capabilities = ["create", "read", "update", "delete", "list"] }' })).status,
    204,
  );
  const admin = await h.mint(['policy-admin']);
  const as = (method: string, path: string, body?: unknown) => api(h.url, method, path, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  assert.equal((await as('PUT', 'sys/policies/acl/team-a', { policy: DEV })).status, 204);
  assert.equal((await as('GET', 'sys/policies/acl/team-a')).body.data.policy, DEV);
  assert.equal((await as('PUT', 'sys/policies/acl/other', { policy: DEV })).status, 403);
  assert.equal((await as('LIST', 'sys/policies/acl')).status, 403);
  assert.equal((await as('DELETE', 'sys/policies/acl/team-a')).status, 204);
  // The edited default policy applies to every token holding it.
  assert.equal((await call('PUT', 'secret/data/everyone', { data: { hi: 1 } })).status, 200);
  assert.equal((await as('GET', 'secret/data/everyone')).status, 200);
});
