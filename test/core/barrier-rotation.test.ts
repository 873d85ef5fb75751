/**
 * Automatic barrier key rotation (sys/rotate/config): the decision on stub parts with a fake
 * clock, then a whole in-process node: the endpoint, a rotation by age, and the encryption
 * count surviving a seal and unseal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { BarrierRotation, CHECK_EVERY_MS, DEFAULT_MAX_OPERATIONS, DEFAULT_ROTATION_CONFIG, mergeRotationConfig } from '../../src/core/barrier-rotation.js';
import { DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL, type ServerConfig } from '../../src/config/server-config-types.js';
import { startNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { BARRIER_ENCRYPTION_COUNT } from '../../src/storage/keys.js';
import { silentLogger } from '../../src/util/logger.js';
import type { Operation, Request } from '../../src/logical/request.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

const DAY = 24 * 60 * 60;

/** Let the timer's async check run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
}

function parts(clock: FakeClock) {
  const status = { term: 1, installTime: new Date(clock.now()).toISOString(), encryptions: 0 };
  const storage = new MemoryStorage();
  let rotations = 0;
  let may = true;
  const rotation = new BarrierRotation({
    storage,
    keyStatus: () => status,
    rotate: async () => {
      rotations++;
      status.term++;
      status.installTime = new Date(clock.now()).toISOString();
      status.encryptions = 0;
    },
    clock,
    logger: silentLogger,
    mayRotate: () => may,
  });
  return { status, storage, rotation, rotations: () => rotations, setMay: (v: boolean) => (may = v) };
}

test('rotation config: Vault\'s limits, partial changes keep the rest', () => {
  assert.deepEqual(DEFAULT_ROTATION_CONFIG, { maxOperations: DEFAULT_MAX_OPERATIONS, interval: 0, enabled: true });
  assert.deepEqual(mergeRotationConfig(DEFAULT_ROTATION_CONFIG, { interval: 30 * DAY }), { maxOperations: DEFAULT_MAX_OPERATIONS, interval: 30 * DAY, enabled: true });
  assert.throws(() => mergeRotationConfig(DEFAULT_ROTATION_CONFIG, { maxOperations: 999_999 }), /max_operations must be between 1000000 and 3865470566/);
  assert.throws(() => mergeRotationConfig(DEFAULT_ROTATION_CONFIG, { maxOperations: DEFAULT_MAX_OPERATIONS + 1 }), /max_operations must be between/);
  assert.throws(() => mergeRotationConfig(DEFAULT_ROTATION_CONFIG, { interval: 3600 }), /interval must be at least 24h/);
  assert.equal(mergeRotationConfig(DEFAULT_ROTATION_CONFIG, { interval: 0, enabled: false }).enabled, false);
});

test('rotation: by count, by age, never when disabled or not the writer; the count is stored and picked up', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  const p = parts(clock);
  await p.rotation.start();

  // Below every limit: the check stores the count and does nothing else.
  p.status.encryptions = 1_500_000;
  assert.equal(await p.rotation.check(), false);
  assert.deepEqual(JSON.parse(p.storage.entries.get(BARRIER_ENCRYPTION_COUNT)!.toString()), { term: 1, encryptions: 1_500_000 });

  // By count, on the timer.
  await p.rotation.setConfig({ maxOperations: 2_000_000 });
  p.status.encryptions = 2_000_000;
  p.setMay(false);
  assert.equal(await p.rotation.check(), false, 'a node that does not write the keyring leaves it to its primary');
  p.setMay(true);
  clock.advance(CHECK_EVERY_MS);
  await settle();
  assert.equal(p.rotations(), 1);
  assert.equal(p.status.term, 2);
  assert.deepEqual(JSON.parse(p.storage.entries.get(BARRIER_ENCRYPTION_COUNT)!.toString()), { term: 2, encryptions: 0 });

  // Disabled: counted, not rotated.
  await p.rotation.setConfig({ enabled: false });
  p.status.encryptions = 3_000_000;
  assert.equal(await p.rotation.check(), false);
  assert.equal(p.rotation.encryptions(), 3_000_000);

  // By age.
  await p.rotation.setConfig({ enabled: true, maxOperations: DEFAULT_MAX_OPERATIONS, interval: DAY });
  clock.advance(DAY * 1000 - 2 * CHECK_EVERY_MS);
  await settle();
  assert.equal(p.rotations(), 1, 'not a day old yet');
  clock.advance(2 * CHECK_EVERY_MS);
  await settle();
  assert.equal(p.rotations(), 2);
  assert.equal(p.status.term, 3);

  // Stopped: the count is stored one last time, and a new start adds it back (same term).
  p.status.encryptions = 12_345;
  await p.rotation.stop();
  clock.advance(DAY * 1000 * 3);
  await settle();
  assert.equal(p.rotations(), 2, 'no checks after stop');
  p.status.encryptions = 5;
  await p.rotation.start();
  assert.equal(p.rotation.encryptions(), 12_350);
  await p.rotation.stop();
});

function nodeConfig(): ServerConfig {
  return {
    ...DEFAULT_TOP_LEVEL,
    storage: { type: 'inmem', options: {} },
    listeners: [],
    telemetry: DEFAULT_TELEMETRY,
    replication: { allowForwardingViaHeader: false, walRetentionEntries: 100_000, walRetentionBytes: 256 * 1024 * 1024 },
    ignoredKeys: [],
  };
}

test('sys/rotate/config on a node: settings, a rotation by age, and the count across a seal', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  const node = await startNode(nodeConfig(), { logger: silentLogger, physical: new InmemPhysical(), dev: { rootTokenId: 'root' }, clock });
  let n = 0;
  const call = (operation: Operation, path: string, data: Record<string, unknown> = {}) =>
    node.pipeline.handle({ id: `r${++n}`, operation, path, data, clientToken: 'root', headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' } as Request);
  try {
    assert.deepEqual((await call('read', 'sys/rotate/config'))?.data, { max_operations: DEFAULT_MAX_OPERATIONS, interval: '0s', enabled: true });
    await assert.rejects(call('update', 'sys/rotate/config', { interval: '1h' }), /interval must be at least 24h/);
    await assert.rejects(call('update', 'sys/rotate/config', { max_operations: 10 }), /max_operations must be between/);
    await call('update', 'sys/rotate/config', { interval: '48h' });
    assert.deepEqual((await call('read', 'sys/rotate/config'))?.data, { max_operations: DEFAULT_MAX_OPERATIONS, interval: '48h0m0s', enabled: true });

    // Writes are counted, and the count outlives a seal.
    for (let i = 0; i < 20; i++) await call('update', `secret/data/k${i}`, { data: { v: i } });
    const before = (await call('read', 'sys/key-status'))?.data as { term: number; encryptions: number };
    assert.equal(before.term, 1);
    assert.ok(before.encryptions >= 40, `encryptions ${before.encryptions}`);
    await call('update', 'sys/seal');
    const unsealKey = node.dev!.unsealKey.toString('base64');
    await call('update', 'sys/unseal', { key: unsealKey });
    const after = (await call('read', 'sys/key-status'))?.data as { term: number; encryptions: number };
    assert.equal(after.term, 1);
    assert.ok(after.encryptions >= before.encryptions, `count after unseal ${after.encryptions} < ${before.encryptions}`);

    // An idle node stores its count once, not at every check (its own store is an encryption too).
    await call('update', 'secret/data/last', { data: { v: 'last' } });
    clock.advance(CHECK_EVERY_MS);
    await settle();
    const idle = ((await call('read', 'sys/key-status'))?.data as { encryptions: number }).encryptions;
    for (let i = 0; i < 3; i++) {
      clock.advance(CHECK_EVERY_MS);
      await settle();
    }
    assert.equal(((await call('read', 'sys/key-status'))?.data as { encryptions: number }).encryptions, idle, 'no writes while idle');

    // Two days later the timer rotates the key; old data stays readable.
    clock.advance(2 * DAY * 1000 + CHECK_EVERY_MS);
    for (let i = 0; i < 200 && ((await call('read', 'sys/key-status'))?.data as { term: number }).term === 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(((await call('read', 'sys/key-status'))?.data as { term: number }).term, 2);
    assert.deepEqual(((await call('read', 'secret/data/k3'))?.data as { data: unknown }).data, { v: 3 });
  } finally {
    await node.close();
  }
});
