/**
 * Auth methods over real HTTP against a dev server process: the sys/auth API (list, enable,
 * read, tune, disable and its errors) and userpass behind it, login included.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { Core } from '../../src/core/core.js';
import { findOverlapDetails } from '../../src/framework/index.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { silentLogger } from '../../src/util/logger.js';
import { authPaths } from '../../src/system/auth-paths.js';
import { mountPaths } from '../../src/system/mount-paths.js';
import { sealPaths } from '../../src/system/seal-paths.js';

const ROOT = 'root-token-for-auth-tests';
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

test('the sys/ table with sys/auth has no overlapping patterns', () => {
  const core = new Core({ physical: new InmemPhysical(), storageType: 'inmem', logger: silentLogger, ttls: { defaultLeaseTTL: 60, maxLeaseTTL: 120 } });
  assert.deepEqual(findOverlapDetails([...sealPaths(core), ...mountPaths(core), ...authPaths(core)]), []);
});

test('sys/auth lists token/ with the legacy top-level copy', async () => {
  const r = await call('GET', 'sys/auth');
  assert.equal(r.status, 200);
  const token = r.body.data['token/'];
  assert.equal(token.type, 'token');
  assert.equal(token.description, 'token based credentials');
  assert.equal(token.config.token_type, 'default-service');
  assert.equal(token.options, null);
  assert.equal(typeof token.accessor, 'string');
  assert.equal(r.body['token/'].type, 'token');
});

test('sys/auth needs a token', async () => {
  assert.equal((await api(url, 'GET', 'sys/auth')).status, 403);
  assert.equal((await api(url, 'POST', 'sys/auth/sneaky', { body: { type: 'userpass' } })).status, 403);
  assert.equal((await call('GET', 'sys/auth/sneaky')).status, 400);
});

test('enable userpass at a custom path, read, tune, use, disable', async () => {
  let r = await call('POST', 'sys/auth/people', { type: 'userpass', description: 'humans', config: { default_lease_ttl: '1h' } });
  assert.equal(r.status, 204);

  r = await call('GET', 'sys/auth');
  const entry = r.body.data['people/'];
  assert.equal(entry.type, 'userpass');
  assert.equal(entry.description, 'humans');
  assert.equal(entry.config.default_lease_ttl, 3600);
  assert.equal(entry.local, false);
  assert.equal(entry.deprecation_status, 'supported');

  r = await call('GET', 'sys/auth/people');
  assert.equal(r.status, 200);
  assert.equal(r.body.data.uuid, entry.uuid);
  assert.equal(r.body.data.type, 'userpass');

  r = await call('GET', 'sys/auth/people/tune');
  assert.equal(r.status, 200);
  assert.equal(r.body.data.default_lease_ttl, 3600);
  assert.equal(r.body.data.description, 'humans');
  assert.equal(r.body.data.token_type, 'default-service');

  r = await call('POST', 'sys/auth/people/tune', { default_lease_ttl: '30m', max_lease_ttl: '2h', description: 'people', listing_visibility: 'unauth' });
  assert.equal(r.status, 204);
  r = await call('GET', 'sys/auth/people/tune');
  assert.equal(r.body.data.default_lease_ttl, 1800);
  assert.equal(r.body.data.max_lease_ttl, 7200);
  assert.equal(r.body.data.description, 'people');
  assert.equal(r.body.data.listing_visibility, 'unauth');
  r = await call('POST', 'sys/auth/people/tune', { default_lease_ttl: '3h' });
  assert.equal(r.status, 400);
  r = await call('POST', 'sys/auth/people/tune', { token_type: 'batch' });
  assert.equal(r.status, 400);

  // The method works at its path.
  r = await call('POST', 'auth/people/users/Bob', { password: 'pw-bob', token_policies: 'dev' });
  assert.equal(r.status, 204);
  r = await call('LIST', 'auth/people/users');
  assert.deepEqual(r.body.data.keys, ['bob']);
  r = await call('GET', 'auth/people/users/bob');
  assert.deepEqual(r.body.data.token_policies, ['dev']);
  assert.equal(JSON.stringify(r.body).includes('pw-bob'), false);

  // Login is unauthenticated: no token and a wrong password gives Vault's 400, not 403.
  r = await api(url, 'POST', 'auth/people/login/bob', { body: { password: 'wrong' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['invalid username or password']);
  r = await api(url, 'POST', 'auth/people/login/nobody', { body: { password: 'wrong' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['invalid username or password']);

  r = await call('DELETE', 'sys/auth/people');
  assert.equal(r.status, 204);
  r = await call('GET', 'sys/auth');
  assert.equal(r.body.data['people/'], undefined);
  r = await call('GET', 'auth/people/users/bob');
  assert.equal(r.status, 404);
  // Disabling deletes the data: a new mount at the same path starts empty.
  r = await call('POST', 'sys/auth/people', { type: 'userpass' });
  assert.equal(r.status, 204);
  r = await call('GET', 'auth/people/users/bob');
  assert.equal(r.status, 404);
  r = await call('DELETE', 'sys/auth/people/');
  assert.equal(r.status, 204);
  // Disabling what is not there is not an error (as Vault).
  assert.equal((await call('DELETE', 'sys/auth/people')).status, 204);
});

test('sys/auth errors', async () => {
  let r = await call('POST', 'sys/auth/up1', { type: 'userpass' });
  assert.equal(r.status, 204);
  r = await call('POST', 'sys/auth/up1', { type: 'userpass' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['path is already in use at up1/']);
  r = await call('POST', 'sys/auth/up1/nested', { type: 'userpass' });
  assert.equal(r.status, 400);
  r = await call('POST', 'sys/auth/elsewhere', { type: 'no-such-method' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['plugin not found in the catalog: no-such-method']);
  r = await call('POST', 'sys/auth/elsewhere', { type: 'kv' });
  assert.equal(r.status, 400, 'a secrets engine is not an auth method');
  r = await call('POST', 'sys/auth/elsewhere', {});
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['backend type must be specified as a string']);
  r = await call('GET', 'sys/auth/elsewhere');
  assert.equal(r.status, 400);
  r = await call('GET', 'sys/auth/elsewhere/tune');
  assert.equal(r.status, 400);
  r = await call('POST', 'sys/auth/elsewhere/tune', { default_lease_ttl: '1h' });
  assert.equal(r.status, 400);

  // auth/token/ is built in.
  r = await call('DELETE', 'sys/auth/token');
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['token credential backend cannot be disabled']);
  r = await call('POST', 'sys/auth/token', { type: 'userpass' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['path is already in use at token/']);
  r = await call('POST', 'sys/auth/token2', { type: 'token' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, ['token credential backend cannot be instantiated']);
  assert.equal((await call('GET', 'auth/token/lookup-self')).status, 200);
  r = await call('GET', 'sys/auth/token/tune');
  assert.equal(r.status, 200);

  assert.equal((await call('DELETE', 'sys/auth/up1')).status, 204);
});

test('userpass login over HTTP returns an auth block', async () => {
  let r = await call('POST', 'sys/auth/userpass', { type: 'userpass' });
  assert.equal(r.status, 204);
  r = await call('POST', 'auth/userpass/users/carol', { password: 'pw-carol', token_policies: 'dev,ops', token_ttl: '20m' });
  assert.equal(r.status, 204);
  r = await api(url, 'POST', 'auth/userpass/login/Carol', { body: { password: 'pw-carol' } });
  assert.equal(r.status, 200);
  const auth = r.body.auth;
  assert.equal(typeof auth.client_token, 'string');
  assert.ok(auth.client_token.length > 0);
  assert.equal(typeof auth.accessor, 'string');
  assert.deepEqual(auth.token_policies, ['default', 'dev', 'ops']);
  assert.deepEqual(auth.metadata, { username: 'carol' });
  assert.equal(auth.lease_duration, 1200);
  assert.equal(auth.renewable, true);
  assert.equal(JSON.stringify(r.body).includes('pw-carol'), false);
  const self = await api(url, 'GET', 'auth/token/lookup-self', { token: auth.client_token });
  assert.equal(self.status, 200);
  assert.equal(self.body.data.display_name, 'userpass-carol');
  // Its policies grant nothing on sys/auth, let alone sudo.
  assert.equal((await api(url, 'POST', 'sys/auth/by-carol', { token: auth.client_token, body: { type: 'userpass' } })).status, 403);
  r = await api(url, 'POST', 'auth/userpass/login/carol', { body: { password: 'pw-carol' } });
  assert.notEqual(r.body.auth.client_token, auth.client_token);
  assert.equal((await call('DELETE', 'sys/auth/userpass')).status, 204);
});
