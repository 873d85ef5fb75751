/**
 * User lockout over HTTP against a dev server process: five wrong passwords lock a userpass
 * user (the right password is refused too, with 403), sys/locked-users lists and unlocks,
 * a tuned threshold applies to approle role IDs, and sys/auth/:path/tune shows and validates
 * the settings. Counting and timing rules are tested in test/core/login-lockout.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devServerForFile } from '../helpers/server-process.js';

const call = devServerForFile('user-lockout-root');

test('userpass: five failures lock the user, the right password is refused, unlock restores it', async () => {
  assert.equal((await call('POST', 'sys/auth/userpass', { type: 'userpass' })).status, 204);
  await call('POST', 'auth/userpass/users/bob', { password: 'correct horse' });
  await call('POST', 'auth/userpass/users/carol', { password: 'battery staple' });
  for (let i = 0; i < 5; i++) {
    const r = await call('POST', 'auth/userpass/login/bob', { password: `guess-${i}` });
    assert.deepEqual([r.status, r.body], [400, { errors: ['invalid username or password'] }]);
  }
  const locked = await call('POST', 'auth/userpass/login/bob', { password: 'correct horse' });
  assert.deepEqual([locked.status, locked.body], [403, { errors: ['permission denied'] }]);
  assert.equal((await call('POST', 'auth/userpass/login/carol', { password: 'battery staple' })).status, 200, 'other users log in');

  const accessor = (await call('GET', 'sys/auth')).body.data['userpass/'].accessor as string;
  const list = await call('GET', 'sys/locked-users');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.data, {
    by_namespace: [{ namespace_id: 'root', namespace_path: '', counts: 1, mount_accessors: [{ mount_accessor: accessor, counts: 1, alias_identifiers: ['bob'] }] }],
    total: 1,
  });
  assert.deepEqual((await call('GET', 'sys/locked-users?mount_accessor=auth_other_1')).body.data, { by_namespace: [], total: 0 });

  assert.equal((await call('POST', `sys/locked-users/${accessor}/unlock/bob`)).status, 204);
  assert.equal((await call('POST', `sys/locked-users/${accessor}/unlock/bob`)).status, 204, 'idempotent');
  assert.equal((await call('POST', 'auth/userpass/login/bob', { password: 'correct horse' })).status, 200);
  assert.equal((await call('GET', 'sys/locked-users')).body.data.total, 0);

  // Unknown users are counted like known ones: the answers never tell which names exist.
  for (let i = 0; i < 5; i++) await call('POST', 'auth/userpass/login/nobody', { password: 'x' });
  assert.equal((await call('POST', 'auth/userpass/login/nobody', { password: 'x' })).status, 403);
});

test('approle: a tuned threshold of 2 locks a role ID; tune shows the settings and refuses bad ones', async () => {
  await call('POST', 'sys/auth/approle', { type: 'approle' });
  await call('POST', 'auth/approle/role/ci', { token_policies: ['default'] });
  const roleId = (await call('GET', 'auth/approle/role/ci/role-id')).body.data.role_id as string;
  const secretId = (await call('POST', 'auth/approle/role/ci/secret-id')).body.data.secret_id as string;

  const defaults = (await call('GET', 'sys/auth/approle/tune')).body.data;
  assert.deepEqual([defaults.user_lockout_threshold, defaults.user_lockout_duration, defaults.user_lockout_counter_reset_duration, defaults.user_lockout_disable], [5, 900, 900, false]);
  assert.equal((await call('POST', 'sys/auth/approle/tune', { user_lockout_config: { lockout_threshold: '2', lockout_duration: '10m' } })).status, 204);
  const tuned = (await call('GET', 'sys/auth/approle/tune')).body.data;
  assert.deepEqual([tuned.user_lockout_threshold, tuned.user_lockout_duration], [2, 600]);

  for (let i = 0; i < 2; i++) assert.equal((await call('POST', 'auth/approle/login', { role_id: roleId, secret_id: 'wrong' })).status, 400);
  assert.equal((await call('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId })).status, 403);

  assert.equal((await call('POST', 'sys/auth/approle/tune', { user_lockout_config: { lockout_disable: true } })).status, 204);
  assert.equal((await call('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId })).status, 200, 'disabling lockout lets the role in');
  assert.equal((await call('GET', 'sys/auth/approle/tune')).body.data.user_lockout_threshold, 2, 'fields not given keep their value');

  const bad = await call('POST', 'sys/auth/approle/tune', { user_lockout_config: { lockout_threshold: 'many' } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.errors[0], /invalid lockout_threshold/);
  const notSupported = await call('POST', 'sys/auth/token/tune', { user_lockout_config: { lockout_threshold: 3 } });
  assert.equal(notSupported.status, 400);
  assert.match(notSupported.body.errors[0], /only supported by userpass and approle/);
});
