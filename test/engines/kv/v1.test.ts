import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, UnsupportedOperationError } from '../../../src/errors.js';
import { kvV1Factory } from '../../../src/engines/kv/index.js';
import { call, makeHarness, request } from '../../framework/harness.js';

function setup(defaultTTL?: number) {
  const h = makeHarness(defaultTTL === undefined ? {} : { defaultTTL });
  return { ...h, kv: kvV1Factory(h.ctx) };
}

test('write, read, overwrite, delete', async () => {
  const { kv } = setup();
  assert.equal(await call(kv, 'create', 'my-secret', { foo: 'bar', zip: 'zap' }), undefined);
  const resp = await call(kv, 'read', 'my-secret');
  assert.deepEqual(resp?.data, { foo: 'bar', zip: 'zap' });
  // Writes replace the whole object: sub-fields are not merged.
  await call(kv, 'update', 'my-secret', { only: 'this' });
  assert.deepEqual((await call(kv, 'read', 'my-secret'))?.data, { only: 'this' });
  assert.equal(await call(kv, 'delete', 'my-secret'), undefined);
  assert.equal(await call(kv, 'read', 'my-secret'), undefined);
  // Deleting a missing secret is not an error.
  assert.equal(await call(kv, 'delete', 'my-secret'), undefined);
});

test('values are arbitrary JSON and come back unchanged', async () => {
  const { kv } = setup();
  const value = { n: 5, f: 1.5, b: false, nil: null, list: [1, 'two', { three: 3 }], nested: { deep: { deeper: 'x' } } };
  await call(kv, 'create', 'json', value);
  assert.deepEqual((await call(kv, 'read', 'json'))?.data, value);
});

test('reads report the mount default lease duration without a lease', async () => {
  const { kv } = setup(2764800);
  await call(kv, 'create', 'plain', { a: '1' });
  const resp = await call(kv, 'read', 'plain');
  assert.deepEqual(resp?.secret, { ttl: 2764800, renewable: false });
  assert.equal(resp?.secret?.leaseId, undefined);
});

test('a ttl key is advisory: stored, returned, reported as the lease duration', async () => {
  const { kv, clock } = setup();
  await call(kv, 'create', 'ttl', { 'my-value': 's3cr3t', ttl: '30m' });
  const resp = await call(kv, 'read', 'ttl');
  assert.deepEqual(resp?.data, { 'my-value': 's3cr3t', ttl: '30m' });
  assert.deepEqual(resp?.secret, { ttl: 1800, renewable: false });
  // Never expires anything.
  clock.advance(10 * 3600 * 1000);
  assert.deepEqual((await call(kv, 'read', 'ttl'))?.data, { 'my-value': 's3cr3t', ttl: '30m' });
  await call(kv, 'create', 'numeric', { ttl: 90 });
  assert.equal((await call(kv, 'read', 'numeric'))?.secret?.ttl, 90);
  await call(kv, 'create', 'legacy', { lease: '1h' });
  assert.equal((await call(kv, 'read', 'legacy'))?.secret?.ttl, 3600);
});

test('an unparseable ttl is rejected at write time', async () => {
  const { kv, storage } = setup();
  await assert.rejects(call(kv, 'create', 'bad', { ttl: 'soon' }), (err: unknown) => {
    assert.ok(err instanceof BadRequestError);
    assert.match(err.message, /^failed to parse ttl: /);
    return true;
  });
  assert.equal(storage.entries.size, 0);
});

test('a write without data is "missing data fields"', async () => {
  const { kv } = setup();
  await assert.rejects(call(kv, 'create', 'empty', {}), (err: unknown) => err instanceof BadRequestError && err.message === 'missing data fields');
});

test('list returns keys and folders, 404 when empty', async () => {
  const { kv } = setup();
  await call(kv, 'create', 'foo', { a: 1 });
  await call(kv, 'create', 'foo/bar', { a: 1 });
  await call(kv, 'create', 'foo/baz/qux', { a: 1 });
  await call(kv, 'create', 'zed', { a: 1 });
  assert.deepEqual(await call(kv, 'list', ''), { data: { keys: ['foo', 'foo/', 'zed'] } });
  assert.deepEqual(await call(kv, 'list', 'foo/'), { data: { keys: ['bar', 'baz/'] } });
  // The folder may be named without its trailing slash.
  assert.deepEqual(await call(kv, 'list', 'foo'), { data: { keys: ['bar', 'baz/'] } });
  assert.equal(await call(kv, 'list', 'nothing/'), undefined);
  // "a" and "a/b" are separate secrets.
  assert.deepEqual((await call(kv, 'read', 'foo'))?.data, { a: 1 });
  await call(kv, 'delete', 'foo');
  assert.deepEqual((await call(kv, 'read', 'foo/bar'))?.data, { a: 1 });
});

test('existence check distinguishes create from update', async () => {
  const { kv } = setup();
  assert.deepEqual(await kv.existenceCheck(request('update', 'x')), { supported: true, exists: false });
  await call(kv, 'create', 'x', { a: 1 });
  assert.deepEqual(await kv.existenceCheck(request('update', 'x')), { supported: true, exists: true });
  assert.deepEqual(await kv.existenceCheck(request('update', '../x')), { supported: true, exists: false });
});

test('unicode, spaces and deep paths', async () => {
  const { kv } = setup();
  const paths = ['with space/and more', 'ünïcödé/秘密/🔑', `${'deep/'.repeat(40)}leaf`];
  for (const [i, path] of paths.entries()) {
    await call(kv, 'create', path, { i });
    assert.deepEqual((await call(kv, 'read', path))?.data, { i });
  }
  assert.deepEqual(await call(kv, 'list', 'ünïcödé/秘密'), { data: { keys: ['🔑'] } });
  assert.deepEqual(await call(kv, 'list', 'with space/'), { data: { keys: ['and more'] } });
});

test('paths that could escape the mount or list ambiguously are rejected', async () => {
  const { kv, storage } = setup();
  for (const path of ['../escape', 'a/../../b', 'a/./b', 'a//b', '/lead', 'trail/', 'nul\0x', 'lone\ud800', '']) {
    await assert.rejects(call(kv, 'create', path, { a: 1 }), BadRequestError, JSON.stringify(path));
    await assert.rejects(call(kv, 'read', path), BadRequestError, JSON.stringify(path));
  }
  await assert.rejects(call(kv, 'list', 'a/../'), BadRequestError);
  await assert.rejects(call(kv, 'create', 'x'.repeat(1025), { a: 1 }), BadRequestError);
  assert.equal(storage.entries.size, 0);
});

test('storage stays inside the mount prefix', async () => {
  const { kv, storage, prefix } = setup();
  await call(kv, 'create', 'a', { v: 1 });
  await call(kv, 'create', 'a/b', { v: 2 });
  assert.deepEqual(storage.keys(), [`${prefix}data/a`, `${prefix}data/a/b`]);
});

test('patch is not a KV v1 operation', async () => {
  const { kv } = setup();
  await call(kv, 'create', 'p', { a: 1 });
  await assert.rejects(call(kv, 'patch', 'p', { a: 2 }), UnsupportedOperationError);
});

test('arbitrary keys produce no unrecognized-parameter warning', async () => {
  const { kv } = setup();
  assert.equal(await call(kv, 'create', 'w', { anything: 1, goes: 2 }), undefined);
});
