/**
 * AppRole roles, without sockets: CRUD and list, Vault's read shape, constraints, role IDs,
 * the per-property sub-paths, and the backend's special paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRole, generate, makeAppRole, mountKeys } from './approle-harness.js';

test('only login is unauthenticated; local secret IDs are declared local', () => {
  const h = makeAppRole();
  assert.deepEqual(h.backend.specialPaths.unauthenticated, ['login']);
  assert.deepEqual(h.backend.specialPaths.local, ['local/*']);
});

test('a new role reads back with Vault\'s field set and defaults', async () => {
  const h = makeAppRole();
  assert.equal(await h.call('create', 'role/web', { token_policies: 'b,A', token_ttl: '20m' }), undefined);
  const resp = await h.call('read', 'role/web');
  assert.deepEqual(resp?.data, {
    bind_secret_id: true,
    local_secret_ids: false,
    secret_id_bound_cidrs: [],
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    token_bound_cidrs: [],
    token_explicit_max_ttl: 0,
    token_max_ttl: 0,
    token_no_default_policy: false,
    token_num_uses: 0,
    token_period: 0,
    token_policies: ['a', 'b'],
    token_ttl: 1200,
    token_type: 'default',
    policies: ['a', 'b'],
    period: 0,
  });
});

test('list roles; empty list and missing role are 404s (undefined)', async () => {
  const h = makeAppRole();
  assert.equal(await h.call('list', 'role'), undefined);
  assert.equal(await h.call('read', 'role/nope'), undefined);
  await createRole(h, 'b-role');
  await createRole(h, 'a.role');
  assert.deepEqual((await h.call('list', 'role/'))?.data, { keys: ['a.role', 'b-role'] });
});

test('update changes only the fields sent; legacy policies and period are honoured', async () => {
  const h = makeAppRole();
  await createRole(h, 'r', { secret_id_num_uses: 5, secret_id_ttl: '10m', policies: ['p1'], period: '1h' });
  await h.call('update', 'role/r', { secret_id_num_uses: 7 });
  const data = (await h.call('read', 'role/r'))?.data;
  assert.equal(data?.['secret_id_num_uses'], 7);
  assert.equal(data?.['secret_id_ttl'], 600);
  assert.deepEqual(data?.['token_policies'], ['p1']);
  assert.equal(data?.['token_period'], 3600);
  assert.equal(data?.['period'], 3600);
});

test('existence check tells create from update', async () => {
  const h = makeAppRole();
  const req = { id: 'x', operation: 'create' as const, path: 'auth/approle/role/r', relativePath: 'role/r', data: {}, clientToken: '', headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
  assert.deepEqual(await h.backend.existenceCheck(req), { supported: true, exists: false });
  await createRole(h, 'r');
  assert.deepEqual(await h.backend.existenceCheck(req), { supported: true, exists: true });
});

test('a role needs at least one constraint', async () => {
  const h = makeAppRole();
  await h.fails('create', 'role/r', { bind_secret_id: false }, 400, 'at least one constraint should be enabled on the role');
  await h.call('create', 'role/r', { bind_secret_id: false, secret_id_bound_cidrs: '10.0.0.0/8' });
  assert.equal((await h.call('read', 'role/r'))?.data?.['bind_secret_id'], false);
  await h.call('create', 'role/t', { bind_secret_id: false, token_bound_cidrs: ['192.168.0.0/16'] });
  // Removing the last constraint through a sub-path is refused too, and changes nothing.
  await h.fails('delete', 'role/r/secret-id-bound-cidrs', {}, 400, 'at least one constraint should be enabled on the role');
  assert.deepEqual((await h.call('read', 'role/r/secret-id-bound-cidrs'))?.data, { secret_id_bound_cidrs: ['10.0.0.0/8'] });
});

test('invalid input is a 400 and stores nothing', async () => {
  const h = makeAppRole();
  await h.fails('create', 'role/r', { secret_id_bound_cidrs: 'not-a-cidr' }, 400, 'invalid CIDR block "not-a-cidr" in secret_id_bound_cidrs');
  await h.fails('create', 'role/r', { token_bound_cidrs: '10.0.0.0/33' }, 400, 'invalid CIDR block "10.0.0.0/33" in token_bound_cidrs');
  await h.fails('create', 'role/r', { secret_id_num_uses: -1 }, 400, 'secret_id_num_uses cannot be negative');
  await h.fails('create', 'role/r', { token_ttl: '2h', token_max_ttl: '1h' }, 400, '"token_ttl" value must be less than "token_max_ttl" value');
  await h.fails('create', 'role/r', { token_type: 'weird' }, 400, `invalid 'token_type' value "weird"`);
  await h.fails('create', 'role/r', { secret_id_ttl: 'soon' }, 400, 'error converting input soon for field "secret_id_ttl": time: invalid duration "soon"');
  assert.equal(await h.call('read', 'role/r'), undefined);
  assert.deepEqual(mountKeys(h).filter((k) => k !== 'salt'), []);
});

test('local_secret_ids is set at creation only', async () => {
  const h = makeAppRole();
  await createRole(h, 'loc', { local_secret_ids: true });
  await h.fails('update', 'role/loc', { local_secret_ids: false }, 400, 'local_secret_ids can only be modified during role creation');
  await h.call('update', 'role/loc', { token_ttl: 60 });
  assert.equal((await h.call('read', 'role/loc'))?.data?.['local_secret_ids'], true);
  assert.deepEqual((await h.call('read', 'role/loc/local-secret-ids'))?.data, { local_secret_ids: true });
});

test('role IDs: generated, readable, settable, unique across roles', async () => {
  const h = makeAppRole();
  const id = await createRole(h, 'a');
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  await createRole(h, 'b', { role_id: 'custom-b' });
  assert.deepEqual((await h.call('read', 'role/b/role-id'))?.data, { role_id: 'custom-b' });
  await h.fails('update', 'role/a/role-id', { role_id: 'custom-b' }, 400, 'role_id already in use');
  await h.fails('create', 'role/c', { role_id: 'custom-b' }, 400, 'role_id already in use');
  await h.fails('update', 'role/a/role-id', {}, 400, 'missing role_id');
  await h.fails('update', 'role/zzz/role-id', { role_id: 'x' }, 404, 'role "zzz" does not exist');
  assert.equal(await h.call('read', 'role/zzz/role-id'), undefined);

  // Re-keying frees the old ID and moves logins to the new one.
  await h.call('update', 'role/b/role-id', { role_id: 'new-b' });
  await h.call('update', 'role/a/role-id', { role_id: 'custom-b' });
  const s = await generate(h, 'a');
  const ok = await h.call('update', 'login', { role_id: 'custom-b', secret_id: s['secret_id'] });
  assert.equal(ok?.login?.displayName, 'a');
  await h.fails('update', 'login', { role_id: id, secret_id: s['secret_id'] }, 400, 'invalid role ID');
});

test('deleting a role removes it, its role ID and its secret IDs', async () => {
  const h = makeAppRole();
  const id = await createRole(h, 'gone');
  await createRole(h, 'gone-local', { local_secret_ids: true });
  const old = await generate(h, 'gone');
  await generate(h, 'gone-local');
  const keep = await createRole(h, 'kept');
  const kept = await generate(h, 'kept');
  assert.equal(await h.call('delete', 'role/gone'), undefined);
  assert.equal(await h.call('delete', 'role/gone-local'), undefined);
  assert.equal(await h.call('delete', 'role/never-existed'), undefined);
  assert.equal(await h.call('read', 'role/gone'), undefined);
  await h.fails('update', 'login', { role_id: id, secret_id: 'x' }, 400, 'invalid role ID');
  // What is left: the salt, and the kept role with its index, one secret ID and its accessor.
  const keys = mountKeys(h);
  assert.equal(keys.length, 5, keys.join('\n'));
  assert.ok(keys.includes('salt') && keys.includes('role/kept'));
  assert.equal(keys.filter((k) => k.startsWith('local/')).length, 0);
  const ok = await h.call('update', 'login', { role_id: keep, secret_id: kept['secret_id'] });
  assert.ok(ok?.login);
  // A role recreated under the same name does not inherit the old secret IDs.
  const again = await createRole(h, 'gone');
  await h.fails('update', 'login', { role_id: again, secret_id: old['secret_id'] }, 400, 'invalid secret id');
});

test('property sub-paths read, update and reset one property', async () => {
  const h = makeAppRole();
  await createRole(h, 'r', { token_policies: 'a' });

  await h.call('update', 'role/r/policies', { policies: 'x,y' });
  assert.deepEqual((await h.call('read', 'role/r/policies'))?.data, { policies: ['x', 'y'], token_policies: ['x', 'y'] });
  await h.call('delete', 'role/r/policies');
  assert.deepEqual((await h.call('read', 'role/r'))?.data?.['token_policies'], []);

  await h.call('update', 'role/r/secret-id-num-uses', { secret_id_num_uses: 3 });
  assert.deepEqual((await h.call('read', 'role/r/secret-id-num-uses'))?.data, { secret_id_num_uses: 3 });
  await h.call('update', 'role/r/secret-id-ttl', { secret_id_ttl: '1m' });
  assert.deepEqual((await h.call('read', 'role/r/secret-id-ttl'))?.data, { secret_id_ttl: 60 });
  await h.call('delete', 'role/r/secret-id-ttl');
  assert.deepEqual((await h.call('read', 'role/r/secret-id-ttl'))?.data, { secret_id_ttl: 0 });

  await h.call('update', 'role/r/token-max-ttl', { token_max_ttl: '1h' });
  await h.call('update', 'role/r/token-ttl', { token_ttl: '30m' });
  await h.fails('update', 'role/r/token-ttl', { token_ttl: '2h' }, 400, '"token_ttl" value must be less than "token_max_ttl" value');
  assert.deepEqual((await h.call('read', 'role/r/token-ttl'))?.data, { token_ttl: 1800 });
  await h.call('update', 'role/r/token-num-uses', { token_num_uses: 4 });
  assert.deepEqual((await h.call('read', 'role/r/token-num-uses'))?.data, { token_num_uses: 4 });
  await h.call('update', 'role/r/period', { period: '2h' });
  assert.deepEqual((await h.call('read', 'role/r/period'))?.data, { period: 7200, token_period: 7200 });

  await h.call('update', 'role/r/token-bound-cidrs', { token_bound_cidrs: '10.0.0.0/8' });
  await h.call('update', 'role/r/bind-secret-id', { bind_secret_id: false });
  assert.deepEqual((await h.call('read', 'role/r/bind-secret-id'))?.data, { bind_secret_id: false });
  await h.call('delete', 'role/r/bind-secret-id');
  assert.deepEqual((await h.call('read', 'role/r/bind-secret-id'))?.data, { bind_secret_id: true });
  await h.call('update', 'role/r/bound-cidr-list', { bound_cidr_list: '10.1.0.0/16' });
  assert.deepEqual((await h.call('read', 'role/r/secret-id-bound-cidrs'))?.data, { secret_id_bound_cidrs: ['10.1.0.0/16'] });

  await h.fails('update', 'role/r/secret-id-ttl', {}, 400, 'missing secret_id_ttl');
  await h.fails('update', 'role/r/policies', {}, 400, 'missing policies');
  await h.fails('update', 'role/missing/secret-id-ttl', { secret_id_ttl: 5 }, 404, 'role "missing" does not exist');
  assert.equal(await h.call('read', 'role/missing/policies'), undefined);
  await h.fails('update', 'role/r/local-secret-ids', { local_secret_ids: true }, 405, 'unsupported operation');
});

test('unknown paths and unknown fields answer as the framework does', async () => {
  const h = makeAppRole();
  await h.fails('read', 'nothing-here', {}, 404, 'unsupported path');
  await createRole(h, 'r');
  const resp = await h.call('update', 'role/r', { bogus: 1 });
  assert.deepEqual(resp?.warnings, ['Endpoint ignored these unrecognized parameters: [bogus]']);
  const help = await h.call('help', '');
  assert.match(String(help?.data?.['help']), /AppRole/);
});
