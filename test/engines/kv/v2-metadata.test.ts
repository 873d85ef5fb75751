import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, NotFoundError } from '../../../src/errors.js';
import { kvV2Factory } from '../../../src/engines/kv/index.js';
import { call, makeHarness } from '../../framework/harness.js';

function setup() {
  const h = makeHarness({ type: 'kv', options: { version: '2' } });
  return { ...h, kv: kvV2Factory(h.ctx) };
}

test('metadata read shows settings and every version', async () => {
  const { kv, clock } = setup();
  await call(kv, 'create', 'data/m', { data: { a: 1 } });
  clock.advance(1000);
  await call(kv, 'update', 'data/m', { data: { a: 2 } });
  clock.advance(1000);
  await call(kv, 'delete', 'data/m');
  assert.deepEqual(await call(kv, 'read', 'metadata/m'), {
    data: {
      cas_required: false,
      created_time: '2026-01-01T00:00:00Z',
      current_version: 2,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: '2026-01-01T00:00:01Z',
      versions: {
        '1': { created_time: '2026-01-01T00:00:00Z', deletion_time: '', destroyed: false },
        '2': { created_time: '2026-01-01T00:00:01Z', deletion_time: '2026-01-01T00:00:02Z', destroyed: false },
      },
    },
  });
  assert.equal(await call(kv, 'read', 'metadata/none'), undefined);
});

test('metadata write sets settings and custom_metadata without creating a version', async () => {
  const { kv, clock } = setup();
  assert.equal(
    await call(kv, 'update', 'metadata/w', {
      max_versions: 5,
      cas_required: false,
      delete_version_after: '3h25m19s',
      custom_metadata: { foo: 'abc', bar: '123' },
    }),
    undefined,
  );
  let meta = (await call(kv, 'read', 'metadata/w'))?.data;
  assert.equal(meta?.current_version, 0);
  assert.equal(meta?.max_versions, 5);
  assert.equal(meta?.delete_version_after, '3h25m19s');
  assert.deepEqual(meta?.custom_metadata, { foo: 'abc', bar: '123' });
  assert.deepEqual(meta?.versions, {});
  // custom_metadata shows in data reads and write responses.
  const written = await call(kv, 'create', 'data/w', { data: { x: 1 } });
  assert.deepEqual(written?.data?.custom_metadata, { foo: 'abc', bar: '123' });
  assert.deepEqual(((await call(kv, 'read', 'data/w'))?.data?.metadata as Record<string, unknown>).custom_metadata, { foo: 'abc', bar: '123' });
  // A later write changes only what it names; custom_metadata is replaced wholesale.
  clock.advance(5000);
  await call(kv, 'update', 'metadata/w', { custom_metadata: { only: 'this' } });
  meta = (await call(kv, 'read', 'metadata/w'))?.data;
  assert.equal(meta?.max_versions, 5);
  assert.deepEqual(meta?.custom_metadata, { only: 'this' });
  // As Vault: metadata writes do not move updated_time; version writes do.
  assert.equal(meta?.updated_time, '2026-01-01T00:00:00Z');
  await assert.rejects(call(kv, 'update', 'metadata/w', { max_versions: -1 }), BadRequestError);
});

test('custom_metadata limits: 64 keys, 128-byte keys, 512-byte values, strings only', async () => {
  const { kv } = setup();
  const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
  const cases: [Record<string, unknown>, RegExp][] = [
    [tooMany, /payload must contain at most 64 keys, provided 65/],
    [{ ['k'.repeat(129)]: 'v' }, /length of key "k{129}" is 129 but max is 128/],
    [{ big: 'v'.repeat(513) }, /length of value for key "big" is 513 but max is 512/],
    [{ n: 5 }, /value for key "n" must be a string/],
    [{ 'bad\u0007': 'v' }, /key "bad\\u0007" contains unprintable characters/],
    [{ k: 'line\nbreak' }, /value for key "k" contains unprintable characters/],
  ];
  for (const [custom, message] of cases) {
    await assert.rejects(call(kv, 'update', 'metadata/lim', { custom_metadata: custom }), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.match(err.message, /^custom_metadata validation failed: /);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('v'.repeat(513)), 'values are never echoed');
      return true;
    });
  }
  const atLimits = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`${i}`.padEnd(128, 'k'), 'ü'.repeat(256)]));
  assert.equal(await call(kv, 'update', 'metadata/lim', { custom_metadata: atLimits }), undefined);
  assert.equal(await call(kv, 'read', 'data/lim'), undefined);
});

test('metadata patch merges settings and custom_metadata; 404 when missing', async () => {
  const { kv } = setup();
  await assert.rejects(call(kv, 'patch', 'metadata/none', { max_versions: 1 }), NotFoundError);
  await call(kv, 'update', 'metadata/p', { max_versions: 5, cas_required: true, custom_metadata: { foo: 'abc', bar: '123' } });
  await call(kv, 'patch', 'metadata/p', { max_versions: 3, custom_metadata: { bar: '456', foo: null, baz: 'new' } });
  let meta = (await call(kv, 'read', 'metadata/p'))?.data;
  assert.equal(meta?.max_versions, 3);
  assert.equal(meta?.cas_required, true);
  assert.deepEqual(meta?.custom_metadata, { bar: '456', baz: 'new' });
  // An explicit null resets a setting.
  await call(kv, 'patch', 'metadata/p', { cas_required: null, custom_metadata: null });
  meta = (await call(kv, 'read', 'metadata/p'))?.data;
  assert.equal(meta?.cas_required, false);
  assert.equal(meta?.custom_metadata, null);
  assert.equal(meta?.max_versions, 3);
  await assert.rejects(call(kv, 'patch', 'metadata/p', { custom_metadata: { x: 'y'.repeat(600) } }), BadRequestError);
});

test('metadata delete removes the key and every version', async () => {
  const { kv, storage, prefix } = setup();
  for (let i = 0; i < 3; i++) await call(kv, 'update', 'data/gone', { data: { i } });
  await call(kv, 'update', 'data/gone/child', { data: { keep: true } });
  assert.equal(await call(kv, 'delete', 'metadata/gone'), undefined);
  assert.equal(await call(kv, 'read', 'metadata/gone'), undefined);
  assert.equal(await call(kv, 'read', 'data/gone'), undefined);
  assert.equal(await call(kv, 'read', 'data/gone', { version: 1 }), undefined);
  // Only the child's metadata and single version remain.
  const left = storage.keys().map((k) => k.slice(prefix.length));
  assert.equal(left.filter((k) => k.startsWith('versions/')).length, 1);
  assert.deepEqual(left.filter((k) => k.startsWith('metadata/')), ['metadata/gone/child']);
  assert.deepEqual((await call(kv, 'read', 'data/gone/child'))?.data?.data, { keep: true });
  // A fresh write starts again at version 1.
  assert.equal((await call(kv, 'update', 'data/gone', { data: {} }))?.data?.version, 1);
  assert.equal(await call(kv, 'delete', 'metadata/never'), undefined);
});

test('LIST on metadata lists keys, folders with a trailing slash; 404 when empty', async () => {
  const { kv } = setup();
  assert.equal(await call(kv, 'list', 'metadata/'), undefined);
  await call(kv, 'create', 'data/foo', { data: {} });
  await call(kv, 'create', 'data/foo/bar', { data: {} });
  await call(kv, 'create', 'data/foo/baz/qux', { data: {} });
  await call(kv, 'update', 'metadata/only-meta', { max_versions: 1 });
  assert.deepEqual(await call(kv, 'list', 'metadata/'), { data: { keys: ['foo', 'foo/', 'only-meta'] } });
  assert.deepEqual(await call(kv, 'list', 'metadata'), { data: { keys: ['foo', 'foo/', 'only-meta'] } });
  assert.deepEqual(await call(kv, 'list', 'metadata/foo/'), { data: { keys: ['bar', 'baz/'] } });
  assert.deepEqual(await call(kv, 'list', 'metadata/foo'), { data: { keys: ['bar', 'baz/'] } });
  assert.equal(await call(kv, 'list', 'metadata/nothing/'), undefined);
  // Soft-deleted keys are still listed; only a metadata delete removes them.
  await call(kv, 'delete', 'data/foo/bar');
  assert.deepEqual(await call(kv, 'list', 'metadata/foo/'), { data: { keys: ['bar', 'baz/'] } });
  await assert.rejects(call(kv, 'read', 'metadata'), (err: unknown) => err instanceof BadRequestError && err.message === 'missing path');
});

test('storage layout: metadata by path, version data by digest, nothing outside the mount', async () => {
  const { kv, storage, prefix } = setup();
  await call(kv, 'create', 'data/a', { data: { v: 'a' } });
  await call(kv, 'create', 'data/a/1', { data: { v: 'a/1' } });
  await call(kv, 'update', 'config', { max_versions: 4 });
  const keys = storage.keys();
  assert.ok(keys.every((k) => k.startsWith(prefix)));
  const rel = keys.map((k) => k.slice(prefix.length));
  assert.deepEqual(rel.filter((k) => !k.startsWith('versions/')), ['config', 'metadata/a', 'metadata/a/1']);
  const versionKeys = rel.filter((k) => k.startsWith('versions/'));
  assert.equal(versionKeys.length, 2);
  for (const k of versionKeys) assert.match(k, /^versions\/[0-9a-f]{64}\/1$/);
  // "a" version 1 and path "a/1" never share a key.
  assert.deepEqual((await call(kv, 'read', 'data/a'))?.data?.data, { v: 'a' });
  assert.deepEqual((await call(kv, 'read', 'data/a/1'))?.data?.data, { v: 'a/1' });
});
