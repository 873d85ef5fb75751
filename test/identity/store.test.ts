/** The IdentityStore on its own: path table, atomic writes, index maintenance, invalidation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { isArcaError } from '../../src/errors.js';
import { findOverlapDetails } from '../../src/framework/index.js';
import { entityForLogin, writeAliasByFactors } from '../../src/identity/alias-ops.js';
import { createIdentityBackend, identityPaths } from '../../src/identity/backend.js';
import { StorageView } from '../../src/logical/storage.js';
import { upsertEntity } from '../../src/identity/entity-ops.js';
import { upsertGroup } from '../../src/identity/group-ops.js';
import { IdentityStore } from '../../src/identity/identity-store.js';
import { parseRecordKey, recordKey } from '../../src/identity/layout.js';
import type { MountInfo } from '../../src/identity/types.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

const MOUNTS: Record<string, MountInfo> = {
  auth_userpass_1: { accessor: 'auth_userpass_1', type: 'userpass', path: 'auth/userpass/', local: false },
  auth_userpass_2: { accessor: 'auth_userpass_2', type: 'userpass', path: 'auth/local/', local: true },
};

async function makeStore(storage = new MemoryStorage()): Promise<{ store: IdentityStore; storage: MemoryStorage; clock: FakeClock }> {
  const clock = new FakeClock();
  const store = new IdentityStore({ storage, clock, mounts: (a) => MOUNTS[a] });
  await store.setup();
  return { store, storage, clock };
}

test('the identity path table has no overlapping patterns', async () => {
  const { store } = await makeStore();
  const ctx = { storage: new StorageView(new MemoryStorage(), 'x/'), mount: { path: 'identity/', type: 'identity', accessor: 'identity_1', uuid: 'u', local: false, options: {}, defaultLeaseTTL: () => 0, maxLeaseTTL: () => 0 }, clock: store.clock };
  assert.deepEqual(findOverlapDetails(identityPaths(store, ctx, { apiAddr: () => '' })), []);
});

test('the identity engine mounts only at identity/', async () => {
  const { store } = await makeStore();
  const mount = { path: 'other/', type: 'identity', accessor: 'identity_1', uuid: 'u', local: false, options: {}, defaultLeaseTTL: () => 0, maxLeaseTTL: () => 0 };
  const env = { apiAddr: () => '' };
  assert.throws(() => createIdentityBackend(store, { storage: new StorageView(new MemoryStorage(), 'x/'), mount, clock: store.clock }, env), /not mountable/);
  assert.ok(createIdentityBackend(store, { storage: new StorageView(new MemoryStorage(), 'x/'), mount: { ...mount, path: 'identity/' }, clock: store.clock }, env));
});

test('record keys: replicated and local prefixes, parsed back', () => {
  assert.equal(recordKey('entity', 'e1'), 'sys/identity/entity/e1');
  assert.equal(recordKey('alias', 'a1', true), 'sys/local-identity/alias/a1');
  assert.equal(recordKey('group-alias', 'g1'), 'sys/identity/group-alias/g1');
  assert.deepEqual(parseRecordKey('sys/identity/group-alias/g1'), { kind: 'group-alias', id: 'g1' });
  assert.deepEqual(parseRecordKey('sys/local-identity/alias/a1'), { kind: 'alias', id: 'a1' });
  assert.equal(parseRecordKey('sys/identity/entity/'), undefined);
  assert.equal(parseRecordKey('sys/policy/x'), undefined);
  assert.throws(() => recordKey('entity', '../x'));
});

test('a failed storage write leaves the indexes untouched', async () => {
  const { store, storage } = await makeStore();
  storage.failWrites = new Error('disk full');
  await assert.rejects(upsertEntity(store, undefined, { name: 'bob' }), /disk full/);
  assert.equal(store.index.entities.size, 0);
  storage.failWrites = undefined;
  const { record } = await upsertEntity(store, undefined, { name: 'bob' });
  assert.equal(store.index.entityByName('BOB')?.id, record.id);
});

test('a rejected operation writes nothing', async () => {
  const { store, storage } = await makeStore();
  await upsertEntity(store, undefined, { name: 'a' });
  const writes = storage.writes;
  await assert.rejects(upsertGroup(store, undefined, { name: 'g', memberEntityIds: ['missing'] }), (err: unknown) => isArcaError(err) && err.status === 400);
  await assert.rejects(writeAliasByFactors(store, { name: 'x', mountAccessor: 'nope' }), (err: unknown) => isArcaError(err) && err.status === 400);
  assert.equal(storage.writes, writes);
  assert.equal(store.index.groups.size, 0);
});

test('one batch per operation; a new store loads what the old one wrote', async () => {
  const { store, storage } = await makeStore();
  const before = storage.batches;
  await entityForLogin(store, MOUNTS['auth_userpass_1']!, { name: 'bob', metadata: { a: '1' } });
  assert.equal(storage.batches, before + 1, 'entity and alias in one batch');
  // Unchanged login: no write at all.
  const again = await entityForLogin(store, MOUNTS['auth_userpass_1']!, { name: 'bob', metadata: { a: '1' } });
  assert.equal(storage.batches, before + 1);
  // Changed alias metadata is refreshed.
  await entityForLogin(store, MOUNTS['auth_userpass_1']!, { name: 'bob', metadata: { a: '2' } });
  assert.deepEqual(store.index.aliasByFactors('auth_userpass_1', 'bob')?.metadata, { a: '2' });
  const local = await entityForLogin(store, MOUNTS['auth_userpass_2']!, { name: 'carol' });
  assert.ok([...storage.entries.keys()].some((k) => k.startsWith('sys/local-identity/alias/')));

  const { store: reloaded } = await makeStore(storage);
  assert.equal(reloaded.index.aliasByFactors('auth_userpass_1', 'bob')?.canonicalId, again.entity.id);
  assert.equal(reloaded.index.aliasByFactors('auth_userpass_2', 'carol')?.local, true);
  assert.equal(reloaded.resolve(local.entity.id)?.entity.id, local.entity.id);
});

test('concurrent first logins of one alias create one entity', async () => {
  const { store } = await makeStore();
  const results = await Promise.all(Array.from({ length: 5 }, () => entityForLogin(store, MOUNTS['auth_userpass_1']!, { name: 'bob' })));
  assert.equal(new Set(results.map((r) => r.entity.id)).size, 1);
  assert.equal(store.index.entities.size, 1);
  assert.equal(store.index.aliases.size, 1);
});

test('change listeners fire on writes and invalidations', async () => {
  const { store } = await makeStore();
  let n = 0;
  store.onChange(() => n++);
  await upsertEntity(store, undefined, { name: 'a' });
  assert.equal(n, 1);
  await store.invalidate('sys/identity/entity/unknown');
  assert.equal(n, 2);
});
