/**
 * The cubbyhole engine without sockets: handleRequest on in-memory storage, with the caller's
 * auth context set as the token step would set it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, PermissionDeniedError } from '../../../src/errors.js';
import {
  CUBBYHOLE_PATHS,
  cubbyholeFactory,
  destroyCubbyhole,
} from '../../../src/engines/cubbyhole/backend.js';
import { findOverlaps } from '../../../src/framework/index.js';
import type { BackendContext, LogicalBackend } from '../../../src/logical/backend.js';
import type { CallerAuth, Operation } from '../../../src/logical/request.js';
import { makeHarness, request } from '../../framework/harness.js';

function caller(cubbyholeId: string, tokenType: 'service' | 'batch' = 'service'): CallerAuth {
  return {
    accessor: `acc-${cubbyholeId}`,
    policies: ['default'],
    tokenPolicies: ['default'],
    identityPolicies: [],
    displayName: 'token',
    entityId: '',
    metadata: {},
    root: false,
    tokenType,
    orphan: false,
    cubbyholeId,
  };
}

function setup() {
  const h = makeHarness({ type: 'cubbyhole' });
  const ctx: BackendContext = { ...h.ctx, mount: { ...h.ctx.mount, path: 'cubbyhole/', type: 'cubbyhole' } };
  return { ...h, ctx, backend: cubbyholeFactory(ctx) };
}

function as(backend: LogicalBackend, auth: CallerAuth | undefined, op: Operation, path: string, data: Record<string, unknown> = {}) {
  const req = request(op, path, data);
  return backend.handleRequest(auth === undefined ? req : { ...req, auth });
}

test('write, read, list and delete in the caller\'s own cubbyhole', async () => {
  const { backend, storage, prefix } = setup();
  const me = caller('cubbyA');
  assert.equal(await as(backend, me, 'create', 'app/db', { password: 's3cr3t', n: 1 }), undefined);
  assert.equal(await as(backend, me, 'create', 'top', { a: 'b' }), undefined);
  assert.deepEqual((await as(backend, me, 'read', 'app/db'))?.data, { password: 's3cr3t', n: 1 });
  assert.deepEqual((await as(backend, me, 'list', ''))?.data, { keys: ['app/', 'top'] });
  assert.deepEqual((await as(backend, me, 'list', 'app/'))?.data, { keys: ['db'] });
  // Stored below the cubbyhole id, never the token.
  assert.deepEqual(storage.keys(), [`${prefix}cubbyA/app/db`, `${prefix}cubbyA/top`]);
  await as(backend, me, 'update', 'app/db', { password: 'new' });
  assert.deepEqual((await as(backend, me, 'read', 'app/db'))?.data, { password: 'new' });
  assert.equal(await as(backend, me, 'delete', 'app/db'), undefined);
  assert.equal(await as(backend, me, 'read', 'app/db'), undefined);
  // An empty folder lists as not found (404), as in Vault.
  assert.equal(await as(backend, me, 'list', 'app/'), undefined);
});

test('tokens cannot see each other\'s cubbyholes', async () => {
  const { backend } = setup();
  const a = caller('cubbyA');
  const b = caller('cubbyB');
  await as(backend, a, 'create', 'secret', { owner: 'a' });
  assert.equal(await as(backend, b, 'read', 'secret'), undefined);
  assert.equal(await as(backend, b, 'list', ''), undefined);
  await as(backend, b, 'create', 'secret', { owner: 'b' });
  assert.deepEqual((await as(backend, a, 'read', 'secret'))?.data, { owner: 'a' });
  assert.deepEqual((await as(backend, b, 'read', 'secret'))?.data, { owner: 'b' });
  await as(backend, b, 'delete', 'secret');
  assert.deepEqual((await as(backend, a, 'read', 'secret'))?.data, { owner: 'a' });
});

test('existence check is per token', async () => {
  const { backend } = setup();
  await as(backend, caller('cubbyA'), 'create', 'x', { v: 1 });
  const check = (id: string, path: string) => backend.existenceCheck({ ...request('update', path), auth: caller(id) });
  assert.deepEqual(await check('cubbyA', 'x'), { supported: true, exists: true });
  assert.deepEqual(await check('cubbyB', 'x'), { supported: true, exists: false });
  assert.deepEqual(await check('cubbyA', 'a/../x'), { supported: true, exists: false });
});

test('batch tokens have no cubbyhole; requests without a token are denied', async () => {
  const { backend } = setup();
  await assert.rejects(as(backend, caller('', 'batch'), 'read', 'x'), (err: unknown) => {
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.message, 'cubbyhole operations are only supported by "service" type tokens');
    return true;
  });
  await assert.rejects(as(backend, undefined, 'create', 'x', { a: 1 }), PermissionDeniedError);
});

test('bad input is a 400, never a crash or an escape from the cubbyhole', async () => {
  const { backend, storage } = setup();
  const me = caller('cubbyA');
  for (const [op, path, data] of [
    ['create', 'empty', {}],
    ['create', '', { a: 1 }],
    ['read', '', {}],
    ['create', '../cubbyB/x', { a: 1 }],
    ['read', 'a//b', {}],
    ['delete', '..', {}],
    ['list', '../', {}],
  ] as const) {
    await assert.rejects(as(backend, me, op, path, data), BadRequestError, `${op} ${path}`);
  }
  assert.equal(storage.keys().length, 0);
  await assert.rejects(as(backend, me, 'create', 'empty', {}), /missing data fields/);
  await assert.rejects(as(backend, me, 'read', ''), /missing path/);
});

test('destroyCubbyhole removes one token\'s data only', async () => {
  const { backend, ctx, storage, prefix } = setup();
  for (let i = 0; i < 12; i++) await as(backend, caller('cubbyA'), 'create', `d${i % 3}/k${i}`, { i });
  await as(backend, caller('cubbyB'), 'create', 'keep', { b: true });
  await destroyCubbyhole(ctx.storage, 'cubbyA');
  assert.deepEqual(storage.keys(), [`${prefix}cubbyB/keep`]);
  // Nothing to do for tokens without a cubbyhole.
  await destroyCubbyhole(ctx.storage, '');
  assert.deepEqual(storage.keys(), [`${prefix}cubbyB/keep`]);
});

test('only one cubbyhole mount, at cubbyhole/', () => {
  const h = makeHarness({ type: 'cubbyhole' });
  assert.throws(() => cubbyholeFactory({ ...h.ctx, mount: { ...h.ctx.mount, path: 'other/' } }), (err: unknown) => {
    assert.ok(err instanceof PermissionDeniedError);
    assert.equal(err.message, 'mount type of "cubbyhole" is not mountable');
    return true;
  });
  assert.deepEqual(findOverlaps(CUBBYHOLE_PATHS), []);
});
