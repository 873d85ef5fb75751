/**
 * Response wrapping and cubbyholes over real HTTP against a dev server process: the wire
 * shapes (wrap_info-only envelope, unwrap returning the original document), X-Vault-Wrap-TTL,
 * sys/wrapping/*, status codes and error texts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'root-token-for-wrapping';
const INVALID = { errors: ['wrapping token is not valid or does not exist'] };
let server: ServerProcess;
let url: string;

before(async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  url = server.url;
});
after(async () => {
  await server?.stop();
});

const call = (method: string, path: string, opts: { token?: string; body?: unknown; wrap?: string } = {}) =>
  api(url, method, path, {
    ...(opts.token !== '' ? { token: opts.token ?? ROOT } : {}),
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.wrap !== undefined ? { headers: { 'X-Vault-Wrap-TTL': opts.wrap } } : {}),
  });

function assertWrapped(r: { status: number; body: any }, ttl: number, creationPath: string): { token: string; accessor: string; wrapped_accessor?: string } {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['request_id', 'lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info', 'warnings', 'auth', 'mount_type']);
  assert.equal(r.body.request_id, '');
  assert.equal(r.body.lease_id, '');
  assert.equal(r.body.renewable, false);
  assert.equal(r.body.lease_duration, 0);
  assert.equal(r.body.data, null);
  assert.equal(r.body.warnings, null);
  assert.equal(r.body.auth, null);
  const w = r.body.wrap_info;
  assert.match(w.token, /^s\.[0-9A-Za-z]{24}$/);
  assert.match(w.accessor, /^[0-9A-Za-z]{24}$/);
  assert.equal(w.ttl, ttl);
  assert.equal(w.creation_path, creationPath);
  assert.ok(Math.abs(Date.parse(w.creation_time) - Date.now()) < 60_000, w.creation_time);
  return w;
}

test('a wrapped KV read, unwrapped with the token in the body', async () => {
  assert.equal((await call('POST', 'secret/data/app', { body: { data: { password: 'hunter2' } } })).status, 200);
  const plain = await call('GET', 'secret/data/app');
  const w = assertWrapped(await call('GET', 'secret/data/app', { wrap: '5m' }), 300, 'secret/data/app');
  assert.equal(w.wrapped_accessor, undefined);

  const r = await call('POST', 'sys/wrapping/unwrap', { body: { token: w.token } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(r.body.data.data, { password: 'hunter2' });
  assert.deepEqual(r.body.data.metadata, plain.body.data.metadata);
  assert.match(r.body.request_id, /^[0-9a-f-]{36}$/);
  assert.notEqual(r.body.request_id, plain.body.request_id);
  assert.equal(r.body.wrap_info, null);
  assert.equal(r.body.mount_type, 'kv');

  const again = await call('POST', 'sys/wrapping/unwrap', { body: { token: w.token } });
  assert.equal(again.status, 400);
  assert.deepEqual(again.body, INVALID);
});

test('a wrapped token creation, unwrapped by presenting the wrapping token itself', async () => {
  const w = assertWrapped(await call('POST', 'auth/token/create', { body: { policies: ['default'], ttl: '1h' }, wrap: '120' }), 120, 'auth/token/create');
  assert.match(w.wrapped_accessor ?? '', /^[0-9A-Za-z]{24}$/);
  const r = await call('POST', 'sys/wrapping/unwrap', { token: w.token });
  assert.equal(r.status, 200);
  assert.equal(r.body.auth.accessor, w.wrapped_accessor);
  assert.deepEqual(r.body.auth.policies, ['default']);
  assert.equal(r.body.auth.lease_duration, 3600);
  const self = await call('GET', 'auth/token/lookup-self', { token: r.body.auth.client_token });
  assert.equal(self.status, 200);
  assert.equal(self.body.data.accessor, w.wrapped_accessor);
  // Used up: the same way again, or in the body.
  for (const opts of [{ token: w.token }, { body: { token: w.token } }]) {
    const again = await call('POST', 'sys/wrapping/unwrap', opts);
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, INVALID);
  }
});

test('sys/wrapping/wrap, lookup (unauthenticated) and rewrap', async () => {
  const missing = await call('POST', 'sys/wrapping/wrap', { body: { a: 'b' } });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { errors: ['endpoint requires response wrapping to be used'] });

  const w = assertWrapped(await call('POST', 'sys/wrapping/wrap', { body: { zip: 'zap', n: 3 }, wrap: '10m' }), 600, 'sys/wrapping/wrap');
  const lookup = await call('POST', 'sys/wrapping/lookup', { token: '', body: { token: w.token } });
  assert.equal(lookup.status, 200);
  assert.equal(lookup.body.data.creation_path, 'sys/wrapping/wrap');
  assert.equal(lookup.body.data.creation_ttl, 600);
  assert.equal(Date.parse(lookup.body.data.creation_time), Date.parse((w as any).creation_time));

  const re = await call('POST', 'sys/wrapping/rewrap', { body: { token: w.token } });
  const w2 = assertWrapped(re, 600, 'sys/wrapping/wrap');
  assert.notEqual(w2.token, w.token);
  const old = await call('POST', 'sys/wrapping/lookup', { token: '', body: { token: w.token } });
  assert.equal(old.status, 400);
  assert.deepEqual(old.body, INVALID);
  const r = await call('POST', 'sys/wrapping/unwrap', { body: { token: w2.token } });
  assert.deepEqual(r.body.data, { zip: 'zap', n: 3 });
});

test('bad wrap TTLs and bad tokens are 400s', async () => {
  let r = await call('GET', 'sys/mounts', { wrap: 'soon' });
  assert.equal(r.status, 400);
  r = await call('GET', 'sys/mounts', { wrap: '-5' });
  assert.equal(r.status, 400);
  r = await call('POST', 'sys/wrapping/unwrap', { body: { token: 's.notarealtoken000000000' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, INVALID);
  r = await call('POST', 'sys/wrapping/unwrap', {});
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, INVALID, 'the root token is not a wrapping token');
  r = await call('POST', 'sys/wrapping/lookup', { token: '', body: {} });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['error validating wrapping token: token is empty'] });
  // A write that answers nothing is not wrapped: 204, as in Vault.
  r = await call('POST', 'secret/data/nothing-to-wrap', { body: { data: { a: 1 } }, wrap: '1m' });
  assert.equal(r.status, 200, 'KV v2 writes answer with metadata, so they are wrapped');
  assert.ok(r.body.wrap_info !== null);
  r = await call('POST', 'secret/config', { body: { max_versions: 5 }, wrap: '1m' });
  assert.equal(r.status, 204);
});

test('cubbyholes are private to each token and die with it', async () => {
  const a = (await call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  const b = (await call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  let r = await call('POST', 'cubbyhole/note', { token: a, body: { text: 'for a only' } });
  assert.equal(r.status, 204);
  r = await call('GET', 'cubbyhole/note', { token: a });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { text: 'for a only' });
  assert.equal(r.body.mount_type, 'cubbyhole');
  r = await call('GET', 'cubbyhole/note', { token: b });
  assert.equal(r.status, 404);
  r = await call('GET', 'cubbyhole/note');
  assert.equal(r.status, 404, 'not even root sees another token\'s cubbyhole');
  r = await call('LIST', 'cubbyhole', { token: a });
  assert.deepEqual(r.body.data.keys, ['note']);
  r = await call('LIST', 'cubbyhole', { token: b });
  assert.equal(r.status, 404);
  r = await call('GET', 'cubbyhole/note', { token: '' });
  assert.equal(r.status, 403);

  const mounts = await call('GET', 'sys/mounts');
  assert.equal(mounts.body.data['cubbyhole/'].type, 'cubbyhole');
  assert.equal(mounts.body.data['cubbyhole/'].local, true);
  r = await call('DELETE', 'sys/mounts/cubbyhole');
  assert.equal(r.status, 400);

  r = await call('POST', 'auth/token/revoke', { body: { token: a } });
  assert.equal(r.status, 204);
  r = await call('GET', 'cubbyhole/note', { token: a });
  assert.equal(r.status, 403);
});
