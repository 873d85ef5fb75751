/**
 * The token store reads entries through the barrier's decoded read cache: a hot token costs no
 * decrypt and no parse, and every change to the entry (revocation, use counting, renewal, a
 * write by another node followed by replication/HA invalidation) is seen at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import { FakeClock } from '../../src/clock.js';
import { TOKEN_PREFIX } from '../../src/storage/keys.js';
import { ID_PREFIX, TokenStore, type TokenEntry } from '../../src/token/token-store.js';
import { MapPhysical } from '../barrier/map-physical.js';

class CountingPhysical extends MapPhysical {
  gets = 0;
  override async get(key: string): Promise<Buffer | undefined> {
    this.gets++;
    return super.get(key);
  }
}

const ROOT_KEY = Buffer.alloc(32, 9);

async function unsealed(physical: MapPhysical): Promise<AesGcmBarrier> {
  const barrier = new AesGcmBarrier(physical);
  await barrier.unseal(ROOT_KEY);
  return barrier;
}

async function setup() {
  const physical = new CountingPhysical();
  const barrier = new AesGcmBarrier(physical);
  await barrier.initialize(ROOT_KEY);
  await barrier.unseal(ROOT_KEY);
  const clock = new FakeClock();
  const tokens = new TokenStore(barrier, clock);
  await tokens.setup();
  return { physical, barrier, clock, tokens };
}

const base = { policies: ['default'], path: 'auth/token/create', displayName: 'token', renewable: true, type: 'service' as const };

test('a hot token is read from storage and parsed once; the shared entry is frozen', async () => {
  const { physical, tokens } = await setup();
  const { token } = await tokens.create({ ...base, ttl: 600 });
  const first = await tokens.lookup(token);
  const gets = physical.gets;
  const second = await tokens.lookup(token);
  assert.equal(physical.gets, gets, 'no storage read for the second lookup');
  assert.equal(second?.entry, first?.entry, 'the same decoded entry');
  assert.ok(Object.isFrozen(second!.entry) && Object.isFrozen(second!.entry.policies) && Object.isFrozen(second!.entry.meta));
});

test('a revoked token stops working at once, and so do its children', async () => {
  const { tokens } = await setup();
  const parent = await tokens.create({ ...base, ttl: 600 });
  const child = await tokens.create({ ...base, ttl: 600, parent: parent.idHash });
  assert.ok(await tokens.lookup(parent.token));
  assert.ok(await tokens.lookup(child.token));
  await tokens.revokeTree(parent.idHash);
  assert.equal(await tokens.lookup(parent.token), undefined);
  assert.equal(await tokens.lookup(child.token), undefined);
});

test('expiry is checked on every lookup of a cached entry', async () => {
  const { tokens, clock } = await setup();
  const { token } = await tokens.create({ ...base, ttl: 60 });
  assert.ok(await tokens.lookup(token));
  clock.advance(59_999);
  assert.ok(await tokens.lookup(token));
  clock.advance(1);
  assert.equal(await tokens.lookup(token), undefined);
});

test('use counting rewrites the entry: the next lookup sees the new count, a spent token is refused', async () => {
  const { tokens } = await setup();
  const { token } = await tokens.create({ ...base, ttl: 600, numUses: 2 });
  const a = (await tokens.lookup(token))!;
  assert.deepEqual(await tokens.use(a), { entry: { ...a.entry, numUses: 1 }, exhausted: false });
  const b = (await tokens.lookup(token))!;
  assert.equal(b.entry.numUses, 1);
  assert.equal((await tokens.use(b))?.exhausted, true);
  const c = (await tokens.lookup(token))!;
  assert.equal(c.entry.numUses, -1);
  assert.equal(await tokens.use(c), undefined);
});

test('an entry changed by another node is re-read once its key is invalidated (replication, HA)', async () => {
  const { physical, barrier, tokens } = await setup();
  const { token, idHash } = await tokens.create({ ...base, ttl: 600 });
  const key = TOKEN_PREFIX + ID_PREFIX + idHash;
  assert.deepEqual((await tokens.lookup(token))?.entry.policies, ['default']);

  // Another node (same storage and keys) changes the entry below this node's barrier.
  const other = await unsealed(physical);
  const current = JSON.parse((await other.get(key))!.toString()) as TokenEntry;
  await other.put(key, Buffer.from(JSON.stringify({ ...current, policies: ['default', 'extra'] })));
  barrier.invalidate([key]);
  assert.deepEqual((await tokens.lookup(token))?.entry.policies, ['default', 'extra']);

  // ... and deletes it: after the invalidation the token is gone here too.
  await other.delete(key);
  barrier.invalidate([key]);
  assert.equal(await tokens.lookup(token), undefined);
});

test('clearing the cache (HA role change) and sealing drop decoded entries', async () => {
  const { physical, barrier, tokens } = await setup();
  const { token, idHash } = await tokens.create({ ...base, ttl: 600 });
  const key = TOKEN_PREFIX + ID_PREFIX + idHash;
  assert.ok(await tokens.lookup(token));
  const other = await unsealed(physical);
  await other.delete(key);
  barrier.clearCache();
  assert.equal(await tokens.lookup(token), undefined);
});
