import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, RouteNotFoundError, UnsupportedOperationError } from '../../src/errors.js';
import {
  createBackend,
  definePath,
  genericName,
  matchAll,
  optionalTrailingSlash,
  UnsupportedPatternError,
  type PathDef,
} from '../../src/framework/index.js';
import type { BackendContext } from '../../src/logical/backend.js';
import { call, makeHarness, request } from './harness.js';

/** A small backend: named roles stored in the mount's storage, plus a catch-all echo path. */
function rolesTable(): readonly PathDef[] {
  return [
    definePath({
      pattern: `roles${optionalTrailingSlash}`,
      fields: {},
      operations: {
        list: async (_req, _f, ctx) => ({ data: { keys: await ctx.storage.list('role/') } }),
      },
      synopsis: 'List roles.',
      description: 'Lists every role.',
    }),
    definePath({
      pattern: `roles/${genericName('name')}`,
      fields: {
        name: { type: 'string', description: 'Name of the role.' },
        ttl: { type: 'duration', description: 'Token TTL.', default: 3600 },
        policies: { type: 'comma-string-slice', description: 'Policies.' },
      },
      existenceCheck: async (_req, f, ctx) => (await ctx.storage.get(`role/${f.get('name')}`)) !== undefined,
      operations: {
        read: async (_req, f, ctx) => {
          const role = await ctx.storage.getJSON<Record<string, unknown>>(`role/${f.get('name')}`);
          return role === undefined ? undefined : { data: role };
        },
        create: async (_req, f, ctx) => {
          await ctx.storage.putJSON(`role/${f.get('name')}`, { ttl: f.get('ttl'), policies: f.get('policies'), created: true });
          return undefined;
        },
        update: async (_req, f, ctx) => {
          const role = (await ctx.storage.getJSON<Record<string, unknown>>(`role/${f.get('name')}`)) ?? {};
          if (f.getOk('ttl') !== undefined) role.ttl = f.get('ttl');
          await ctx.storage.putJSON(`role/${f.get('name')}`, role);
          return { data: role };
        },
        delete: async (_req, f, ctx) => {
          await ctx.storage.delete(`role/${f.get('name')}`);
          return undefined;
        },
      },
      synopsis: 'Manage a role.',
      description: 'Roles carry a TTL and policies.',
    }),
    definePath({
      pattern: 'config',
      fields: { value: { type: 'string', description: 'A value.' } },
      // Only an update handler and no existence check: create must fall back to it.
      operations: {
        update: async (req, f) => ({ data: { op: req.operation, value: f.get('value') } }),
      },
      synopsis: 'Config.',
      description: 'Config.',
    }),
    definePath({
      pattern: 'only-create',
      fields: {},
      operations: { create: async (req) => ({ data: { op: req.operation } }) },
      synopsis: 'Create only.',
      description: 'Create only.',
    }),
    definePath({
      pattern: `echo/${matchAll('rest')}`,
      fields: { rest: { type: 'string', description: 'The rest.' } },
      operations: { read: async (_req, f) => ({ data: { rest: f.get('rest') } }) },
      synopsis: 'Echo.',
      description: 'Echo.',
    }),
  ];
}

const TABLE = rolesTable();

function backendFor(ctx: BackendContext) {
  return createBackend({ paths: TABLE, help: 'A test backend for roles.' }, ctx);
}

test('routes to the handler of the matching path with typed fields and captures', async () => {
  const h = makeHarness();
  const b = backendFor(h.ctx);
  assert.equal(await call(b, 'create', 'roles/web', { ttl: '1h', policies: 'a, b' }), undefined);
  assert.deepEqual(await call(b, 'read', 'roles/web'), { data: { ttl: 3600, policies: ['a', 'b'], created: true } });
  // The handler wrote through the mount-scoped view.
  assert.ok(h.storage.keys().includes(`${h.prefix}role/web`));
  assert.deepEqual(await call(b, 'list', 'roles/'), { data: { keys: ['web'] } });
  assert.deepEqual(await call(b, 'list', 'roles'), { data: { keys: ['web'] } });
  assert.equal(await call(b, 'read', 'roles/missing'), undefined);
  assert.deepEqual(await call(b, 'read', 'echo/a/b c/ü'), { data: { rest: 'a/b c/ü' } });
});

test('no matching path is RouteNotFoundError "unsupported path"', async () => {
  const b = backendFor(makeHarness().ctx);
  for (const path of ['nope', 'roles/bad name', 'roles/-x', 'rolesx', 'config/extra']) {
    await assert.rejects(call(b, 'read', path), (err: unknown) => {
      assert.ok(err instanceof RouteNotFoundError, path);
      assert.equal(err.status, 404);
      assert.equal(err.message, 'unsupported path');
      return true;
    });
  }
});

test('matching path without a handler for the operation is 405', async () => {
  const b = backendFor(makeHarness().ctx);
  for (const [op, path] of [
    ['delete', 'config'],
    ['list', 'roles/web'],
    ['patch', 'roles/web'],
    ['read', 'only-create'],
    ['renew', 'roles/web'],
  ] as const) {
    await assert.rejects(call(b, op, path), (err: unknown) => {
      assert.ok(err instanceof UnsupportedOperationError, `${op} ${path}`);
      assert.equal(err.status, 405);
      assert.equal(err.message, 'unsupported operation');
      return true;
    });
  }
});

test('create and update stand in for each other only when there is no existence check', async () => {
  const b = backendFor(makeHarness().ctx);
  assert.deepEqual(await call(b, 'create', 'config', { value: 'v' }), { data: { op: 'create', value: 'v' } });
  assert.deepEqual(await call(b, 'update', 'config', { value: 'v' }), { data: { op: 'update', value: 'v' } });
  assert.deepEqual(await call(b, 'update', 'only-create'), { data: { op: 'update' } });
  // roles/<name> has both handlers and an existence check: each op goes to its own handler.
  await call(b, 'create', 'roles/a', { ttl: 5 });
  assert.deepEqual(await call(b, 'update', 'roles/a', { ttl: 7 }), { data: { ttl: 7, policies: [], created: true } });
});

test('existenceCheck reports supported/exists per path', async () => {
  const b = backendFor(makeHarness().ctx);
  assert.deepEqual(await b.existenceCheck(request('update', 'roles/a')), { supported: true, exists: false });
  await call(b, 'create', 'roles/a');
  assert.deepEqual(await b.existenceCheck(request('update', 'roles/a')), { supported: true, exists: true });
  assert.deepEqual(await b.existenceCheck(request('update', 'config')), { supported: false, exists: false });
  assert.deepEqual(await b.existenceCheck(request('update', 'no/such/path')), { supported: false, exists: false });
});

test('field errors are 400 before the handler runs', async () => {
  const h = makeHarness();
  const b = backendFor(h.ctx);
  await assert.rejects(call(b, 'create', 'roles/a', { ttl: 'abc' }), (err: unknown) => {
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.message, 'error converting input abc for field "ttl": time: invalid duration "abc"');
    return true;
  });
  assert.deepEqual(h.storage.keys(), []);
});

test('unknown fields are ignored with Vault\'s warning', async () => {
  const b = backendFor(makeHarness().ctx);
  const resp = await call(b, 'update', 'config', { value: 'x', zeta: 1, alpha: 2 });
  assert.deepEqual(resp?.warnings, ['Endpoint ignored these unrecognized parameters: [alpha zeta]']);
  assert.deepEqual(resp?.data, { op: 'update', value: 'x' });
  // A write that returns nothing still carries the warning.
  const created = await call(b, 'create', 'roles/w', { bogus: true });
  assert.deepEqual(created, { warnings: ['Endpoint ignored these unrecognized parameters: [bogus]'] });
  // A read that finds nothing stays a 404 (undefined).
  assert.equal(await call(b, 'read', 'roles/none', { bogus: 1 }), undefined);
});

test('help renders synopsis, parameters and description; root help lists paths', async () => {
  const b = backendFor(makeHarness().ctx);
  const resp = await call(b, 'help', 'roles/web');
  assert.deepEqual(resp?.data?.see_also, []);
  const help = String(resp?.data?.help);
  assert.match(help, /Request: {8}roles\/web/);
  assert.match(help, /Matching Route: \^roles\/\(\?<name>/);
  assert.match(help, /Manage a role\./);
  assert.match(help, /## PARAMETERS[\s\S]*policies \(comma-string-slice\)[\s\S]*ttl \(duration\)\n\n {8}Token TTL\./);
  assert.match(help, /## DESCRIPTION\n\nRoles carry a TTL and policies\./);
  const root = String((await call(b, 'help', ''))?.data?.help);
  assert.match(root, /A test backend for roles\./);
  assert.match(root, /config\n {8}Config\./);
  await assert.rejects(call(b, 'help', 'nowhere'), RouteNotFoundError);
});

test('tables are validated when compiled: dialect, captures declared, operations known', () => {
  const ctx = makeHarness().ctx;
  const one = (def: PathDef) => createBackend({ paths: [def], help: '' }, ctx);
  assert.throws(
    () => one(definePath({ pattern: 'a(?=b)', fields: {}, operations: {}, synopsis: '', description: '' })),
    UnsupportedPatternError,
  );
  assert.throws(
    () => one(definePath({ pattern: `x/${genericName('n')}`, fields: {}, operations: {}, synopsis: '', description: '' })),
    /captures n but declares no such field/,
  );
  assert.throws(
    () =>
      one({
        pattern: 'x',
        fields: {},
        operations: { frobnicate: async () => undefined } as unknown as PathDef['operations'],
        synopsis: '',
        description: '',
      }),
    /unknown operation frobnicate/,
  );
});

test('initialize and cleanup receive the backend context', async () => {
  const h = makeHarness();
  const seen: string[] = [];
  const b = createBackend(
    {
      paths: [],
      help: '',
      initialize: async (ctx) => void seen.push(`init ${ctx.mount.uuid}`),
      cleanup: async (ctx) => void seen.push(`cleanup ${ctx.mount.uuid}`),
    },
    h.ctx,
  );
  await b.initialize?.();
  await b.cleanup?.();
  assert.deepEqual(seen, [`init ${h.ctx.mount.uuid}`, `cleanup ${h.ctx.mount.uuid}`]);
  assert.deepEqual(b.specialPaths, {});
  const plain = createBackend({ paths: [], help: '' }, h.ctx);
  assert.equal(plain.initialize, undefined);
});
