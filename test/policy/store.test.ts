/** PolicyStore over in-memory storage: CRUD, built-ins, name rules, and cache invalidation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { DEFAULT_POLICY_TEXT, PolicyParseError } from '../../src/policy/index.js';
import { BadRequestError } from '../../src/errors.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

const KEY = (name: string): string => `sys/policy/acl/${name}`;

/** MemoryStorage that counts reads, to tell a cache hit from a storage read. */
class CountingStorage extends MemoryStorage {
  reads = 0;
  override async get(key: string): Promise<Buffer | undefined> {
    this.reads++;
    return super.get(key);
  }
}

async function freshStore(): Promise<{ store: PolicyStore; storage: CountingStorage }> {
  const storage = new CountingStorage();
  const store = new PolicyStore(storage);
  await store.setup();
  return { store, storage };
}

const READ_A = 'path "secret/a" {\n  capabilities = ["read"]\n}\n';
const WRITE_A = 'path "secret/a" {\n  capabilities = ["update"]\n}\n';

test('setup stores the default policy once and lists default and root', async () => {
  const { store, storage } = await freshStore();
  assert.deepEqual(await store.list(), ['default', 'root']);
  assert.equal((await store.get('default'))?.raw, DEFAULT_POLICY_TEXT);
  assert.ok(storage.entries.has(KEY('default')));
  // An operator's edit of `default` survives the next unseal.
  await store.put('default', READ_A);
  store.teardown();
  await store.setup();
  assert.equal((await store.get('default'))?.raw, READ_A);
});

test('put, get, list and delete; names are trimmed and lower-cased', async () => {
  const { store, storage } = await freshStore();
  const p = await store.put('  Dev-Team ', READ_A);
  assert.equal(p.name, 'dev-team');
  assert.ok(storage.entries.has(KEY('dev-team')));
  assert.equal((await store.get('DEV-TEAM'))?.raw, READ_A);
  await store.put('zeta', WRITE_A);
  assert.deepEqual(await store.list(), ['default', 'dev-team', 'root', 'zeta']);
  await store.delete('Dev-Team');
  assert.equal(await store.get('dev-team'), undefined);
  assert.ok(!storage.entries.has(KEY('dev-team')));
  assert.deepEqual(await store.list(), ['default', 'root', 'zeta']);
  // Deleting what is not there is not an error.
  await store.delete('never-existed');
});

test('a policy that does not parse is refused with its line and nothing is stored', async () => {
  const { store, storage } = await freshStore();
  await assert.rejects(
    store.put('bad', 'path "a" {\n  capabilities = ["read"]\n}\npath "b" {\n  capabilities = ["fly"]\n}\n'),
    (e: unknown) => e instanceof PolicyParseError && e.status === 400 && /line 5/.test(e.message),
  );
  assert.ok(!storage.entries.has(KEY('bad')));
  assert.equal(await store.get('bad'), undefined);
});

test('built-ins: root and response-wrapping cannot be written, default/root cannot be deleted', async () => {
  const { store } = await freshStore();
  for (const name of ['root', ' ROOT', 'response-wrapping']) {
    await assert.rejects(store.put(name, READ_A), (e: unknown) => e instanceof BadRequestError && /cannot update/.test(e.message));
  }
  await assert.rejects(store.delete('default'), /cannot delete default policy/);
  await assert.rejects(store.delete('root'), /cannot delete "root" policy/);
  await assert.rejects(store.delete('response-wrapping'), /cannot delete "response-wrapping" policy/);
  await assert.rejects(store.put('', READ_A), /policy name missing/);
  // response-wrapping is readable but not listed.
  assert.match((await store.get('response-wrapping'))?.raw ?? '', /cubbyhole\/response/);
  assert.ok(!(await store.list()).includes('response-wrapping'));
});

test('parsed policies are cached; writes and deletes invalidate the cache', async () => {
  const { store, storage } = await freshStore();
  await store.put('a', READ_A);
  await store.get('a');
  const before = storage.reads;
  await store.get('a');
  await store.get('A ');
  assert.equal(storage.reads, before, 'a cached policy was read from storage again');
  await store.put('a', WRITE_A);
  assert.equal((await store.get('a'))?.raw, WRITE_A);
  await store.delete('a');
  assert.equal(await store.get('a'), undefined);
  // A miss is cached too, until something is written under the name.
  const missReads = storage.reads;
  await store.get('a');
  assert.equal(storage.reads, missReads);
  await store.put('a', READ_A);
  assert.equal((await store.get('a'))?.raw, READ_A);
});

test('compiled ACLs are cached per set of names and rebuilt after a change', async () => {
  const { store } = await freshStore();
  await store.put('a', READ_A);
  await store.put('b', 'path "secret/b" {\n  capabilities = ["list"]\n}\n');
  const ab = await store.acl(['a', 'b']);
  assert.equal(await store.acl(['b', 'a']), ab, 'order of names should not matter');
  assert.ok(ab.allowed('read', 'secret/a').allowed);
  assert.ok(!ab.allowed('update', 'secret/a').allowed);

  await store.put('a', WRITE_A);
  const ab2 = await store.acl(['a', 'b']);
  assert.notEqual(ab2, ab);
  assert.ok(!ab2.allowed('read', 'secret/a').allowed);
  assert.ok(ab2.allowed('update', 'secret/a').allowed);

  await store.delete('a');
  const ab3 = await store.acl(['a', 'b']);
  assert.ok(!ab3.allowed('update', 'secret/a').allowed, 'a deleted policy still grants');
  assert.ok(ab3.allowed('list', 'secret/b').allowed);
});

test('unknown names grant nothing; root allows everything', async () => {
  const { store } = await freshStore();
  const none = await store.acl(['nope']);
  assert.deepEqual(none.capabilities('secret/a'), ['deny']);
  const root = await store.acl(['root']);
  assert.ok(root.root);
  assert.deepEqual(root.capabilities('anything/at/all'), ['root']);
  assert.ok(root.allowed('delete', 'sys/seal').sudo);
});

test('invalidate picks up a change written to storage behind the store (replication)', async () => {
  const { store, storage } = await freshStore();
  await store.put('a', READ_A);
  assert.ok((await store.acl(['a'])).allowed('read', 'secret/a').allowed);
  // A replicated write lands in storage directly.
  await storage.put(KEY('a'), Buffer.from(JSON.stringify({ name: 'a', raw: WRITE_A })));
  assert.ok((await store.acl(['a'])).allowed('read', 'secret/a').allowed, 'cache should still serve the old rules');
  store.invalidate('A');
  const acl = await store.acl(['a']);
  assert.ok(!acl.allowed('read', 'secret/a').allowed);
  assert.ok(acl.allowed('update', 'secret/a').allowed);
});

test('a stored policy that no longer parses grants nothing instead of failing requests', async () => {
  const { store, storage } = await freshStore();
  await storage.put(KEY('broken'), Buffer.from(JSON.stringify({ name: 'broken', raw: 'path "x" { capabilities = ["fly"] }' })));
  assert.equal(await store.get('broken'), undefined);
  assert.deepEqual((await store.acl(['broken'])).capabilities('x'), ['deny']);
});

test('a failed storage write leaves the previous policy in force', async () => {
  const { store, storage } = await freshStore();
  await store.put('a', READ_A);
  await store.acl(['a']);
  storage.failWrites = new Error('disk full');
  await assert.rejects(store.put('a', WRITE_A), /disk full/);
  await assert.rejects(store.delete('a'), /disk full/);
  storage.failWrites = undefined;
  assert.equal((await store.get('a'))?.raw, READ_A);
  assert.ok((await store.acl(['a'])).allowed('read', 'secret/a').allowed);
});
