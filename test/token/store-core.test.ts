/**
 * The token store's storage-level contract: entries keyed by HMAC, parent chains, tree and
 * orphan revocation, use counting, batch tokens, and expiry by the injected clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { TokenStore } from '../../src/token/token-store.js';
import { computeCreateTTL } from '../../src/token/ttl.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

async function store(): Promise<{ tokens: TokenStore; storage: MemoryStorage; clock: FakeClock }> {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const tokens = new TokenStore(storage, clock);
  await tokens.setup();
  return { tokens, storage, clock };
}

const base = { policies: ['default'], path: 'auth/token/create', displayName: 'token', renewable: true, type: 'service' as const };

test('service tokens: s. + 24 base62, stored under an HMAC key, raw token nowhere in storage', async () => {
  const { tokens, storage } = await store();
  const { token, entry } = await tokens.create({ ...base, ttl: 60 });
  assert.match(token, /^s\.[0-9A-Za-z]{24}$/);
  assert.match(entry.accessor, /^[0-9A-Za-z]{24}$/);
  for (const [key, value] of storage.entries) {
    assert.ok(!key.includes(token.slice(2)), `key ${key} holds the token`);
    assert.ok(!value.toString('latin1').includes(token.slice(2)), `value of ${key} holds the token`);
  }
  assert.equal((await tokens.lookup(token))?.entry.accessor, entry.accessor);
  assert.equal((await tokens.lookupAccessor(entry.accessor))?.entry.accessor, entry.accessor);
  assert.equal(await tokens.lookup('s.' + 'x'.repeat(24)), undefined);
  assert.equal(await tokens.lookup(''), undefined);
  assert.equal(await tokens.lookup('x'.repeat(10_000)), undefined);
});

test('a token stops working exactly at its expiry; ttl 0 never expires', async () => {
  const { tokens, clock } = await store();
  const short = await tokens.create({ ...base, ttl: 10 });
  const forever = await tokens.create({ ...base, ttl: 0 });
  clock.advance(9_999);
  assert.ok(await tokens.lookup(short.token));
  clock.advance(1);
  assert.equal(await tokens.lookup(short.token), undefined);
  clock.advance(10 ** 12);
  assert.ok(await tokens.lookup(forever.token));
});

test('children die with their parent: revocation and expiry both', async () => {
  const { tokens, clock } = await store();
  const parent = await tokens.create({ ...base, ttl: 100 });
  const child = await tokens.create({ ...base, ttl: 1000, parent: parent.idHash });
  const grandchild = await tokens.create({ ...base, ttl: 1000, parent: child.idHash });
  assert.equal(child.entry.orphan, false);
  assert.deepEqual(await tokens.children(parent.idHash), [child.idHash]);
  clock.advance(100_000);
  assert.equal(await tokens.lookup(grandchild.token), undefined, 'parent expired: grandchild is dead');

  const p2 = await tokens.create({ ...base, ttl: 0 });
  const c2 = await tokens.create({ ...base, ttl: 0, parent: p2.idHash });
  const g2 = await tokens.create({ ...base, ttl: 0, parent: c2.idHash });
  const batch = await tokens.create({ ...base, ttl: 0, type: 'batch', parent: c2.idHash });
  assert.ok(await tokens.lookup(batch.token));
  await tokens.revokeTree(p2.idHash);
  for (const t of [p2, c2, g2, batch]) assert.equal(await tokens.lookup(t.token), undefined);
  assert.equal(await tokens.lookupAccessor(g2.entry.accessor), undefined);
  assert.deepEqual(await tokens.children(p2.idHash), []);
});

test('revokeOrphan keeps the children alive as orphans', async () => {
  const { tokens } = await store();
  const parent = await tokens.create({ ...base, ttl: 0 });
  const child = await tokens.create({ ...base, ttl: 0, parent: parent.idHash });
  await tokens.revokeOrphan(parent.idHash);
  assert.equal(await tokens.lookup(parent.token), undefined);
  const found = await tokens.lookup(child.token);
  assert.equal(found?.entry.orphan, true);
  assert.equal(found?.entry.parent, '');
});

test('revoke listeners see every token of the tree, children first', async () => {
  const { tokens } = await store();
  const seen: string[] = [];
  tokens.onRevoke(async (entry) => {
    seen.push(entry.displayName);
  });
  const a = await tokens.create({ ...base, displayName: 'a', ttl: 0 });
  const b = await tokens.create({ ...base, displayName: 'b', ttl: 0, parent: a.idHash });
  await tokens.create({ ...base, displayName: 'c', ttl: 0, parent: b.idHash });
  await tokens.revokeTree(a.idHash);
  assert.deepEqual(seen, ['c', 'b', 'a']);
});

test('limited-use tokens: exactly num_uses concurrent uses succeed, the last one is flagged', async () => {
  const { tokens } = await store();
  const t = await tokens.create({ ...base, ttl: 0, numUses: 3 });
  const found = (await tokens.lookup(t.token))!;
  const results = await Promise.all(Array.from({ length: 6 }, () => tokens.use(found)));
  const ok = results.filter((r) => r !== undefined);
  assert.equal(ok.length, 3);
  assert.equal(ok.filter((r) => r!.exhausted).length, 1);
  assert.deepEqual(ok.map((r) => r!.entry.numUses).sort(), [0, 1, 2]);
});

test('batch tokens: self-contained, no storage written, tamper-proof, unusable after seal', async () => {
  const { tokens, storage } = await store();
  const writes = storage.writes;
  const b = await tokens.create({ ...base, ttl: 30, type: 'batch', renewable: true });
  assert.equal(storage.writes, writes);
  assert.match(b.token, /^b\./);
  assert.equal(b.entry.renewable, false);
  assert.equal(b.entry.accessor, '');
  assert.deepEqual((await tokens.lookup(b.token))?.entry.policies, ['default']);
  const flipped = b.token.slice(0, -2) + (b.token.at(-2) === 'A' ? 'B' : 'A') + b.token.at(-1);
  assert.equal(await tokens.lookup(flipped), undefined);
  assert.equal(await tokens.lookup('b.'), undefined);
  tokens.teardown();
  assert.equal(await tokens.lookup(b.token), undefined);
});

test('keys survive restarts: a second store over the same storage finds the tokens', async () => {
  const { tokens, storage, clock } = await store();
  const t = await tokens.create({ ...base, ttl: 0 });
  const b = await tokens.create({ ...base, ttl: 0, type: 'batch' });
  const again = new TokenStore(storage, clock);
  await again.setup();
  assert.ok(await again.lookup(t.token));
  assert.ok(await again.lookup(b.token));
});

test('computeCreateTTL follows Vault: period, explicit max, mount and role ceilings, root', () => {
  const d = { requested: 0, period: 0, explicitMaxTTL: 0, roleMaxTTL: 0, mountDefaultTTL: 3600, mountMaxTTL: 7200, root: false };
  assert.equal(computeCreateTTL(d).ttl, 3600);
  assert.equal(computeCreateTTL({ ...d, requested: 60 }).ttl, 60);
  const capped = computeCreateTTL({ ...d, requested: 10_000 });
  assert.equal(capped.ttl, 7200);
  assert.equal(capped.warnings.length, 1);
  assert.equal(computeCreateTTL({ ...d, requested: 500, roleMaxTTL: 100 }).ttl, 100);
  assert.equal(computeCreateTTL({ ...d, explicitMaxTTL: 30 }).ttl, 30);
  assert.equal(computeCreateTTL({ ...d, period: 50_000 }).ttl, 50_000, 'period ignores the mount max');
  assert.equal(computeCreateTTL({ ...d, period: 500, explicitMaxTTL: 100 }).ttl, 100);
  assert.equal(computeCreateTTL({ ...d, root: true }).ttl, 0);
  assert.equal(computeCreateTTL({ ...d, root: true, requested: 60 }).ttl, 60);
});
