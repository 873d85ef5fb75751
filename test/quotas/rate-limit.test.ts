import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_QUOTA_SETTINGS, MAX_BUCKETS_PER_RULE, RateLimitedError, RateLimiter, type RateLimitRule } from '../../src/quotas/rate-limit.js';

const rule = (name: string, path: string, rate: number, interval = 1, blockInterval = 0): RateLimitRule => ({ name, path, rate, interval, blockInterval });

function admitted(l: RateLimiter, path: string, client: string, now: number): boolean {
  try {
    l.admit(path, client, now);
    return true;
  } catch (err) {
    assert.ok(err instanceof RateLimitedError);
    assert.equal(err.status, 429);
    assert.equal(err.message, `request path ${JSON.stringify(path)}: rate limit quota exceeded`);
    return false;
  }
}

test('rate requests per interval per client address, refilled at the rate', () => {
  const l = new RateLimiter();
  l.configure([rule('kv', 'secret/', 3, 10)], DEFAULT_QUOTA_SETTINGS);
  const at = (t: number, client = 'a'): boolean => admitted(l, 'secret/data/x', client, t);
  assert.deepEqual([at(0), at(1), at(2), at(3), at(1_000)], [true, true, true, false, false], 'a burst of 3, then empty');
  assert.equal(at(5, 'b'), true, 'another client has its own bucket');
  assert.equal(at(3_400), true, 'one token is back after 10 s / 3');
  assert.equal(at(3_401), false);
  assert.deepEqual([at(60_000), at(60_001), at(60_002), at(60_003)], [true, true, true, false], 'a quiet client refills to the whole rate, no more');
});

test('a fractional rate admits one request per 1 / rate intervals', () => {
  const l = new RateLimiter();
  l.configure([rule('slow', 'secret/', 0.5, 1)], DEFAULT_QUOTA_SETTINGS);
  const at = (t: number): boolean => admitted(l, 'secret/x', 'c', t);
  assert.deepEqual([at(0), at(1_000), at(2_000), at(2_500), at(4_000)], [true, false, true, false, true]);
});

test('the most specific rule applies; other paths and exempt paths are not limited', () => {
  const l = new RateLimiter();
  l.configure([rule('global', '', 100), rule('kv', 'secret/', 1), rule('app', 'secret/data/app', 2)], DEFAULT_QUOTA_SETTINGS);
  assert.equal(l.ruleFor('secret/data/app/one')?.name, 'app');
  assert.equal(l.ruleFor('secret/data/other')?.name, 'kv');
  assert.equal(l.ruleFor('secret')?.name, 'kv', 'the mount path without its slash');
  assert.equal(l.ruleFor('transit/encrypt/k')?.name, 'global');
  assert.equal(l.ruleFor('sys/health'), undefined, "Vault's default exempt paths");
  assert.equal(l.ruleFor('sys/unseal'), undefined);
  assert.equal(l.ruleFor('sys/mounts')?.name, 'global');
  l.configure([rule('kv', 'secret/', 1)], { ...DEFAULT_QUOTA_SETTINGS, rateLimitExemptPaths: ['secret/data/health'] });
  assert.equal(l.ruleFor('secret/data/health'), undefined);
  assert.equal(l.ruleFor('secret/data/healthy')?.name, 'kv', 'exempt paths match whole segments');
  assert.equal(l.ruleFor('transit/x'), undefined);
});

test('block_interval keeps a client refused past the end of its interval; headers say until when', () => {
  const l = new RateLimiter();
  l.configure([rule('strict', 'secret/', 1, 1, 60)], { ...DEFAULT_QUOTA_SETTINGS, enableRateLimitResponseHeaders: true });
  assert.equal(admitted(l, 'secret/a', 'c', 0), true);
  let refused: RateLimitedError | undefined;
  try {
    l.admit('secret/a', 'c', 500);
  } catch (err) {
    refused = err as RateLimitedError;
  }
  assert.deepEqual(refused?.headers, { 'Retry-After': '60', 'X-Ratelimit-Limit': '1', 'X-Ratelimit-Remaining': '0', 'X-Ratelimit-Reset': '61' });
  // The block outlasts the bucket: half a token came back in the 0.5 s, the rest long before the block ends.
  assert.equal(admitted(l, 'secret/a', 'c', 30_000), false, 'still blocked after the 1 s interval');
  assert.equal(admitted(l, 'secret/a', 'c', 60_500), true, 'free once the block ends');
});

test('without response headers enabled a 429 carries none; reconfiguring drops the old buckets', () => {
  const l = new RateLimiter();
  l.configure([rule('one', 'secret/', 1, 60)], DEFAULT_QUOTA_SETTINGS);
  l.admit('secret/a', 'c', 0);
  assert.throws(() => l.admit('secret/a', 'c', 1), (err: unknown) => err instanceof RateLimitedError && err.headers === undefined);
  l.configure([rule('one', 'secret/', 2, 60)], DEFAULT_QUOTA_SETTINGS);
  assert.equal(admitted(l, 'secret/a', 'c', 2), true, 'a changed rule starts with fresh buckets');
  l.configure([], DEFAULT_QUOTA_SETTINGS);
  assert.equal(l.active, false);
});

test('buckets per rule are bounded', () => {
  const l = new RateLimiter();
  l.configure([rule('one', '', 1, 3600)], DEFAULT_QUOTA_SETTINGS);
  for (let i = 0; i <= MAX_BUCKETS_PER_RULE; i++) l.admit('x', `10.0.${i >> 8}.${i & 255}:${i}`, 0);
  // The very first client's bucket was dropped, so it is admitted again; a recent one is not.
  assert.equal(admitted(l, 'x', '10.0.0.0:0', 1), true);
  assert.equal(admitted(l, 'x', `10.0.${MAX_BUCKETS_PER_RULE >> 8}.${MAX_BUCKETS_PER_RULE & 255}:${MAX_BUCKETS_PER_RULE}`, 1), false);
});

test('a rule with a role applies only to logins with that role, and is more specific than its path\'s rule', () => {
  const limiter = new RateLimiter();
  const withRole = (name: string, path: string, role?: string): RateLimitRule => ({ name, path, rate: 1, interval: 60, blockInterval: 0, ...(role !== undefined ? { role } : {}) });
  limiter.configure([withRole('mount', 'auth/approle/'), withRole('ci', 'auth/approle/', 'ci'), withRole('all', '')], DEFAULT_QUOTA_SETTINGS);
  assert.equal(limiter.ruleFor('auth/approle/login', 'ci')?.name, 'ci');
  assert.equal(limiter.ruleFor('auth/approle/login', 'web')?.name, 'mount');
  assert.equal(limiter.ruleFor('auth/approle/login')?.name, 'mount');
  assert.equal(limiter.ruleFor('secret/data/x', 'ci')?.name, 'all', 'a role names nothing outside its mount');
  assert.equal(limiter.rolesCover('auth/approle/login'), true);
  assert.equal(limiter.rolesCover('secret/data/x'), false);
  // Each rule counts its own: the role's bucket runs out without touching the mount's.
  limiter.admit('auth/approle/login', '10.0.0.1', 0, 'ci');
  assert.throws(() => limiter.admit('auth/approle/login', '10.0.0.1', 1, 'ci'), /rate limit quota exceeded/);
  limiter.admit('auth/approle/login', '10.0.0.1', 1, 'web');
});
