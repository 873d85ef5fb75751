import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { LoginLockout, MAX_TRACKED } from '../../src/core/login-lockout.js';
import { PermissionDeniedError } from '../../src/errors.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import type { MountEntry, UserLockoutTune } from '../../src/router/mount-entry.js';

function mount(type: string, accessor: string, tune?: UserLockoutTune): Pick<MountEntry, 'type' | 'accessor' | 'config'> {
  return { type, accessor, config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false, ...(tune !== undefined ? { user_lockout_config: tune } : {}) } };
}

const up = mount('userpass', 'auth_userpass_1');

/** Fail `n` logins of `user`; returns how many were refused as locked instead of reaching the method. */
function failLogins(l: LoginLockout, m: ReturnType<typeof mount>, user: string, n: number): number {
  let refused = 0;
  for (let i = 0; i < n; i++) {
    try {
      l.begin(m, `login/${user}`, {})?.failed();
    } catch (err) {
      assert.ok(err instanceof PermissionDeniedError);
      refused++;
    }
  }
  return refused;
}

test('five failures lock the alias for 15 minutes; other aliases and mounts are unaffected', () => {
  const clock = new FakeClock(1_000_000);
  const l = new LoginLockout(clock, {});
  assert.equal(failLogins(l, up, 'bob', 5), 0, 'the first five reach the auth method');
  assert.throws(() => l.begin(up, 'login/bob', {}), PermissionDeniedError);
  assert.throws(() => l.begin(up, 'login/BOB', {}), PermissionDeniedError, 'userpass names are case-insensitive');
  assert.ok(l.begin(up, 'login/alice', {}) !== undefined);
  assert.ok(l.begin(mount('userpass', 'auth_userpass_2'), 'login/bob', {}) !== undefined);
  assert.deepEqual([...l.locked()], [['auth_userpass_1', ['bob']]]);
  clock.advance(900_000 - 1);
  assert.throws(() => l.begin(up, 'login/bob', {}), PermissionDeniedError);
  clock.advance(1);
  assert.ok(l.begin(up, 'login/bob', {}) !== undefined, 'unlocked after the duration');
  assert.deepEqual([...l.locked()], []);
});

test('the counter resets after a quiet period and on success; unlock lifts a lock', () => {
  const clock = new FakeClock(0);
  const l = new LoginLockout(clock, {});
  failLogins(l, up, 'bob', 4);
  clock.advance(900_001);
  failLogins(l, up, 'bob', 4);
  assert.ok(l.begin(up, 'login/bob', {}) !== undefined, 'four after a reset do not lock');
  l.begin(up, 'login/bob', {})!.succeeded();
  failLogins(l, up, 'bob', 4);
  assert.ok(l.begin(up, 'login/bob', {}) !== undefined, 'success cleared the earlier four');
  failLogins(l, up, 'bob', 1);
  assert.throws(() => l.begin(up, 'login/bob', {}), PermissionDeniedError);
  l.unlock('auth_userpass_1', 'bob');
  assert.ok(l.begin(up, 'login/bob', {}) !== undefined);
  l.unlock('auth_userpass_1', 'nobody');
});

test('tuned settings, approle role IDs, and what lockout does not apply to', () => {
  const clock = new FakeClock(0);
  const l = new LoginLockout(clock, {});
  const strict = mount('approle', 'auth_approle_1', { lockout_threshold: 2, lockout_duration: 60 });
  assert.deepEqual(l.settingsFor(strict), { threshold: 2, duration: 60, counterReset: 900, disabled: false });
  for (let i = 0; i < 2; i++) l.begin(strict, 'login', { role_id: 'r-1' })!.failed();
  assert.throws(() => l.begin(strict, 'login', { role_id: 'r-1' }), PermissionDeniedError);
  clock.advance(60_000);
  assert.ok(l.begin(strict, 'login', { role_id: 'r-1' }) !== undefined);

  assert.equal(l.begin(mount('approle', 'a'), 'login', {}), undefined, 'no role_id: nothing to count');
  assert.equal(l.begin(mount('approle', 'a'), 'role/x/secret-id', { role_id: 'r' }), undefined, 'not the login path');
  assert.equal(l.begin(mount('token', 't'), 'login/x', {}), undefined, 'other methods have no lockout');
  assert.equal(l.begin(mount('userpass', 'u', { lockout_disable: true }), 'login/bob', {}), undefined, 'disabled on the mount');
  const envOff = new LoginLockout(clock, { VAULT_DISABLE_USER_LOCKOUT: 'true' });
  assert.equal(envOff.begin(up, 'login/bob', {}), undefined, 'disabled by VAULT_DISABLE_USER_LOCKOUT');
  assert.equal(envOff.settingsFor(mount('userpass', 'u', { lockout_disable: false })).disabled, true, 'the environment wins over the mount');
});

test('memory stays bounded: past MAX_TRACKED aliases the stalest is dropped', () => {
  const clock = new FakeClock(0);
  const l = new LoginLockout(clock, {});
  const lockOne = mount('userpass', 'acc', { lockout_threshold: 1 });
  for (let i = 0; i <= MAX_TRACKED; i++) l.begin(lockOne, `login/u${i}`, {})!.failed();
  const locked = l.locked().get('acc') ?? [];
  assert.equal(locked.length, MAX_TRACKED);
  assert.ok(!locked.includes('u0'), 'the oldest entry went');
  assert.ok(locked.includes(`u${MAX_TRACKED}`));
});

test('locks are stored: a new instance over the same storage (restart, failover) keeps them; unlock and run-out ones are deleted', async () => {
  const clock = new FakeClock(0);
  const storage = new InmemPhysical();
  const first = new LoginLockout(clock, {}, storage);
  failLogins(first, up, 'bob', 5);
  failLogins(first, up, 'carol@example.com', 5);
  await new Promise((r) => setImmediate(r));
  assert.equal((await storage.list('core/login/locked-users/auth_userpass_1/')).length, 2, 'one stored lock per alias');

  const second = new LoginLockout(clock, {}, storage);
  await second.load();
  assert.throws(() => second.begin(up, 'login/bob', {}), PermissionDeniedError, 'still locked after a restart');
  assert.deepEqual(second.locked().get('auth_userpass_1')?.sort(), ['bob', 'carol@example.com']);
  await second.unlock('auth_userpass_1', 'bob');
  assert.ok(second.begin(up, 'login/bob', {}) !== undefined);

  clock.advance(900_000);
  const third = new LoginLockout(clock, {}, storage);
  await third.load();
  assert.deepEqual([...third.locked()], [], 'run-out locks are not loaded');
  assert.deepEqual(await storage.list('core/login/locked-users/'), [], '...and are deleted');
});

test('a lock that ran out starts the count afresh', () => {
  const clock = new FakeClock(0);
  const l = new LoginLockout(clock, {});
  const quick = mount('userpass', 'acc', { lockout_threshold: 2, lockout_duration: 60, lockout_counter_reset: 3600 });
  assert.equal(failLogins(l, quick, 'bob', 2), 0);
  assert.throws(() => l.begin(quick, 'login/bob', {}), PermissionDeniedError);
  clock.advance(60_000);
  assert.equal(failLogins(l, quick, 'bob', 1), 0);
  assert.ok(l.begin(quick, 'login/bob', {}) !== undefined, 'one failure after the lock is not a new lock');
});
