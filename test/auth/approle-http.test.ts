/**
 * AppRole over real HTTP against a dev server process: enable, configure, generate, log in
 * without a token, use the issued token; Vault's error envelope on a refused login.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'root-token-for-approle-tests';
let server: ServerProcess;
let url: string;

before(async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  url = server.url;
});
after(async () => {
  await server?.stop();
});

const call = (method: string, path: string, body?: unknown) => api(url, method, path, { token: ROOT, ...(body !== undefined ? { body } : {}) });

test('approle end to end: role, secret ID, login, token use, exhausted secret ID', async () => {
  let r = await call('POST', 'sys/auth/approle', { type: 'approle' });
  assert.equal(r.status, 204, JSON.stringify(r.body));

  r = await call('POST', 'auth/approle/role/ci', { token_policies: 'ci-read', token_ttl: '20m', secret_id_num_uses: 1 });
  assert.equal(r.status, 204, JSON.stringify(r.body));
  r = await call('LIST', 'auth/approle/role');
  assert.deepEqual(r.body.data, { keys: ['ci'] });
  r = await call('GET', 'auth/approle/role/ci');
  assert.equal(r.body.data.token_ttl, 1200);

  const roleId = (await call('GET', 'auth/approle/role/ci/role-id')).body.data.role_id as string;
  r = await call('POST', 'auth/approle/role/ci/secret-id', { metadata: '{"job":"build"}' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const secretId = r.body.data.secret_id as string;
  assert.equal(r.body.data.secret_id_num_uses, 1);

  // Other approle paths need a token; login does not.
  assert.equal((await api(url, 'GET', 'auth/approle/role/ci')).status, 403);
  r = await api(url, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const auth = r.body.auth;
  assert.equal(typeof auth.client_token, 'string');
  assert.deepEqual(auth.token_policies, ['ci-read', 'default']);
  assert.equal(auth.metadata.role_name, 'ci');
  assert.equal(auth.metadata.job, 'build');
  assert.equal(auth.lease_duration, 1200);

  r = await api(url, 'GET', 'auth/token/lookup-self', { token: auth.client_token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.data.display_name, 'approle-ci');

  // The single use is spent.
  r = await api(url, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['invalid secret id'] });
  r = await api(url, 'POST', 'auth/approle/login', { body: { role_id: 'nope', secret_id: secretId } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['invalid role ID'] });
});
