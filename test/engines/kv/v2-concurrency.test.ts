/** Concurrent writes to one KV v2 secret never lose an update, and check-and-set admits one winner. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvV2Factory } from '../../../src/engines/kv/v2/backend.js';
import { StorageView } from '../../../src/logical/storage.js';
import { FakeClock } from '../../../src/clock.js';
import type { BackendRequest } from '../../../src/logical/backend.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

function backend() {
  const mount = {
    path: 'secret/', type: 'kv', accessor: 'kv_x', uuid: 'u', local: false, options: { version: '2' },
    defaultLeaseTTL: () => 60, maxLeaseTTL: () => 120,
  };
  return kvV2Factory({ storage: new StorageView(new MemoryStorage(), 'logical/u/'), mount, clock: new FakeClock() });
}

function req(operation: BackendRequest['operation'], relativePath: string, data: Record<string, unknown>): BackendRequest {
  return { id: 'r', operation, path: `secret/${relativePath}`, relativePath, data, clientToken: '', headers: {}, wrapTTL: 0, remoteAddr: '' };
}

test('50 concurrent writes to one key produce versions 1..50, each readable with its own data', async () => {
  const b = backend();
  await b.initialize();
  await b.handleRequest(req('update', 'config', { max_versions: 60 }));
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => b.handleRequest(req('update', 'data/k', { data: { i } }))));
  const written = results.map((r) => (r!.data as { version: number }).version);
  assert.deepEqual([...written].sort((a, c) => a - c), Array.from({ length: 50 }, (_, i) => i + 1));
  for (const [i, version] of written.entries()) {
    const read = await b.handleRequest(req('read', 'data/k', { version }));
    assert.deepEqual((read!.data as { data: unknown }).data, { i }, `version ${version}`);
  }
  const meta = await b.handleRequest(req('read', 'metadata/k', {}));
  assert.equal((meta!.data as { current_version: number }).current_version, 50);
});

test('concurrent writes through data/ and metadata/ of one key keep every version', async () => {
  const b = backend();
  await b.initialize();
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? b.handleRequest(req('update', 'data/k', { data: { i } })) : b.handleRequest(req('update', 'metadata/k', { custom_metadata: { n: String(i) } })),
    ),
  );
  const meta = (await b.handleRequest(req('read', 'metadata/k', {})))!.data as { current_version: number; versions: Record<string, unknown> };
  assert.equal(meta.current_version, 10);
  assert.equal(Object.keys(meta.versions).length, 10);
});

test('concurrent check-and-set writes: exactly one wins', async () => {
  const b = backend();
  await b.initialize();
  await b.handleRequest(req('update', 'data/k', { data: { v: 0 } }));
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => b.handleRequest(req('update', 'data/k', { options: { cas: 1 }, data: { v: i } }))));
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  for (const o of outcomes) {
    if (o.status === 'rejected') assert.match((o.reason as Error).message, /check-and-set parameter did not match the current version/);
  }
  const meta = await b.handleRequest(req('read', 'metadata/k', {}));
  assert.equal((meta!.data as { current_version: number }).current_version, 2);
});
