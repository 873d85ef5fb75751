/**
 * The userpass backend through handleRequest on in-memory storage: user CRUD, listing,
 * password and policy changes, login, and what ends up in storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { BadRequestError, PermissionDeniedError } from '../../src/errors.js';
import { BUILTIN_BACKENDS } from '../../src/engines/index.js';
import { userpassFactory } from '../../src/auth/userpass/backend.js';
import { USER_PREFIX } from '../../src/auth/userpass/user-store.js';
import type { LogicalBackend } from '../../src/logical/backend.js';
import { call, makeHarness, request } from '../framework/harness.js';

function setup() {
  const h = makeHarness({ type: 'userpass' });
  return { ...h, up: userpassFactory(h.ctx) };
}

function badRequest(message: string | RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof BadRequestError, `expected BadRequestError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

async function login(up: LogicalBackend, username: string, password: string, remoteAddr = '127.0.0.1') {
  return up.handleRequest({ ...request('update', `login/${username}`, { password }), remoteAddr });
}

test('registered as an auth method with an unauthenticated login', () => {
  assert.equal(BUILTIN_BACKENDS.get('userpass')?.kind, 'auth');
  const { up } = setup();
  assert.deepEqual(up.specialPaths.unauthenticated, ['login/*']);
});

test('create, read, update, delete a user', async () => {
  const { up } = setup();
  assert.equal(await call(up, 'create', 'users/bob', { password: 'hunter2', token_policies: 'dev, ops', token_ttl: '1h' }), undefined);
  const read = await call(up, 'read', 'users/bob');
  assert.deepEqual(read?.data, {
    token_bound_cidrs: [],
    token_explicit_max_ttl: 0,
    token_max_ttl: 0,
    token_no_default_policy: false,
    token_num_uses: 0,
    token_period: 0,
    token_policies: ['dev', 'ops'],
    token_ttl: 3600,
    token_type: 'default',
  });
  // An update without a password keeps the password and the fields it does not send.
  await call(up, 'update', 'users/bob', { token_max_ttl: '2h' });
  const after = await call(up, 'read', 'users/bob');
  assert.equal(after?.data?.['token_max_ttl'], 7200);
  assert.deepEqual(after?.data?.['token_policies'], ['dev', 'ops']);
  assert.ok((await login(up, 'bob', 'hunter2'))?.login);

  assert.equal(await call(up, 'delete', 'users/bob'), undefined);
  assert.equal(await call(up, 'read', 'users/bob'), undefined);
  await assert.rejects(login(up, 'bob', 'hunter2'), badRequest('invalid username or password'));
});

test('usernames are lower-cased everywhere', async () => {
  const { up, storage, prefix } = setup();
  await call(up, 'create', 'users/Alice', { password: 'pw-alice' });
  assert.ok(storage.entries.has(`${prefix}${USER_PREFIX}alice`));
  assert.ok((await call(up, 'read', 'users/ALICE'))?.data);
  const resp = await login(up, 'aLiCe', 'pw-alice');
  assert.equal(resp?.login?.displayName, 'alice');
  assert.deepEqual(resp?.login?.metadata, { username: 'alice' });
  assert.deepEqual((await call(up, 'list', 'users'))?.data, { keys: ['alice'] });
});

test('create needs a password; invalid token fields write nothing', async () => {
  const { up, storage } = setup();
  await assert.rejects(call(up, 'create', 'users/nopw', { token_policies: 'a' }), badRequest('missing password'));
  await assert.rejects(call(up, 'create', 'users/nopw', { password: '' }), badRequest('missing password'));
  await assert.rejects(call(up, 'create', 'users/bad', { password: 'x', token_type: 'weird' }), badRequest(/token_type/));
  await assert.rejects(call(up, 'create', 'users/bad', { password: 'x', token_ttl: '2h', token_max_ttl: '1h' }), BadRequestError);
  await assert.rejects(call(up, 'create', 'users/bad', { password: 'x', token_bound_cidrs: '10.0.0.0/33' }), badRequest(/10\.0\.0\.0\/33/));
  assert.equal(storage.writes, 0);
});

test('a password that cannot be converted is never echoed', async () => {
  const { up } = setup();
  await assert.rejects(call(up, 'create', 'users/bob', { password: { secret: 'do-not-echo' } }), (err: unknown) => {
    assert.ok(err instanceof BadRequestError);
    assert.match(err.message, /<redacted>/);
    assert.doesNotMatch(err.message, /do-not-echo/);
    return true;
  });
});

test('LIST users', async () => {
  const { up } = setup();
  assert.equal(await call(up, 'list', 'users'), undefined);
  await call(up, 'create', 'users/zed', { password: 'a' });
  await call(up, 'create', 'users/amy', { password: 'b' });
  assert.deepEqual((await call(up, 'list', 'users/'))?.data, { keys: ['amy', 'zed'] });
});

test('existence check tells create from update', async () => {
  const { up } = setup();
  assert.deepEqual(await up.existenceCheck(request('update', 'users/bob', {})), { supported: true, exists: false });
  await call(up, 'create', 'users/bob', { password: 'a' });
  assert.deepEqual(await up.existenceCheck(request('update', 'users/bob', {})), { supported: true, exists: true });
});

test('password change', async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', { password: 'old-pw', token_policies: 'dev' });
  assert.equal(await call(up, 'update', 'users/bob/password', { password: 'new-pw' }), undefined);
  await assert.rejects(login(up, 'bob', 'old-pw'), badRequest('invalid username or password'));
  assert.deepEqual((await login(up, 'bob', 'new-pw'))?.login?.policies, ['dev']);
  await assert.rejects(call(up, 'update', 'users/bob/password', {}), badRequest('missing password'));
  await assert.rejects(call(up, 'update', 'users/nobody/password', { password: 'x' }), badRequest('username does not exist'));
});

test('policies update sets token_policies; legacy policies are echoed while they last', async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', { password: 'pw', policies: 'Old,old, b' });
  let data = (await call(up, 'read', 'users/bob'))?.data;
  assert.deepEqual(data?.['token_policies'], ['b', 'old']);
  assert.deepEqual(data?.['policies'], ['b', 'old']);

  await call(up, 'update', 'users/bob/policies', { token_policies: ['admin', 'dev'] });
  data = (await call(up, 'read', 'users/bob'))?.data;
  assert.deepEqual(data?.['token_policies'], ['admin', 'dev']);
  assert.equal(data?.['policies'], undefined);
  assert.deepEqual((await login(up, 'bob', 'pw'))?.login?.policies, ['admin', 'dev']);

  await call(up, 'update', 'users/bob/policies', { policies: 'legacy' });
  data = (await call(up, 'read', 'users/bob'))?.data;
  assert.deepEqual(data?.['token_policies'], ['legacy']);
  assert.deepEqual(data?.['policies'], ['legacy']);
  await assert.rejects(call(up, 'update', 'users/nobody/policies', { policies: 'x' }), badRequest('username does not exist'));
});

test('deprecated ttl and max_ttl set the token TTLs', async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', { password: 'pw', ttl: '10m', max_ttl: 3600 });
  let data = (await call(up, 'read', 'users/bob'))?.data;
  assert.equal(data?.['token_ttl'], 600);
  assert.equal(data?.['ttl'], 600);
  assert.equal(data?.['token_max_ttl'], 3600);
  assert.equal(data?.['max_ttl'], 3600);
  await call(up, 'update', 'users/bob', { token_ttl: 120 });
  data = (await call(up, 'read', 'users/bob'))?.data;
  assert.equal(data?.['token_ttl'], 120);
  assert.equal(data?.['ttl'], undefined);
  assert.equal(data?.['max_ttl'], 3600);
  await assert.rejects(call(up, 'update', 'users/bob', { ttl: '2h' }), BadRequestError);
});

test('login returns a LoginAuth built from the user', async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', {
    password: 'correct horse',
    token_policies: 'dev',
    token_ttl: '30m',
    token_max_ttl: '1h',
    token_num_uses: 5,
    token_no_default_policy: true,
  });
  const resp = await login(up, 'bob', 'correct horse');
  assert.equal(resp?.auth, undefined, 'backends never create tokens');
  assert.deepEqual(resp?.login, {
    displayName: 'bob',
    policies: ['dev'],
    metadata: { username: 'bob' },
    ttl: 1800,
    maxTTL: 3600,
    explicitMaxTTL: 0,
    period: 0,
    numUses: 5,
    renewable: true,
    noDefaultPolicy: true,
    tokenType: 'default',
    boundCidrs: [],
    alias: { name: 'bob' },
  });
});

test('wrong password and unknown user get the same answer', async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', { password: 'right' });
  const wrong = await login(up, 'bob', 'wrong').then(() => undefined, (e: unknown) => e);
  const unknown = await login(up, 'nobody', 'right').then(() => undefined, (e: unknown) => e);
  assert.ok(wrong instanceof BadRequestError && unknown instanceof BadRequestError);
  assert.equal(wrong.message, 'invalid username or password');
  assert.equal(unknown.message, wrong.message);
  assert.equal(wrong.status, 400);
  await assert.rejects(login(up, 'bob', ''), badRequest('missing password'));
});

test('an unknown user costs a hash too, so timing does not reveal it', async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', { password: 'right' });
  const time = async (username: string): Promise<number> => {
    const start = performance.now();
    await login(up, username, 'wrong').catch(() => undefined);
    return performance.now() - start;
  };
  let known = 0;
  let unknown = 0;
  for (let i = 0; i < 3; i++) {
    known += await time('bob');
    unknown += await time('nobody');
  }
  // Without the dummy hash an unknown user answers in well under a millisecond.
  assert.ok(unknown > known * 0.3, `unknown user took ${unknown.toFixed(1)} ms, known ${known.toFixed(1)} ms`);
});

test('token_bound_cidrs are enforced at login', async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', { password: 'pw', token_bound_cidrs: '10.0.0.0/8, 192.168.1.7' });
  assert.ok((await login(up, 'bob', 'pw', '10.20.30.40'))?.login);
  assert.ok((await login(up, 'bob', 'pw', '::ffff:192.168.1.7'))?.login);
  await assert.rejects(login(up, 'bob', 'pw', '127.0.0.1'), PermissionDeniedError);
  await assert.rejects(login(up, 'bob', 'pw', '192.168.1.8'), PermissionDeniedError);
  // The password is checked first: a wrong one from outside is still "invalid".
  await assert.rejects(login(up, 'bob', 'nope', '127.0.0.1'), badRequest('invalid username or password'));
});

test('storage holds a salted scrypt hash, never the password', async () => {
  const { up, storage, prefix } = setup();
  const password = 'p@ssw0rd-that-must-not-leak';
  await call(up, 'create', 'users/bob', { password });
  await call(up, 'create', 'users/eve', { password });
  await call(up, 'update', 'users/bob/password', { password });
  const needles = [password, Buffer.from(password).toString('base64'), Buffer.from(password).toString('hex')];
  for (const [key, value] of storage.entries) {
    const text = value.toString('utf8');
    for (const n of needles) assert.ok(!text.includes(n), `${key} contains the password`);
  }
  const bob = JSON.parse(storage.entries.get(`${prefix}${USER_PREFIX}bob`)!.toString('utf8'));
  const eve = JSON.parse(storage.entries.get(`${prefix}${USER_PREFIX}eve`)!.toString('utf8'));
  assert.equal(bob.password.algorithm, 'scrypt');
  assert.ok(bob.password.N >= 2 ** 14);
  assert.equal(Buffer.from(bob.password.salt, 'base64').length, 16);
  assert.notEqual(bob.password.hash, password);
  assert.equal(Buffer.from(bob.password.hash, 'base64').length, bob.password.keyLength);
  // Same password, different salt, different hash.
  assert.notEqual(bob.password.salt, eve.password.salt);
  assert.notEqual(bob.password.hash, eve.password.hash);
  // Reads never return it either.
  assert.ok(!JSON.stringify((await call(up, 'read', 'users/bob'))?.data).includes(password));
});

test('hashes made with other parameters stay verifiable', async () => {
  const { up, storage, prefix } = setup();
  await call(up, 'create', 'users/bob', { password: 'pw' });
  const { hashPassword } = await import('../../src/auth/userpass/password-hash.js');
  const key = `${prefix}${USER_PREFIX}bob`;
  const stored = JSON.parse(storage.entries.get(key)!.toString('utf8'));
  stored.password = await hashPassword('older-pw', { N: 2 ** 12, r: 8, p: 1, keyLength: 24 });
  storage.entries.set(key, Buffer.from(JSON.stringify(stored)));
  assert.ok((await login(up, 'bob', 'older-pw'))?.login);
  await assert.rejects(login(up, 'bob', 'pw'), badRequest('invalid username or password'));
});

test("concurrent changes to one user don't undo each other", async () => {
  const { up } = setup();
  await call(up, 'create', 'users/bob', { password: 'one' });
  await Promise.all([
    call(up, 'update', 'users/bob/password', { password: 'two' }),
    call(up, 'update', 'users/bob/policies', { token_policies: 'dev' }),
  ]);
  assert.deepEqual((await login(up, 'bob', 'two'))?.login?.policies, ['dev']);
});
