/**
 * The expiration manager against a real framework backend with a lease-issuing secret type:
 * registration bounds, expiry on schedule (one timer, fake clock), renewal ceilings, token
 * revocation, failure retry with backoff, forced revocation, and restore after a restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { ExpirationManager, type LeaseTarget } from '../../src/expiration/expiration-manager.js';
import { createBackend } from '../../src/framework/index.js';
import type { MountSettings } from '../../src/logical/backend.js';
import { StorageView } from '../../src/logical/storage.js';
import { silentLogger } from '../../src/util/logger.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

interface Fixture {
  manager: ExpirationManager;
  clock: FakeClock;
  storage: MemoryStorage;
  revoked: string[];
  failRevoke: { on: boolean };
  tokens: Map<string, number>;
  revokedTokens: string[];
}

function settings(defaultTTL = 3600, maxTTL = 7200): MountSettings {
  return {
    path: 'creds/',
    type: 'test',
    accessor: 'test_1',
    uuid: 'u1',
    local: false,
    options: {},
    defaultLeaseTTL: () => defaultTTL,
    maxLeaseTTL: () => maxTTL,
  };
}

function fixture(storage = new MemoryStorage(), clock = new FakeClock(), mount = settings()): Fixture {
  const revoked: string[] = [];
  const failRevoke = { on: false };
  const backend = createBackend(
    {
      paths: [],
      help: 'test',
      secrets: {
        cred: {
          revoke: async (lease) => {
            if (failRevoke.on) throw new Error('database unreachable');
            revoked.push(String(lease.internalData['user']));
          },
          renew: async () => ({ ttl: 600 }),
        },
      },
    },
    { storage: new StorageView(storage, 'logical/x/'), mount, clock },
  );
  const target: LeaseTarget = { backend, settings: mount };
  const tokens = new Map<string, number>();
  const revokedTokens: string[] = [];
  const manager = new ExpirationManager({
    storage: new StorageView(storage, 'sys/expire/'),
    clock,
    logger: silentLogger,
    resolve: (path) => (path.startsWith('creds/') ? target : undefined),
    tokenExpiry: async (h) => tokens.get(h),
    revokeToken: async (h) => {
      tokens.delete(h);
      revokedTokens.push(h);
    },
    async *tokenExpiries() {
      for (const [h, at] of tokens) yield [h, at] as const;
    },
  });
  manager.start();
  return { manager, clock, storage, revoked, failRevoke, tokens, revokedTokens };
}

const secret = (user: string, ttl = 0, maxTTL?: number) => ({
  type: 'cred',
  ttl,
  renewable: true,
  internalData: { user },
  ...(maxTTL !== undefined ? { maxTTL } : {}),
});

test('register: lease id under the request path, TTL defaulted and bounded by the mount', async () => {
  const f = fixture();
  const a = await f.manager.register('creds/db', secret('a'), settings(), '');
  assert.match(a.leaseId!, /^creds\/db\/[0-9A-Za-z]{24}$/);
  assert.equal(a.ttl, 3600);
  const b = await f.manager.register('creds/db', secret('b', 99_999), settings(), '');
  assert.equal(b.ttl, 7200);
  const c = await f.manager.register('creds/db', secret('c', 500, 100), settings(), '');
  assert.equal(c.ttl, 100);
  assert.deepEqual(await f.manager.list('creds/db/'), [a, b, c].map((s) => s.leaseId!.split('/')[2]).sort());
  await f.manager.stop();
});

test('10,000 leases expire on schedule with one timer, each revoked through its backend', async () => {
  const f = fixture();
  for (let i = 0; i < 10_000; i++) await f.manager.register('creds/db', secret(`u${i}`, 60 + (i % 100)), settings(), '');
  assert.equal(f.manager.pending, 10_000);
  f.clock.advance(59_000);
  await f.manager.drain();
  assert.equal(f.revoked.length, 0);
  f.clock.advance(50_000); // t = 109 s: leases with ttl <= 109 are due
  await f.manager.drain();
  assert.equal(f.revoked.length, 5_000);
  f.clock.advance(60_000);
  await f.manager.drain();
  assert.equal(f.revoked.length, 10_000);
  assert.deepEqual(await f.manager.list('creds/db/'), []);
  await f.manager.stop();
});

test('renew: increment bounded by the max TTL counted from issue; not past it', async () => {
  const f = fixture(new MemoryStorage(), new FakeClock(), settings(100, 1000));
  const s = await f.manager.register('creds/db', secret('a'), settings(100, 1000), '');
  f.clock.advance(50_000);
  const r1 = await f.manager.renew(s.leaseId!, 300);
  assert.equal(r1.entry.ttl, 300);
  f.clock.advance(250_000); // 300 s since issue
  assert.equal((await f.manager.renew(s.leaseId!, 500)).entry.ttl, 500);
  f.clock.advance(450_000); // 750 s since issue: 250 s left under the max
  const r2 = await f.manager.renew(s.leaseId!, 500);
  assert.equal(r2.entry.ttl, 250);
  assert.equal(r2.warnings.length, 1);
  f.clock.advance(250_000);
  await assert.rejects(f.manager.renew(s.leaseId!, 10), /lease not found or lease is not renewable/);
  await f.manager.stop();
});

test('revoking a token revokes its leases; token expiry runs through the same queue', async () => {
  const f = fixture();
  await f.manager.register('creds/db', secret('mine'), settings(), 'tok1');
  await f.manager.register('creds/db', secret('other'), settings(), 'tok2');
  await f.manager.revokeByToken('tok1');
  assert.deepEqual(f.revoked, ['mine']);
  f.tokens.set('tok3', f.clock.now() + 5_000);
  f.manager.scheduleToken('tok3', f.clock.now() + 5_000);
  f.clock.advance(4_000);
  f.tokens.set('tok3', f.clock.now() + 5_000); // renewed meanwhile
  f.clock.advance(1_000);
  await f.manager.drain();
  assert.deepEqual(f.revokedTokens, [], 'a renewed token is rescheduled, not revoked');
  f.clock.advance(5_000);
  await f.manager.drain();
  assert.deepEqual(f.revokedTokens, ['tok3']);
  await f.manager.stop();
});

test('a failing revocation is kept, visible, retried with backoff until it succeeds', async () => {
  const f = fixture();
  const s = await f.manager.register('creds/db', secret('x', 10), settings(), '');
  f.failRevoke.on = true;
  f.clock.advance(10_000);
  await f.manager.drain();
  let entry = await f.manager.lookup(s.leaseId!);
  assert.equal(entry?.revokeAttempts, 1);
  assert.equal(entry?.lastRevokeError, 'database unreachable');
  f.clock.advance(1_000);
  await f.manager.drain();
  entry = await f.manager.lookup(s.leaseId!);
  assert.equal(entry?.revokeAttempts, 2);
  f.failRevoke.on = false;
  f.clock.advance(2_000);
  await f.manager.drain();
  assert.equal(await f.manager.lookup(s.leaseId!), undefined);
  assert.deepEqual(f.revoked, ['x']);
  await f.manager.stop();
});

test('user revoke reports a backend failure; revoke-force forgets the lease anyway', async () => {
  const f = fixture();
  const s = await f.manager.register('creds/db', secret('y'), settings(), '');
  f.failRevoke.on = true;
  await assert.rejects(f.manager.revoke(s.leaseId!), /failed to revoke lease: database unreachable/);
  assert.ok(await f.manager.lookup(s.leaseId!));
  await f.manager.revokePrefix('creds/', { force: true });
  assert.equal(await f.manager.lookup(s.leaseId!), undefined);
  await f.manager.revoke('creds/db/unknown'); // no-op
  await f.manager.stop();
});

test('restore after restart: due leases revoke at once, future ones on time', async () => {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const first = fixture(storage, clock);
  await first.manager.register('creds/db', secret('soon', 10), settings(), '');
  await first.manager.register('creds/db', secret('later', 1000), settings(), '');
  await first.manager.stop();
  clock.advance(60_000); // down for a minute
  const second = fixture(storage, clock);
  await second.manager.drain();
  clock.advance(0);
  await second.manager.drain();
  assert.deepEqual(second.revoked, ['soon']);
  clock.advance(1000_000);
  await second.manager.drain();
  assert.deepEqual(second.revoked, ['soon', 'later']);
  await second.manager.stop();
});
