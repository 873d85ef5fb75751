/**
 * Response wrapping and cubbyholes through the real pipeline of an in-process node (inmem
 * storage, FakeClock): wrap step, sys/wrapping/*, single use under concurrency, expiry,
 * revocation hooks, and what reaches physical storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL } from '../../src/config/server-config-types.js';
import { BadRequestError, PermissionDeniedError } from '../../src/errors.js';
import type { Request, Response } from '../../src/logical/request.js';
import { startNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import type { Physical } from '../../src/storage/physical.js';
import { silentLogger } from '../../src/util/logger.js';
import { INVALID_WRAPPING_TOKEN } from '../../src/wrapping/response-wrapping.js';
import { wrapResponse } from '../../src/wrapping/wrap-step.js';

const ROOT = 'root';
const config = { ...DEFAULT_TOP_LEVEL, storage: { type: 'inmem' as const, options: {} }, listeners: [], telemetry: DEFAULT_TELEMETRY, replication: DEFAULT_REPLICATION, ignoredKeys: [] };

let seq = 0;
function req(operation: Request['operation'], path: string, data: Record<string, unknown> = {}, token = ROOT, wrapTTL = 0): Request {
  return { id: `req-${++seq}`, operation, path, data, clientToken: token, headers: {}, wrapTTL, remoteAddr: '127.0.0.1' };
}

async function setup() {
  const physical = new InmemPhysical();
  const clock = new FakeClock();
  const node = await startNode(config, { logger: silentLogger, physical, clock, dev: { rootTokenId: ROOT } });
  const h = (r: Request) => node.pipeline.handle(r);
  return { node, physical, clock, h };
}

async function walk(p: Physical, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const k of await p.list(prefix)) {
    if (k.endsWith('/')) out.push(...(await walk(p, prefix + k)));
    else out.push(prefix + k);
  }
  return out;
}

function rawJSON(resp: Response | undefined): any {
  assert.ok(resp?.raw !== undefined, 'expected a raw response');
  assert.equal(resp.raw.status, 200);
  assert.equal(resp.raw.contentType, 'application/json');
  return JSON.parse(resp.raw.body as string);
}

async function rejectsInvalid(p: Promise<unknown>, message = INVALID_WRAPPING_TOKEN): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof BadRequestError, `expected 400, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

/** A non-root token from auth/token/create (default policy). */
async function childToken(h: (r: Request) => Promise<Response | undefined>, extra: Record<string, unknown> = {}): Promise<{ token: string; accessor: string }> {
  const resp = await h(req('update', 'auth/token/create', { policies: ['default'], ...extra }));
  return { token: resp!.auth!.clientToken, accessor: resp!.auth!.accessor };
}

test('a wrapped KV read: wrap_info only, unwrapped once to the original envelope', async () => {
  const { node, h } = await setup();
  await h(req('update', 'secret/data/app', { data: { password: 'hunter2' } }));
  const readReq = req('read', 'secret/data/app', {}, ROOT, 90);
  const wrapped = await h(readReq);
  assert.ok(wrapped?.wrapInfo !== undefined);
  assert.deepEqual(Object.keys(wrapped).sort(), ['wrapInfo']);
  const info = wrapped.wrapInfo;
  assert.match(info.token, /^s\.[0-9A-Za-z]{24}$/);
  assert.equal(info.ttl, 90);
  assert.equal(info.creationPath, 'secret/data/app');
  assert.equal(info.creationTime, '2026-01-01T00:00:00Z');
  assert.equal(info.wrappedAccessor, undefined);

  // The wrapping token: orphan service token, response-wrapping only, one use, ttl = explicit max.
  const found = await node.core.tokens.lookup(info.token);
  assert.ok(found !== undefined);
  assert.deepEqual(found.entry.policies, ['response-wrapping']);
  assert.equal(found.entry.numUses, 1);
  assert.equal(found.entry.orphan, true);
  assert.equal(found.entry.creationTTL, 90);
  assert.equal(found.entry.explicitMaxTTL, 90);
  assert.equal(found.entry.accessor, info.accessor);
  assert.equal(found.entry.renewable, false);

  const body = rawJSON(await h(req('update', 'sys/wrapping/unwrap', { token: info.token })));
  assert.equal(body.request_id, readReq.id);
  assert.deepEqual(body.data.data, { password: 'hunter2' });
  assert.equal(body.data.metadata.version, 1);
  assert.equal(body.wrap_info, null);
  assert.equal(body.mount_type, 'kv');
  assert.deepEqual(Object.keys(body), ['request_id', 'lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info', 'warnings', 'auth', 'mount_type']);

  // Single use, whoever asks next and however.
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', { token: info.token })));
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', {}, info.token)));
  await rejectsInvalid(h(req('update', 'sys/wrapping/lookup', { token: info.token }, '')));
  assert.equal(await node.core.tokens.lookup(info.token), undefined);
  await node.close();
});

test('unwrap with the wrapping token as the caller\'s own token; lookup does not use it', async () => {
  const { h } = await setup();
  const wrapped = await h(req('update', 'sys/wrapping/wrap', { a: 1, nested: { b: [true] } }, ROOT, 60));
  const token = wrapped!.wrapInfo!.token;
  // Lookup is unauthenticated and does not count a use.
  for (let i = 0; i < 3; i++) {
    const lookup = await h(req('update', 'sys/wrapping/lookup', { token }, ''));
    assert.deepEqual(lookup?.data, { creation_path: 'sys/wrapping/wrap', creation_time: '2026-01-01T00:00:00Z', creation_ttl: 60 });
  }
  const self = await h(req('read', 'sys/wrapping/lookup', {}, token));
  assert.equal(self?.data?.['creation_ttl'], 60);
  const body = rawJSON(await h(req('update', 'sys/wrapping/unwrap', {}, token)));
  assert.deepEqual(body.data, { a: 1, nested: { b: [true] } });
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', {}, token)));
});

test('the wrapping token works for nothing else', async () => {
  const { h } = await setup();
  await h(req('update', 'secret/data/x', { data: { v: 1 } }));
  const token = (await h(req('update', 'sys/wrapping/wrap', { a: 1 }, ROOT, 60)))!.wrapInfo!.token;
  await assert.rejects(h(req('read', 'secret/data/x', {}, token)), PermissionDeniedError);
});

test('wrapped token creation: wrapped_accessor names the token inside', async () => {
  const { node, h } = await setup();
  const wrapped = await h(req('update', 'auth/token/create', { policies: ['default'], ttl: '1h' }, ROOT, 300));
  const info = wrapped!.wrapInfo!;
  assert.equal(info.creationPath, 'auth/token/create');
  assert.ok(info.wrappedAccessor !== undefined && info.wrappedAccessor !== info.accessor);
  const body = rawJSON(await h(req('update', 'sys/wrapping/unwrap', { token: info.token })));
  assert.equal(body.auth.accessor, info.wrappedAccessor);
  assert.deepEqual(body.auth.policies, ['default']);
  assert.equal(body.auth.lease_duration, 3600);
  assert.equal(body.data, null);
  // The unwrapped token is a real token.
  const self = await h(req('read', 'auth/token/lookup-self', {}, body.auth.client_token));
  assert.equal(self?.data?.['accessor'], info.wrappedAccessor);
  await node.close();
});

test('the wrap step wraps what a login produced and reports its accessor', async () => {
  const { node } = await setup();
  const login = req('update', 'auth/userpass/login/bob', {}, '', 120);
  login.mountType = 'userpass';
  const resp: Response = {
    auth: {
      clientToken: 's.inner', accessor: 'inner-accessor', policies: ['default'], tokenPolicies: ['default'],
      metadata: {}, leaseDuration: 60, renewable: true, entityId: '', tokenType: 'service', orphan: true,
    },
    warnings: ['w'],
  };
  const wrapped = await wrapResponse(node.core.wrapping, login, resp);
  assert.equal(wrapped?.wrapInfo?.wrappedAccessor, 'inner-accessor');
  assert.equal(wrapped?.wrapInfo?.creationPath, 'auth/userpass/login/bob');
  const body = rawJSON(await node.pipeline.handle(req('update', 'sys/wrapping/unwrap', { token: wrapped!.wrapInfo!.token })));
  assert.equal(body.auth.client_token, 's.inner');
  assert.deepEqual(body.warnings, ['w']);
  assert.equal(body.mount_type, 'userpass');
  // Nothing to wrap: no response, errors and raw bodies pass through.
  assert.equal(await wrapResponse(node.core.wrapping, login, undefined), undefined);
  const raw: Response = { raw: { status: 200, body: 'x' } };
  assert.equal(await wrapResponse(node.core.wrapping, login, raw), raw);
  const notFound: Response = { data: { a: 1 }, statusCode: 404 };
  assert.equal(await wrapResponse(node.core.wrapping, login, notFound), notFound);
  await node.close();
});

test('writes with no response are not wrapped; sys/wrapping/wrap requires a wrap TTL', async () => {
  const { h } = await setup();
  assert.equal(await h(req('update', 'secret/config', { max_versions: 3 }, ROOT, 60)), undefined);
  await assert.rejects(h(req('update', 'sys/wrapping/wrap', { a: 1 })), (err: unknown) => {
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.message, 'endpoint requires response wrapping to be used');
    return true;
  });
});

test('token validation errors on the wrapping endpoints are 400s with Vault\'s texts', async () => {
  const { h } = await setup();
  const normal = await childToken(h);
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', {}, normal.token)));
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', { token: normal.token })));
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', { token: 's.doesnotexist' })));
  await rejectsInvalid(h(req('update', 'sys/wrapping/rewrap', { token: ROOT })));
  await rejectsInvalid(h(req('update', 'sys/wrapping/lookup', {}, '')), 'error validating wrapping token: token is empty');
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', { token: '' })), 'error validating wrapping token: empty token in request body');
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', { token: 5 })), 'error validating wrapping token: could not decode token in request body');
});

test('expired wrapping tokens cannot be unwrapped or looked up; tidy destroys their contents', async () => {
  const { node, physical, clock, h } = await setup();
  const token = (await h(req('update', 'sys/wrapping/wrap', { secret: 'x' }, ROOT, 60)))!.wrapInfo!.token;
  const cubbyMount = node.core.mounts.find('cubbyhole')!;
  const cubbyKeys = async () => (await walk(physical)).filter((k) => k.startsWith(`logical/${cubbyMount.uuid}/`));
  assert.equal((await cubbyKeys()).length, 2);
  clock.advance(59_000);
  assert.equal((await h(req('update', 'sys/wrapping/lookup', { token }, '')))?.data?.['creation_ttl'], 60);
  clock.advance(1_000);
  await rejectsInvalid(h(req('update', 'sys/wrapping/lookup', { token }, '')));
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', { token })));
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', {}, token)));
  await h(req('update', 'auth/token/tidy', {}));
  assert.deepEqual(await cubbyKeys(), []);
  await node.close();
});

test('rewrap moves the response to a new token with the original TTL and path', async () => {
  const { clock, h } = await setup();
  const first = (await h(req('read', 'sys/mounts', {}, ROOT, 600)))!.wrapInfo!;
  clock.advance(100_000);
  const second = (await h(req('update', 'sys/wrapping/rewrap', { token: first.token })))!.wrapInfo!;
  assert.notEqual(second.token, first.token);
  assert.equal(second.ttl, 600);
  assert.equal(second.creationPath, 'sys/mounts');
  assert.equal(second.creationTime, '2026-01-01T00:01:40Z');
  await rejectsInvalid(h(req('update', 'sys/wrapping/unwrap', { token: first.token })));
  const lookup = await h(req('update', 'sys/wrapping/lookup', { token: second.token }, ''));
  assert.deepEqual(lookup?.data, { creation_path: 'sys/mounts', creation_time: '2026-01-01T00:01:40Z', creation_ttl: 600 });
  // A shorter requested wrap TTL wins.
  const third = (await h(req('update', 'sys/wrapping/rewrap', { token: second.token }, ROOT, 30)))!.wrapInfo!;
  assert.equal(third.ttl, 30);
  const body = rawJSON(await h(req('update', 'sys/wrapping/unwrap', { token: third.token })));
  assert.equal(body.data['cubbyhole/'].type, 'cubbyhole');
});

test('concurrent unwraps of one token: exactly one succeeds', async () => {
  const { h } = await setup();
  for (const mode of ['body', 'header', 'mixed'] as const) {
    const token = (await h(req('update', 'sys/wrapping/wrap', { mode }, ROOT, 60)))!.wrapInfo!.token;
    const attempt = (i: number) =>
      mode === 'body' || (mode === 'mixed' && i % 2 === 0)
        ? h(req('update', 'sys/wrapping/unwrap', { token }))
        : h(req('update', 'sys/wrapping/unwrap', {}, token));
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => attempt(i)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1, `${mode}: ${ok.length} unwraps succeeded`);
    assert.deepEqual(rawJSON((ok[0] as PromiseFulfilledResult<Response | undefined>).value).data, { mode });
    for (const r of results) {
      if (r.status === 'rejected') {
        assert.ok(r.reason instanceof BadRequestError, `${mode}: ${String(r.reason)}`);
        assert.equal(r.reason.message, INVALID_WRAPPING_TOKEN);
      }
    }
  }
});

test('cubbyholes: per token, destroyed on revoke, refused to batch tokens', async () => {
  const { node, physical, h } = await setup();
  const a = await childToken(h);
  const b = await childToken(h);
  await h(req('update', 'cubbyhole/mine', { owner: 'a' }, a.token));
  assert.deepEqual((await h(req('read', 'cubbyhole/mine', {}, a.token)))?.data, { owner: 'a' });
  assert.equal(await h(req('read', 'cubbyhole/mine', {}, b.token)), undefined);
  assert.equal(await h(req('read', 'cubbyhole/mine', {}, ROOT)), undefined);
  assert.deepEqual((await h(req('list', 'cubbyhole/', {}, a.token)))?.data, { keys: ['mine'] });

  const cubbyMount = node.core.mounts.find('cubbyhole')!;
  const cubbyKeys = async () => (await walk(physical)).filter((k) => k.startsWith(`logical/${cubbyMount.uuid}/`));
  assert.equal((await cubbyKeys()).length, 1);
  await h(req('update', 'auth/token/revoke', { token: a.token }));
  assert.deepEqual(await cubbyKeys(), []);

  const batch = await h(req('update', 'auth/token/create', { type: 'batch', policies: ['default'] }));
  await assert.rejects(h(req('update', 'cubbyhole/x', { a: 1 }, batch!.auth!.clientToken)), (err: unknown) => {
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.message, 'cubbyhole operations are only supported by "service" type tokens');
    return true;
  });
  await assert.rejects(h(req('read', 'cubbyhole/x', {}, '')), PermissionDeniedError);
  await node.close();
});

test('the cubbyhole mount: listed, local, cannot be disabled, moved or mounted twice', async () => {
  const { node, h } = await setup();
  const mounts = (await h(req('read', 'sys/mounts')))!.data!;
  const cubby = mounts['cubbyhole/'] as Record<string, unknown>;
  assert.equal(cubby['type'], 'cubbyhole');
  assert.equal(cubby['local'], true);
  assert.equal(cubby['description'], 'per-token private secret storage');
  await assert.rejects(h(req('delete', 'sys/mounts/cubbyhole')), /cannot unmount "cubbyhole\/"/);
  await assert.rejects(h(req('update', 'sys/remount', { from: 'cubbyhole', to: 'elsewhere' })), /cannot remount "cubbyhole\/"/);
  await assert.rejects(h(req('update', 'sys/mounts/second', { type: 'cubbyhole' })), (err: unknown) => {
    assert.ok(err instanceof PermissionDeniedError);
    assert.equal(err.message, 'mount type of "cubbyhole" is not mountable');
    return true;
  });
  assert.equal(node.core.mounts.find('second'), undefined);
  // Still there, still local, after a seal/unseal cycle.
  await node.core.sealNode();
  await node.core.submitUnsealKey(node.dev!.unsealKey);
  assert.equal(node.core.mounts.find('cubbyhole')?.local, true);
  assert.equal(node.core.mounts.list().filter((e) => e.type === 'cubbyhole').length, 1);
  await node.close();
});

test('wrapped responses reach physical storage encrypted, as local keys', async () => {
  const { node, physical, h } = await setup();
  const marker = 'wrapped-marker-7f3a9c';
  await h(req('update', 'secret/data/plain', { data: { value: marker } }));
  const token = (await h(req('read', 'secret/data/plain', {}, ROOT, 60)))!.wrapInfo!.token;
  const wrapToken = (await h(req('update', 'sys/wrapping/wrap', { value: marker }, ROOT, 60)))!.wrapInfo!.token;
  const needles = [marker, token, wrapToken].map((s) => Buffer.from(s));
  const cubbyMount = node.core.mounts.find('cubbyhole')!;
  let cubbyhole = 0;
  for (const key of await walk(physical)) {
    for (const needle of needles) assert.ok(!Buffer.from(key).includes(needle), `key ${key} reveals a secret`);
    const value = await physical.get(key);
    for (const needle of needles) assert.ok(value === undefined || !value.includes(needle), `value of ${key} is in plaintext`);
    if (key.startsWith(`logical/${cubbyMount.uuid}/`)) {
      cubbyhole++;
      assert.equal(node.core.classifier.classify(key), 'local');
    }
  }
  assert.equal(cubbyhole, 4);
  await node.close();
});
