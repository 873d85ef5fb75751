/**
 * Mounts and KV over real HTTP against a dev server process: the sys/mounts API, routing,
 * the envelope, and the status codes Vault clients depend on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'root-token-for-tests';
let server: ServerProcess;
let url: string;

before(async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  url = server.url;
});
after(async () => {
  await server?.stop();
});

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  api(url, method, path, { token: ROOT, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

test('dev mode: unsealed, secret/ is KV v2, banner printed', async () => {
  const out = server.output();
  assert.match(out, /Root Token: root-token-for-tests/);
  assert.match(out, /Unseal Key: \S+/);
  const r = await call('GET', 'sys/mounts');
  assert.equal(r.status, 200);
  assert.equal(r.body.data['secret/'].type, 'kv');
  assert.deepEqual(r.body.data['secret/'].options, { version: '2' });
  assert.equal(r.body.data['sys/'].type, 'system');
  // legacy top-level copy for old clients
  assert.equal(r.body['secret/'].type, 'kv');
  assert.equal(typeof r.body.request_id, 'string');
  const ui = await call('GET', 'sys/internal/ui/mounts');
  assert.equal(ui.body.data.secret['secret/'].type, 'kv');
  assert.equal(ui.body.data.auth['token/'].type, 'token');
  const self = await call('GET', 'auth/token/lookup-self');
  assert.equal(self.status, 200);
  assert.deepEqual(self.body.data.policies, ['root']);
  assert.equal(r.body.lease_id, '');
  assert.equal(r.body.renewable, false);
});

test('enable, tune, move and disable a mount', async () => {
  let r = await call('POST', 'sys/mounts/team-a', { type: 'kv', description: 'team A', config: { default_lease_ttl: '1h', max_lease_ttl: 7200 } });
  assert.equal(r.status, 204);
  r = await call('POST', 'sys/mounts/team-a', { type: 'kv' });
  assert.equal(r.status, 400);
  assert.match(r.body.errors[0], /already in use/);
  r = await call('POST', 'sys/mounts/team-a/nested', { type: 'kv' });
  assert.equal(r.status, 400);
  r = await call('POST', 'sys/mounts/sys/x', { type: 'kv' });
  assert.equal(r.status, 400);
  r = await call('POST', 'sys/mounts/bogus', { type: 'no-such-engine' });
  assert.equal(r.status, 400);

  r = await call('GET', 'sys/mounts/team-a/tune');
  assert.equal(r.status, 200);
  assert.equal(r.body.data.default_lease_ttl, 3600);
  assert.equal(r.body.data.max_lease_ttl, 7200);
  assert.equal(r.body.data.description, 'team A');

  r = await call('POST', 'sys/mounts/team-a/tune', { default_lease_ttl: '30m', description: 'team A v2' });
  assert.equal(r.status, 204);
  r = await call('GET', 'sys/mounts/team-a/tune');
  assert.equal(r.body.data.default_lease_ttl, 1800);
  assert.equal(r.body.data.description, 'team A v2');
  r = await call('POST', 'sys/mounts/team-a/tune', { default_lease_ttl: '3h' });
  assert.equal(r.status, 400);

  r = await call('PUT', 'team-a/creds', { user: 'alice', n: 1 });
  assert.equal(r.status, 204);
  r = await call('POST', 'sys/remount', { from: 'team-a', to: 'team-b' });
  assert.equal(r.status, 200);
  const migration = await call('GET', `sys/remount/status/${r.body.data.migration_id}`);
  assert.equal(migration.status, 200);
  assert.deepEqual(migration.body.data.migration_info, { source_mount: 'team-a/', target_mount: 'team-b/', status: 'success' });
  r = await call('GET', 'team-b/creds');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { user: 'alice', n: 1 });
  r = await call('GET', 'team-a/creds');
  assert.equal(r.status, 404);
  assert.match(r.body.errors[0], /no handler for route/);

  r = await call('DELETE', 'sys/mounts/team-b');
  assert.equal(r.status, 204);
  r = await call('GET', 'team-b/creds');
  assert.equal(r.status, 404);
  // Re-enabling at the same path starts empty: the old data was deleted.
  await call('POST', 'sys/mounts/team-b', { type: 'kv' });
  r = await call('GET', 'team-b/creds');
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { errors: [] });
});

test('kv v1 and the generic type; LIST verb and ?list=true', async () => {
  await call('POST', 'sys/mounts/v1', { type: 'kv', options: { version: '1' } });
  await call('POST', 'sys/mounts/old', { type: 'generic' });
  for (const p of ['a', 'b/c', 'b/d']) assert.equal((await call('PUT', `v1/${p}`, { v: p })).status, 204);
  let r = await call('LIST', 'v1/');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data.keys, ['a', 'b/']);
  r = await call('GET', 'v1/b?list=true');
  assert.deepEqual(r.body.data.keys, ['c', 'd']);
  r = await call('DELETE', 'v1/a');
  assert.equal(r.status, 204);
  r = await call('GET', 'v1/a');
  assert.equal(r.status, 404);
  assert.equal((await call('PUT', 'old/x', { y: 1 })).status, 204);
  assert.deepEqual((await call('GET', 'old/x')).body.data, { y: 1 });
});

test('kv v2 over HTTP: versions, cas, patch, delete/undelete/destroy, metadata', async () => {
  let r = await call('POST', 'secret/data/app', { data: { a: '1' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.version, 1);
  r = await call('POST', 'secret/data/app', { options: { cas: 0 }, data: { a: '2' } });
  assert.equal(r.status, 400);
  r = await call('POST', 'secret/data/app', { options: { cas: 1 }, data: { a: '2', b: '3' } });
  assert.equal(r.body.data.version, 2);
  r = await call('PATCH', 'secret/data/app', { data: { b: null, c: '4' } }, { 'Content-Type': 'application/merge-patch+json' });
  assert.equal(r.status, 200);
  r = await call('GET', 'secret/data/app');
  assert.deepEqual(r.body.data.data, { a: '2', c: '4' });
  assert.equal(r.body.data.metadata.version, 3);
  r = await call('GET', 'secret/data/app?version=1');
  assert.deepEqual(r.body.data.data, { a: '1' });
  r = await call('DELETE', 'secret/data/app');
  assert.equal(r.status, 204);
  r = await call('GET', 'secret/data/app');
  assert.equal(r.status, 404);
  assert.notEqual(r.body.data.metadata.deletion_time, '');
  r = await call('POST', 'secret/undelete/app', { versions: [3] });
  assert.equal(r.status, 204);
  assert.equal((await call('GET', 'secret/data/app')).status, 200);
  r = await call('POST', 'secret/destroy/app', { versions: [1] });
  assert.equal(r.status, 204);
  r = await call('GET', 'secret/data/app?version=1');
  assert.equal(r.status, 404);
  assert.equal(r.body.data.metadata.destroyed, true);
  r = await call('GET', 'secret/metadata/app');
  assert.equal(r.body.data.current_version, 3);
  r = await call('LIST', 'secret/metadata/');
  assert.deepEqual(r.body.data.keys, ['app']);
  r = await call('DELETE', 'secret/metadata/app');
  assert.equal(r.status, 204);
  assert.equal((await call('GET', 'secret/metadata/app')).status, 404);
});

test('status codes and errors', async () => {
  let r = await call('GET', 'nope/thing');
  assert.equal(r.status, 404);
  r = await api(url, 'GET', 'sys/mounts', { token: 'wrong' });
  assert.equal(r.status, 403);
  assert.deepEqual(r.body, { errors: ['permission denied'] });
  r = await api(url, 'GET', 'sys/mounts', { headers: { Authorization: `Bearer ${ROOT}` } });
  assert.equal(r.status, 200);
  r = await call('POST', 'secret/data/x', '{not json');
  assert.equal(r.status, 400);
  r = await call('PATCH', 'secret/data/app2', { data: {} });
  assert.equal(r.status, 415);
  r = await call('GET', 'secret/data/x?help=1');
  assert.equal(r.status, 200);
  assert.equal(typeof r.body.help, 'string');
  r = await call('GET', 'sys/health?standbyok=true&sealedcode=299');
  assert.equal(r.status, 200);
  const head = await fetch(`${url}/v1/sys/health`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});
