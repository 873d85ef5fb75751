import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../../../src/errors.js';
import { kvV2Factory } from '../../../src/engines/kv/index.js';
import { call, makeHarness } from '../../framework/harness.js';
import { addVersion } from '../../../src/engines/kv/v2/versions.js';
import { DEFAULT_CONFIG, versionKey } from '../../../src/engines/kv/v2/layout.js';
import { isUncached } from '../../../src/logical/storage.js';

function setup() {
  const h = makeHarness({ type: 'kv-v2' });
  return { ...h, kv: kvV2Factory(h.ctx) };
}

type Meta = Record<string, unknown> & { versions: Record<string, { created_time: string; deletion_time: string; destroyed: boolean }> };

async function metadata(kv: ReturnType<typeof setup>['kv'], path: string): Promise<Meta> {
  return (await call(kv, 'read', `metadata/${path}`))?.data as Meta;
}

async function writeVersions(kv: ReturnType<typeof setup>['kv'], path: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await call(kv, 'update', `data/${path}`, { data: { i } });
}

test('delete/ soft-deletes listed versions; undelete/ restores them', async () => {
  const { kv, clock } = setup();
  await writeVersions(kv, 'v', 3);
  clock.advance(2000);
  assert.equal(await call(kv, 'update', 'delete/v', { versions: [1, 2] }), undefined);
  for (const version of [1, 2]) {
    const resp = await call(kv, 'read', 'data/v', { version });
    assert.equal(resp?.statusCode, 404);
    assert.equal(resp?.data?.data, null);
    assert.equal((resp?.data?.metadata as Record<string, unknown>).deletion_time, '2026-01-01T00:00:02Z');
  }
  assert.deepEqual((await call(kv, 'read', 'data/v'))?.data?.data, { i: 3 });
  await call(kv, 'create', 'undelete/v', { versions: '1' });
  assert.deepEqual((await call(kv, 'read', 'data/v', { version: 1 }))?.data?.data, { i: 1 });
  assert.equal((await call(kv, 'read', 'data/v', { version: 2 }))?.statusCode, 404);
  // Unknown versions and keys are ignored.
  assert.equal(await call(kv, 'update', 'delete/v', { versions: [99] }), undefined);
  assert.equal(await call(kv, 'update', 'delete/none', { versions: [1] }), undefined);
});

test('destroy/ removes version data for good and marks it destroyed', async () => {
  const { kv, storage } = setup();
  await writeVersions(kv, 'd', 2);
  const keysBefore = storage.keys().length;
  await call(kv, 'update', 'destroy/d', { versions: [1] });
  assert.equal(storage.keys().length, keysBefore - 1);
  const resp = await call(kv, 'read', 'data/d', { version: 1 });
  assert.deepEqual(resp, {
    statusCode: 404,
    data: {
      data: null,
      metadata: { created_time: '2026-01-01T00:00:00Z', custom_metadata: null, deletion_time: '', destroyed: true, version: 1 },
    },
  });
  // Undelete cannot bring back a destroyed version.
  await call(kv, 'update', 'undelete/d', { versions: [1] });
  assert.equal((await call(kv, 'read', 'data/d', { version: 1 }))?.statusCode, 404);
  assert.equal((await metadata(kv, 'd')).versions['1']?.destroyed, true);
  assert.deepEqual((await call(kv, 'read', 'data/d'))?.data?.data, { i: 2 });
});

test('version operations require versions', async () => {
  const { kv } = setup();
  await writeVersions(kv, 'r', 1);
  for (const op of ['delete', 'undelete', 'destroy']) {
    await assert.rejects(call(kv, 'update', `${op}/r`, {}), (err: unknown) => err instanceof BadRequestError && err.message === 'no version number provided');
    await assert.rejects(call(kv, 'update', `${op}/r`, { versions: [] }), BadRequestError);
  }
});

test('max_versions prunes the oldest versions on write (engine default 10)', async () => {
  const { kv, storage, prefix } = setup();
  await writeVersions(kv, 'many', 12);
  let meta = await metadata(kv, 'many');
  assert.equal(meta.current_version, 12);
  assert.equal(meta.oldest_version, 3);
  assert.deepEqual(Object.keys(meta.versions).map(Number).sort((a, b) => a - b), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.equal(await call(kv, 'read', 'data/many', { version: 2 }), undefined);
  const versionKeys = storage.keys().filter((k) => k.startsWith(`${prefix}versions/`));
  assert.equal(versionKeys.length, 10);

  // A key's own setting wins, and is applied on the next write.
  await call(kv, 'update', 'metadata/many', { max_versions: 2 });
  assert.equal(Object.keys((await metadata(kv, 'many')).versions).length, 10);
  await call(kv, 'update', 'data/many', { data: { i: 13 } });
  meta = await metadata(kv, 'many');
  assert.equal(meta.oldest_version, 12);
  assert.deepEqual(Object.keys(meta.versions), ['12', '13']);
  assert.equal(storage.keys().filter((k) => k.startsWith(`${prefix}versions/`)).length, 2);

  // The engine config applies to keys without their own setting.
  await call(kv, 'update', 'config', { max_versions: 3 });
  await writeVersions(kv, 'cfg', 5);
  assert.deepEqual(Object.keys((await metadata(kv, 'cfg')).versions), ['3', '4', '5']);
});

test('a write prunes with deletes the read cache does not remember: nothing reads a pruned version', () => {
  let meta = addVersion('p', undefined, { ...DEFAULT_CONFIG, maxVersions: 2 }, { i: 1 }, 1000).meta;
  meta = addVersion('p', meta, { ...DEFAULT_CONFIG, maxVersions: 2 }, { i: 2 }, 2000).meta;
  const third = addVersion('p', meta, { ...DEFAULT_CONFIG, maxVersions: 2 }, { i: 3 }, 3000);
  const deletes = third.ops.filter((op) => op.type === 'delete');
  assert.deepEqual(deletes.map((op) => op.key), [versionKey('p', 1)]);
  assert.ok(deletes.every(isUncached));
  assert.deepEqual(third.meta.records.list().map((r) => r.version), [2, 3]);
  // The records are held as their stored text.
  assert.equal(third.meta.records.json, '[[2,2000,null,0],[3,3000,null,0]]');
});

test('delete_version_after schedules deletion; reads honour it via the clock', async () => {
  const { kv, clock } = setup();
  await call(kv, 'update', 'metadata/tmp', { delete_version_after: '1h' });
  const written = await call(kv, 'create', 'data/tmp', { data: { a: 1 } });
  assert.equal(written?.data?.deletion_time, '2026-01-01T01:00:00Z');
  clock.advance(3600 * 1000 - 1);
  assert.deepEqual((await call(kv, 'read', 'data/tmp'))?.data?.data, { a: 1 });
  clock.advance(1);
  const expired = await call(kv, 'read', 'data/tmp');
  assert.equal(expired?.statusCode, 404);
  assert.equal(expired?.data?.data, null);
  // Undelete clears the scheduled deletion.
  await call(kv, 'update', 'undelete/tmp', { versions: [1] });
  assert.deepEqual((await call(kv, 'read', 'data/tmp'))?.data?.data, { a: 1 });
});

test('delete_version_after: the engine value applies, and caps a larger key value', async () => {
  const { kv } = setup();
  await call(kv, 'update', 'config', { delete_version_after: '10m' });
  const plain = await call(kv, 'create', 'data/plain', { data: {} });
  assert.equal(plain?.data?.deletion_time, '2026-01-01T00:10:00Z');
  await call(kv, 'update', 'metadata/longer', { delete_version_after: '2h' });
  assert.equal((await call(kv, 'create', 'data/longer', { data: {} }))?.data?.deletion_time, '2026-01-01T00:10:00Z');
  await call(kv, 'update', 'metadata/shorter', { delete_version_after: 60 });
  assert.equal((await call(kv, 'create', 'data/shorter', { data: {} }))?.data?.deletion_time, '2026-01-01T00:01:00Z');
  // Only new versions are affected by a changed setting.
  await call(kv, 'update', 'config', { delete_version_after: 0 });
  assert.equal((await metadata(kv, 'plain')).versions['1']?.deletion_time, '2026-01-01T00:10:00Z');
  assert.equal((await call(kv, 'update', 'data/plain', { data: {} }))?.data?.deletion_time, '');
});

test('subkeys: structure without values, depth limit, versions, deleted versions', async () => {
  const { kv } = setup();
  await call(kv, 'create', 'data/sk', { data: { foo: 'abc', bar: { baz: 'def', deep: { deeper: 1 } }, quux: {}, list: [1, 2] } });
  const full = await call(kv, 'read', 'subkeys/sk');
  assert.deepEqual(full?.data?.subkeys, { foo: null, bar: { baz: null, deep: { deeper: null } }, quux: null, list: null });
  assert.deepEqual(full?.data?.metadata, {
    created_time: '2026-01-01T00:00:00Z',
    custom_metadata: null,
    deletion_time: '',
    destroyed: false,
    version: 1,
  });
  assert.deepEqual((await call(kv, 'read', 'subkeys/sk', { depth: '1' }))?.data?.subkeys, { foo: null, bar: null, quux: null, list: null });
  assert.deepEqual((await call(kv, 'read', 'subkeys/sk', { depth: 2 }))?.data?.subkeys, {
    foo: null,
    bar: { baz: null, deep: null },
    quux: null,
    list: null,
  });
  await call(kv, 'update', 'data/sk', { data: { only: 'one' } });
  assert.deepEqual((await call(kv, 'read', 'subkeys/sk'))?.data?.subkeys, { only: null });
  assert.deepEqual((await call(kv, 'read', 'subkeys/sk', { version: 1 }))?.data?.subkeys?.constructor, Object);
  await call(kv, 'delete', 'data/sk');
  const deleted = await call(kv, 'read', 'subkeys/sk');
  assert.equal(deleted?.statusCode, 404);
  assert.equal(deleted?.data?.subkeys, null);
  assert.equal(await call(kv, 'read', 'subkeys/none'), undefined);
  assert.equal(await call(kv, 'read', 'subkeys/sk', { version: 7 }), undefined);
  await assert.rejects(call(kv, 'read', 'subkeys/sk', { depth: -1 }), BadRequestError);
});
