/**
 * In-place upgrade of KV v1 data to v2 (`vault kv enable-versioning`), without sockets: v1
 * secrets written through the v1 backend, then a v2 backend over the same storage view.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FakeClock } from '../../../src/clock.js';
import { UnavailableError } from '../../../src/errors.js';
import { kvV1Factory, kvV2Factory, UPGRADE_IN_PROGRESS_MESSAGE } from '../../../src/engines/kv/index.js';
import { UPGRADE_BATCH_SIZE, UPGRADE_RETRY_MS } from '../../../src/engines/kv/v2/upgrade.js';
import type { BackendContext, MountSettings } from '../../../src/logical/backend.js';
import { StorageView } from '../../../src/logical/storage.js';
import type { BatchOp } from '../../../src/storage/physical.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';
import { call, request } from '../../framework/harness.js';

/** MemoryStorage whose batches can fail (the nth one, counting from 1) or wait on a gate. */
class FaultyStorage extends MemoryStorage {
  failBatch: number | undefined;
  gate: Promise<void> | undefined;
  batchCalls = 0;

  override async batch(ops: readonly BatchOp[]): Promise<void> {
    this.batchCalls++;
    if (this.gate !== undefined) await this.gate;
    if (this.batchCalls === this.failBatch) throw new Error('simulated crash during batch');
    return super.batch(ops);
  }
}

function mountContext(storage: MemoryStorage, clock: FakeClock, prefix: string): BackendContext {
  const mount: MountSettings = {
    path: 'legacy/',
    type: 'kv',
    accessor: 'kv_1234abcd',
    uuid: prefix.split('/')[1]!,
    local: false,
    options: {},
    defaultLeaseTTL: () => 2764800,
    maxLeaseTTL: () => 2764800,
  };
  return { storage: new StorageView(storage, prefix), mount, clock };
}

function setup() {
  const storage = new FaultyStorage();
  const clock = new FakeClock();
  const prefix = `logical/${randomUUID()}/`;
  const ctx = mountContext(storage, clock, prefix);
  return { storage, clock, prefix, ctx, v1: kvV1Factory(ctx) };
}

/** Start a v2 backend the way the mount table does, and wait for the conversion. */
async function startV2(ctx: BackendContext) {
  const kv = kvV2Factory(ctx);
  await kv.initialize();
  await kv.upgradeSettled();
  return kv;
}

function keysUnder(storage: MemoryStorage, prefix: string): string[] {
  return storage.keys().filter((k) => k.startsWith(prefix));
}

function snapshot(storage: MemoryStorage): Map<string, string> {
  return new Map([...storage.entries].map(([k, v]) => [k, v.toString('hex')]));
}


const SECRETS: Record<string, Record<string, unknown>> = {
  plain: { password: 'hunter2' },
  nested: { leaf: 'and folder' },
  'nested/other': { n: 1, list: [1, 'two'], deep: { x: null } },
  'nested/deep/secret': { token: 'abc', ttl: '1h' },
  'ünïcode/秘密 key': { 'clé': 'välue ✓' },
  config: { not: 'the engine config' },
};

async function writeV1(v1: ReturnType<typeof kvV1Factory>, secrets: Record<string, Record<string, unknown>>) {
  for (const [path, data] of Object.entries(secrets)) await call(v1, 'create', path, data);
}

test('v1 secrets become version 1 of the same paths, with metadata', async () => {
  const { storage, clock, prefix, ctx, v1 } = setup();
  await writeV1(v1, SECRETS);
  clock.advance(5000);
  const kv = await startV2(ctx);
  const at = '2026-01-01T00:00:05Z';

  for (const [path, data] of Object.entries(SECRETS)) {
    assert.deepEqual(await call(kv, 'read', `data/${path}`), {
      data: { data, metadata: { created_time: at, custom_metadata: null, deletion_time: '', destroyed: false, version: 1 } },
    });
    assert.deepEqual((await call(kv, 'read', `metadata/${path}`))?.data, {
      cas_required: false,
      created_time: at,
      current_version: 1,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: at,
      versions: { '1': { created_time: at, deletion_time: '', destroyed: false } },
    });
  }
  // The engine's own config key is untouched by a v1 secret named "config".
  assert.deepEqual((await call(kv, 'read', 'config'))?.data, { cas_required: false, delete_version_after: '0s', max_versions: 0 });
  assert.deepEqual(keysUnder(storage, `${prefix}data/`), [], 'no v1 key is left');
  // Later writes continue the history.
  const next = await call(kv, 'update', 'data/nested/deep/secret', { options: { cas: 1 }, data: { token: 'def' } });
  assert.equal(next?.data?.version, 2);
  assert.deepEqual((await call(kv, 'read', 'data/nested/deep/secret', { version: 1 }))?.data?.data, SECRETS['nested/deep/secret']);
});

test('migrated secrets are listable through metadata/', async () => {
  const { ctx, v1 } = setup();
  await writeV1(v1, SECRETS);
  const kv = await startV2(ctx);
  assert.deepEqual((await call(kv, 'list', 'metadata/'))?.data, { keys: ['config', 'nested', 'nested/', 'plain', 'ünïcode/'] });
  assert.deepEqual((await call(kv, 'list', 'metadata'))?.data, { keys: ['config', 'nested', 'nested/', 'plain', 'ünïcode/'] });
  assert.deepEqual((await call(kv, 'list', 'metadata/nested/'))?.data, { keys: ['deep/', 'other'] });
  assert.deepEqual((await call(kv, 'list', 'metadata/ünïcode'))?.data, { keys: ['秘密 key'] });
  // The v1 layout is gone: v2 has no handler for a bare path.
  await assert.rejects(call(kv, 'read', 'plain'));
});

test('conversion runs in atomic batches, each one storage batch', async () => {
  const { storage, prefix, ctx, v1 } = setup();
  const count = UPGRADE_BATCH_SIZE * 2 + 50;
  for (let i = 0; i < count; i++) await call(v1, 'create', `bulk/${String(i).padStart(4, '0')}`, { i });
  assert.equal(storage.batches, 0);
  const kv = await startV2(ctx);
  assert.equal(storage.batches, 3);
  assert.equal(keysUnder(storage, `${prefix}data/`).length, 0);
  assert.equal(keysUnder(storage, `${prefix}metadata/`).length, count);
  assert.equal(keysUnder(storage, `${prefix}versions/`).length, count);
  assert.deepEqual((await call(kv, 'read', 'data/bulk/0249'))?.data?.data, { i: 249 });
});

test('requests during the conversion get Vault\'s upgrade error; help still answers', async () => {
  const { storage, ctx, v1 } = setup();
  await writeV1(v1, SECRETS);
  let open!: () => void;
  storage.gate = new Promise<void>((resolve) => (open = resolve));
  const kv = kvV2Factory(ctx);
  await kv.initialize();
  const upgrading = (err: unknown) => {
    assert.ok(err instanceof UnavailableError, String(err));
    assert.equal(err.status, 503);
    assert.equal(err.message, UPGRADE_IN_PROGRESS_MESSAGE);
    return true;
  };
  await assert.rejects(call(kv, 'read', 'data/plain'), upgrading);
  await assert.rejects(call(kv, 'list', 'metadata/'), upgrading);
  await assert.rejects(call(kv, 'create', 'data/new', { data: { a: 1 } }), upgrading);
  await assert.rejects(kv.existenceCheck(request('create', 'data/new', { data: { a: 1 } })), upgrading);
  assert.ok((await call(kv, 'help', ''))?.data?.help);
  open();
  await kv.upgradeSettled();
  assert.deepEqual((await call(kv, 'read', 'data/plain'))?.data?.data, SECRETS.plain);
});

test('a crash midway loses nothing; a fresh initialize finishes without duplicates', async () => {
  const { storage, prefix, ctx, v1 } = setup();
  const count = UPGRADE_BATCH_SIZE * 2 + 50;
  const all: Record<string, Record<string, unknown>> = { ...SECRETS };
  for (let i = 0; i < count; i++) all[`bulk/${i}`] = { i };
  await writeV1(v1, all);
  const total = Object.keys(all).length;

  storage.failBatch = 2;
  const crashed = kvV2Factory(ctx);
  await crashed.initialize();
  await crashed.upgradeSettled();
  // The first batch is wholly v2, the rest wholly v1: no secret is in both forms or neither.
  const v1Left = keysUnder(storage, `${prefix}data/`).map((k) => k.slice(`${prefix}data/`.length));
  const v2Done = keysUnder(storage, `${prefix}metadata/`).map((k) => k.slice(`${prefix}metadata/`.length));
  assert.equal(v2Done.length, UPGRADE_BATCH_SIZE);
  assert.equal(v1Left.length + v2Done.length, total);
  assert.ok(v2Done.every((p) => !v1Left.includes(p)));
  await assert.rejects(call(crashed, 'read', 'data/plain'), UnavailableError);
  await crashed.cleanup();

  // "Restart": a new backend over the same storage.
  const kv = await startV2(ctx);
  assert.deepEqual(keysUnder(storage, `${prefix}data/`), []);
  assert.equal(keysUnder(storage, `${prefix}metadata/`).length, total);
  assert.equal(keysUnder(storage, `${prefix}versions/`).length, total, 'exactly one version per secret');
  for (const [path, data] of Object.entries(all)) {
    const resp = await call(kv, 'read', `data/${path}`);
    assert.deepEqual(resp?.data?.data, data, path);
    assert.equal((resp?.data?.metadata as Record<string, unknown>).version, 1, path);
    assert.equal((await call(kv, 'read', `metadata/${path}`))?.data?.current_version, 1, path);
  }
});

test('a failed run is retried after a delay on the injected clock', async () => {
  const { storage, clock, prefix, ctx, v1 } = setup();
  await writeV1(v1, SECRETS);
  storage.failBatch = 1;
  const kv = kvV2Factory(ctx);
  await kv.initialize();
  await kv.upgradeSettled();
  await assert.rejects(call(kv, 'read', 'data/plain'), UnavailableError);
  assert.equal(keysUnder(storage, `${prefix}data/`).length, Object.keys(SECRETS).length);
  clock.advance(UPGRADE_RETRY_MS);
  await kv.upgradeSettled();
  assert.deepEqual((await call(kv, 'read', 'data/plain'))?.data?.data, SECRETS.plain);
  assert.deepEqual(keysUnder(storage, `${prefix}data/`), []);
});

test('running initialize again, on the same or a new backend, changes nothing', async () => {
  const { storage, clock, ctx, v1 } = setup();
  await writeV1(v1, SECRETS);
  const kv = await startV2(ctx);
  await call(kv, 'update', 'data/plain', { data: { password: 'rotated' } });
  const before = snapshot(storage);
  const batches = storage.batches;
  clock.advance(60_000);
  await kv.initialize();
  await kv.upgradeSettled();
  await startV2(ctx);
  assert.deepEqual(snapshot(storage), before);
  assert.equal(storage.batches, batches);
  assert.deepEqual((await call(kv, 'read', 'data/plain'))?.data?.data, { password: 'rotated' });
  assert.equal((await call(kv, 'read', 'metadata/plain'))?.data?.current_version, 2);
});

test('a v2 mount without v1 data is available as soon as initialize returns', async () => {
  const { storage, ctx } = setup();
  const kv = kvV2Factory(ctx);
  await kv.initialize();
  assert.equal((await call(kv, 'create', 'data/a', { data: { a: 1 } }))?.data?.version, 1);
  assert.equal(storage.batches, 1);
});

test('a v1 key whose path already has v2 metadata is dropped, not added as another version', async () => {
  const { storage, prefix, ctx } = setup();
  const kv = await startV2(ctx);
  await call(kv, 'create', 'data/dup', { data: { v2: true } });
  // What a non-atomic store could leave behind after a crash.
  await storage.put(`${prefix}data/dup`, Buffer.from(JSON.stringify({ v2: true })));
  const again = await startV2(ctx);
  assert.deepEqual(keysUnder(storage, `${prefix}data/`), []);
  assert.equal((await call(again, 'read', 'metadata/dup'))?.data?.current_version, 1);
});

test('cleanup stops the conversion between batches and waits for the one in flight', async () => {
  const { storage, prefix, ctx, v1 } = setup();
  for (let i = 0; i < UPGRADE_BATCH_SIZE * 3; i++) await call(v1, 'create', `k/${i}`, { i });
  let open!: () => void;
  storage.gate = new Promise<void>((resolve) => (open = resolve));
  const kv = kvV2Factory(ctx);
  await kv.initialize();
  await new Promise((resolve) => setImmediate(resolve));
  const stopped = kv.cleanup();
  open();
  await stopped;
  const writes = storage.writes;
  assert.equal(storage.batches, 1);
  assert.equal(keysUnder(storage, `${prefix}data/`).length, UPGRADE_BATCH_SIZE * 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(storage.writes, writes, 'nothing is written after cleanup');
  await assert.rejects(call(kv, 'read', 'metadata/k/0'), UnavailableError);
});
