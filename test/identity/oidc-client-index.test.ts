/**
 * The OIDC provider's client-id entries: a client is found by client_id without reading every
 * client, clients stored before the entries existed are found by a scan until the first client
 * write indexes them all, and deleted clients leave no entry behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageView } from '../../src/logical/storage.js';
import { ProviderStore, type OidcClient } from '../../src/identity/oidc/provider-store.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

/** Counts reads of client records (the scan reads every one). */
class CountingStorage extends MemoryStorage {
  clientReads = 0;
  override async get(key: string): Promise<Buffer | undefined> {
    if (key.startsWith('m/oidc/client/')) this.clientReads++;
    return super.get(key);
  }
}

const client = (clientId: string): OidcClient => ({
  clientId,
  clientSecret: '',
  clientType: 'public',
  redirectUris: [],
  assignments: [],
  key: 'default',
  idTokenTtl: 60,
  accessTokenTtl: 60,
});

test('clients are found by client_id through their entry, not a scan', async () => {
  const raw = new CountingStorage();
  const store = new ProviderStore(new StorageView(raw, 'm/'));
  for (let i = 0; i < 20; i++) await store.putClient(`c${i}`, client(`id${i}`));
  raw.clientReads = 0;
  assert.equal((await store.clientById('id17'))?.clientId, 'id17');
  assert.equal(raw.clientReads, 1, 'one client record read');
  raw.clientReads = 0;
  assert.equal(await store.clientById('no-such-id'), undefined);
  assert.equal(raw.clientReads, 0, 'an unknown client_id reads no client');

  await store.deleteClient('c17');
  assert.equal(await store.clientById('id17'), undefined);
  assert.deepEqual(raw.keys().filter((k) => k.startsWith('m/oidc/client-id/')).length, 19, 'the deleted client left no entry');
});

test('clients stored before the entries existed: found by a scan, indexed at the first client write', async () => {
  const raw = new CountingStorage();
  const view = new StorageView(raw, 'm/');
  // As an older version stored them: the records only.
  for (let i = 0; i < 5; i++) await view.putJSON(`oidc/client/old${i}`, client(`old-id${i}`));
  const store = new ProviderStore(view);
  assert.equal((await store.clientById('old-id3'))?.clientId, 'old-id3', 'found by the scan');
  assert.equal(await store.clientById('nope'), undefined);

  await store.putClient('new', client('new-id'));
  raw.clientReads = 0;
  assert.equal((await store.clientById('old-id3'))?.clientId, 'old-id3');
  assert.equal((await store.clientById('new-id'))?.clientId, 'new-id');
  assert.equal(raw.clientReads, 2, 'each found through its entry');
  raw.clientReads = 0;
  assert.equal(await store.clientById('nope'), undefined);
  assert.equal(raw.clientReads, 0, 'the index is whole: no scan for an unknown id');
});

test('an entry whose client was renamed or replaced does not match', async () => {
  const raw = new MemoryStorage();
  const view = new StorageView(raw, 'm/');
  const store = new ProviderStore(view);
  await store.putClient('a', client('id-a'));
  // A stale entry pointing at a client with another id (as after an interrupted write).
  await view.putJSON('oidc/client-id/id-ghost', { name: 'a' });
  assert.equal(await store.clientById('id-ghost'), undefined);
});
