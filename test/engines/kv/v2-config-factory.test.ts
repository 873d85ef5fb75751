import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../../../src/errors.js';
import { BUILTIN_BACKENDS, builtinFactory } from '../../../src/engines/index.js';
import { kvFactory, kvV2Factory } from '../../../src/engines/kv/index.js';
import { call, makeHarness } from '../../framework/harness.js';

test('config: defaults, partial updates, duration rendering', async () => {
  const h = makeHarness({ options: { version: '2' } });
  const kv = kvV2Factory(h.ctx);
  assert.deepEqual(await call(kv, 'read', 'config'), {
    data: { cas_required: false, delete_version_after: '0s', max_versions: 0 },
  });
  // POST arrives as update or create; both work (no existence check on config).
  assert.equal(await call(kv, 'create', 'config', { max_versions: 5, cas_required: false, delete_version_after: '3h25m19s' }), undefined);
  assert.deepEqual((await call(kv, 'read', 'config'))?.data, { cas_required: false, delete_version_after: '3h25m19s', max_versions: 5 });
  await call(kv, 'update', 'config', { cas_required: 'true' });
  assert.deepEqual((await call(kv, 'read', 'config'))?.data, { cas_required: true, delete_version_after: '3h25m19s', max_versions: 5 });
  await call(kv, 'update', 'config', { delete_version_after: '768h' });
  assert.equal((await call(kv, 'read', 'config'))?.data?.delete_version_after, '768h0m0s');
  await call(kv, 'update', 'config', { delete_version_after: '-1s' });
  assert.equal((await call(kv, 'read', 'config'))?.data?.delete_version_after, '0s');
  await assert.rejects(call(kv, 'update', 'config', { max_versions: 'lots' }), (err: unknown) => {
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.message, 'error converting input lots for field "max_versions": strconv.ParseInt: parsing "lots": invalid syntax');
    return true;
  });
  await assert.rejects(call(kv, 'update', 'config', { max_versions: -2 }), BadRequestError);
});

test('kvFactory picks the engine from options.version', async () => {
  const v1 = makeHarness({ options: {} });
  const kv1 = await kvFactory(v1.ctx);
  await call(kv1, 'create', 'data/x', { a: 1 });
  // In v1 "data/x" is just a path.
  assert.deepEqual((await call(kv1, 'read', 'data/x'))?.data, { a: 1 });
  // v1 has no config path: "config" is just a secret that does not exist.
  assert.equal(await call(kv1, 'read', 'config'), undefined);

  const explicitV1 = await kvFactory(makeHarness({ options: { version: '1' } }).ctx);
  await assert.rejects(call(explicitV1, 'patch', 'p', { a: 1 }), /unsupported operation/);

  const kv2 = await kvFactory(makeHarness({ options: { version: '2' } }).ctx);
  assert.deepEqual((await call(kv2, 'read', 'config'))?.data?.max_versions, 0);

  assert.throws(() => kvFactory(makeHarness({ options: { version: '3' } }).ctx), BadRequestError);
});

test('the registry maps kv, generic (v1) and kv-v2 (v2)', async () => {
  const generic = builtinFactory('secret', 'generic');
  const kvv2 = builtinFactory('secret', 'kv-v2');
  const kv = builtinFactory('secret', 'kv');
  assert.ok(generic && kvv2 && kv);
  assert.equal(builtinFactory('auth', 'kv'), undefined);
  assert.equal(builtinFactory('secret', 'nope'), undefined);
  assert.equal(BUILTIN_BACKENDS.get('kv')?.factory, kvFactory);

  // generic ignores options.version: always v1.
  const g = await generic(makeHarness({ type: 'generic', options: { version: '2' } }).ctx);
  await call(g, 'create', 'metadata/x', { a: 1 });
  assert.deepEqual((await call(g, 'read', 'metadata/x'))?.data, { a: 1 });

  const v2 = await kvv2(makeHarness({ type: 'kv-v2' }).ctx);
  assert.equal((await call(v2, 'create', 'data/x', { data: { a: 1 } }))?.data?.version, 1);
  assert.deepEqual(v2.specialPaths, {});
});

test('help is served for KV paths', async () => {
  const kv = kvV2Factory(makeHarness().ctx);
  const help = String((await call(kv, 'help', 'data/foo'))?.data?.help);
  assert.match(help, /Write, Patch, Read, and Delete data in the Key-Value Store\./);
  assert.match(help, /options \(map\)/);
  const root = String((await call(kv, 'help', ''))?.data?.help);
  assert.match(root, /versioned secrets/);
});
