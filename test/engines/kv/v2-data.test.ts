import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, NotFoundError, UnsupportedOperationError } from '../../../src/errors.js';
import { kvFactory } from '../../../src/engines/kv/index.js';
import { call, makeHarness, request } from '../../framework/harness.js';

async function setup() {
  const h = makeHarness({ options: { version: '2' } });
  return { ...h, kv: await kvFactory(h.ctx) };
}

const T0 = '2026-01-01T00:00:00Z';

function rejectsWith(p: Promise<unknown>, cls: new (...a: never[]) => Error, message: string) {
  return assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

test('write returns version metadata; read returns data and metadata', async () => {
  const { kv, clock } = await setup();
  const written = await call(kv, 'create', 'data/my-secret', { options: { cas: 0 }, data: { foo: 'bar', zip: 'zap' } });
  assert.deepEqual(written, {
    data: { created_time: T0, custom_metadata: null, deletion_time: '', destroyed: false, version: 1 },
  });
  clock.advance(1500);
  await call(kv, 'update', 'data/my-secret', { data: { foo: 'baz' } });
  assert.deepEqual(await call(kv, 'read', 'data/my-secret'), {
    data: {
      data: { foo: 'baz' },
      metadata: { created_time: '2026-01-01T00:00:01.5Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 2 },
    },
  });
  // ?version= arrives as a query string.
  const v1 = await call(kv, 'read', 'data/my-secret', { version: '1' });
  assert.deepEqual(v1?.data?.data, { foo: 'bar', zip: 'zap' });
  assert.equal((v1?.data?.metadata as Record<string, unknown>).version, 1);
  assert.equal(await call(kv, 'read', 'data/my-secret', { version: 3 }), undefined);
  assert.equal(await call(kv, 'read', 'data/my-secret', { version: -1 }), undefined);
  assert.equal(await call(kv, 'read', 'data/missing'), undefined);
  await rejectsWith(
    call(kv, 'read', 'data/my-secret', { version: 'two' }),
    BadRequestError,
    'error converting input two for field "version": strconv.ParseInt: parsing "two": invalid syntax',
  );
});

test('write requires data; a non-map data is a redacted type error', async () => {
  const { kv } = await setup();
  await rejectsWith(call(kv, 'create', 'data/x', {}), BadRequestError, 'no data provided');
  await rejectsWith(
    call(kv, 'create', 'data/x', { data: 'top-secret-value' }),
    BadRequestError,
    `error converting input <redacted> for field "data": expected a map, got 'string'`,
  );
  const resp = await call(kv, 'create', 'data/y', { data: { a: 1 }, foo: 'misplaced' });
  assert.deepEqual(resp?.warnings, ['Endpoint ignored these unrecognized parameters: [foo]']);
});

test('check-and-set: 0 means must not exist; otherwise must equal the current version', async () => {
  const { kv } = await setup();
  const mismatch = 'check-and-set parameter did not match the current version';
  await rejectsWith(call(kv, 'create', 'data/c', { options: { cas: 1 }, data: { a: 1 } }), BadRequestError, mismatch);
  await call(kv, 'create', 'data/c', { options: { cas: 0 }, data: { a: 1 } });
  await rejectsWith(call(kv, 'update', 'data/c', { options: { cas: 0 }, data: { a: 2 } }), BadRequestError, mismatch);
  await rejectsWith(call(kv, 'update', 'data/c', { options: { cas: 2 }, data: { a: 2 } }), BadRequestError, mismatch);
  const ok = await call(kv, 'update', 'data/c', { options: { cas: '1' }, data: { a: 2 } });
  assert.equal(ok?.data?.version, 2);
  // Without cas and without cas_required, writes are unconditional.
  assert.equal((await call(kv, 'update', 'data/c', { data: { a: 3 } }))?.data?.version, 3);
  // A soft-deleted key still has its version: cas=0 fails, cas=current works.
  await call(kv, 'delete', 'data/c');
  await rejectsWith(call(kv, 'update', 'data/c', { options: { cas: 0 }, data: { a: 4 } }), BadRequestError, mismatch);
  assert.equal((await call(kv, 'update', 'data/c', { options: { cas: 3 }, data: { a: 4 } }))?.data?.version, 4);
  await assert.rejects(call(kv, 'update', 'data/c', { options: { cas: 'x' }, data: {} }), /field "cas"/);
});

test('cas_required from engine config or key metadata', async () => {
  const { kv } = await setup();
  const required = 'check-and-set parameter required for this call';
  await call(kv, 'update', 'metadata/k', { cas_required: true });
  await rejectsWith(call(kv, 'create', 'data/k', { data: { a: 1 } }), BadRequestError, required);
  await call(kv, 'create', 'data/k', { options: { cas: 0 }, data: { a: 1 } });
  // Other keys are unaffected until the engine requires it.
  await call(kv, 'create', 'data/other', { data: { a: 1 } });
  await call(kv, 'update', 'config', { cas_required: true });
  await rejectsWith(call(kv, 'update', 'data/other', { data: { a: 2 } }), BadRequestError, required);
  await rejectsWith(call(kv, 'patch', 'data/other', { data: { a: 2 } }), BadRequestError, required);
  assert.equal((await call(kv, 'update', 'data/other', { options: { cas: 1 }, data: { a: 2 } }))?.data?.version, 2);
});

test('patch merges into the latest version as a new version (RFC 7386)', async () => {
  const { kv } = await setup();
  await call(kv, 'create', 'data/p', { data: { foo: 'a', bar: { baz: 'b', keep: 1 }, gone: 'x', list: [1, 2] } });
  const resp = await call(kv, 'patch', 'data/p', { options: { cas: 1 }, data: { foo: 'A', bar: { baz: null, added: true }, gone: null, list: [3] } });
  assert.equal(resp?.data?.version, 2);
  assert.deepEqual((await call(kv, 'read', 'data/p'))?.data?.data, { foo: 'A', bar: { keep: 1, added: true }, list: [3] });
  await rejectsWith(
    call(kv, 'patch', 'data/p', { options: { cas: 1 }, data: { foo: 'z' } }),
    BadRequestError,
    'check-and-set parameter did not match the current version',
  );
  await rejectsWith(call(kv, 'patch', 'data/p', {}), BadRequestError, 'no data provided');
  // A "__proto__" key is data, not a prototype.
  await call(kv, 'patch', 'data/p', { data: JSON.parse('{"__proto__": {"polluted": true}}') });
  const read = (await call(kv, 'read', 'data/p'))?.data?.data as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(read, '__proto__'));
});

test('patch is 404 when the key is missing, or its latest version deleted or destroyed', async () => {
  const { kv } = await setup();
  await assert.rejects(call(kv, 'patch', 'data/none', { data: { a: 1 } }), (err: unknown) => err instanceof NotFoundError && err.status === 404);
  await call(kv, 'create', 'data/d', { data: { a: 1 } });
  await call(kv, 'delete', 'data/d');
  await assert.rejects(call(kv, 'patch', 'data/d', { data: { a: 2 } }), NotFoundError);
  await call(kv, 'update', 'undelete/d', { versions: [1] });
  await call(kv, 'update', 'destroy/d', { versions: [1] });
  await assert.rejects(call(kv, 'patch', 'data/d', { data: { a: 2 } }), NotFoundError);
  // Metadata without any version.
  await call(kv, 'update', 'metadata/empty', { max_versions: 3 });
  await assert.rejects(call(kv, 'patch', 'data/empty', { data: { a: 2 } }), NotFoundError);
  assert.equal(await call(kv, 'read', 'data/empty'), undefined);
});

test('DELETE on data soft-deletes the latest version: 404 with metadata, undelete restores', async () => {
  const { kv, clock } = await setup();
  await call(kv, 'create', 'data/s', { data: { v: 1 } });
  await call(kv, 'update', 'data/s', { data: { v: 2 } });
  clock.advance(1000);
  assert.equal(await call(kv, 'delete', 'data/s'), undefined);
  const resp = await call(kv, 'read', 'data/s');
  assert.deepEqual(resp, {
    statusCode: 404,
    data: {
      data: null,
      metadata: { created_time: T0, custom_metadata: null, deletion_time: '2026-01-01T00:00:01Z', destroyed: false, version: 2 },
    },
  });
  // The previous version is still readable by number.
  assert.deepEqual((await call(kv, 'read', 'data/s', { version: 1 }))?.data?.data, { v: 1 });
  // Deleting again keeps the original deletion time.
  clock.advance(1000);
  await call(kv, 'delete', 'data/s');
  assert.equal(((await call(kv, 'read', 'data/s'))?.data?.metadata as Record<string, unknown>).deletion_time, '2026-01-01T00:00:01Z');
  await call(kv, 'update', 'undelete/s', { versions: '2' });
  assert.deepEqual((await call(kv, 'read', 'data/s'))?.data?.data, { v: 2 });
  assert.equal(await call(kv, 'delete', 'data/never-written'), undefined);
});

test('existence check: a key exists once it has metadata', async () => {
  const { kv } = await setup();
  assert.deepEqual(await kv.existenceCheck(request('update', 'data/e')), { supported: true, exists: false });
  await call(kv, 'create', 'data/e', { data: {} });
  assert.deepEqual(await kv.existenceCheck(request('update', 'data/e')), { supported: true, exists: true });
  assert.deepEqual(await kv.existenceCheck(request('update', 'metadata/e')), { supported: true, exists: true });
  assert.deepEqual(await kv.existenceCheck(request('update', 'config')), { supported: false, exists: false });
  assert.deepEqual(await kv.existenceCheck(request('update', 'data/../x')), { supported: true, exists: false });
});

test('LIST on data/ is unsupported; unknown top-level paths are 404', async () => {
  const { kv } = await setup();
  await call(kv, 'create', 'data/a', { data: { x: 1 } });
  await assert.rejects(call(kv, 'list', 'data/'), UnsupportedOperationError);
  await assert.rejects(call(kv, 'read', 'a'), /unsupported path/);
  await assert.rejects(call(kv, 'read', 'datax/a'), /unsupported path/);
});

test('a write touching metadata and a version is one atomic batch', async () => {
  const { kv, storage } = await setup();
  await call(kv, 'create', 'data/atomic', { data: { v: 1 } });
  const before = storage.batches;
  await call(kv, 'update', 'data/atomic', { data: { v: 2 } });
  assert.equal(storage.batches, before + 1);
  const snapshot = storage.keys();
  storage.failWrites = new Error('disk on fire');
  await assert.rejects(call(kv, 'update', 'data/atomic', { data: { v: 3 } }), /disk on fire/);
  storage.failWrites = undefined;
  assert.deepEqual(storage.keys(), snapshot);
  assert.deepEqual((await call(kv, 'read', 'data/atomic'))?.data?.data, { v: 2 });
  assert.equal(((await call(kv, 'read', 'metadata/atomic'))?.data as Record<string, unknown>).current_version, 2);
});

test('unicode, spaces and deep paths', async () => {
  const { kv } = await setup();
  const paths = ['team a/db password', 'ünïcödé/秘密/🔑', `${'level/'.repeat(50)}leaf`];
  for (const path of paths) {
    await call(kv, 'create', `data/${path}`, { data: { path } });
    assert.deepEqual((await call(kv, 'read', `data/${path}`))?.data?.data, { path });
  }
  assert.deepEqual(await call(kv, 'list', 'metadata/ünïcödé/秘密/'), { data: { keys: ['🔑'] } });
  for (const bad of ['data/../x', 'data/a//b', 'data/', 'data/x/', 'data/a/./b']) {
    await assert.rejects(call(kv, 'create', bad, { data: { a: 1 } }), BadRequestError, bad);
  }
});
