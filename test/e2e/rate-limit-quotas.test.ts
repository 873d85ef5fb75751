/**
 * Rate limit quotas over HTTP against a dev server process: a quota on a mount answers 429 with
 * Vault's error (and, when enabled, Retry-After and X-Ratelimit-* headers) once a client is over
 * its rate, leaves other mounts alone, and stops when deleted; sys/quotas/config and the CRUD
 * paths validate as Vault does. Window and rule selection: test/quotas/rate-limit.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devServerForFile } from '../helpers/server-process.js';

const call = devServerForFile('quotas-root');

test('a quota on secret/ refuses the client over its rate with 429; other paths are served; delete lifts it', async () => {
  assert.equal((await call('PUT', 'secret/data/q', { data: { v: 1 } })).status, 200);
  assert.equal((await call('POST', 'sys/quotas/rate-limit/kv', { path: 'secret/', rate: 3, interval: '1h' })).status, 204);
  const read = await call('GET', 'sys/quotas/rate-limit/kv');
  assert.deepEqual(read.body.data, { name: 'kv', path: 'secret/', type: 'rate-limit', rate: 3, interval: 3600, block_interval: 0, role: '', inheritable: false });
  assert.deepEqual((await call('LIST', 'sys/quotas/rate-limit')).body.data.keys, ['kv']);

  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await call('GET', 'secret/data/q')).status);
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  const refused = await call('GET', 'secret/data/q');
  assert.deepEqual(refused.body, { errors: ['request path "secret/data/q": rate limit quota exceeded'] });
  assert.equal(refused.headers.get('retry-after'), null, 'no rate limit headers unless enabled');
  assert.equal((await call('GET', 'sys/mounts')).status, 200, 'other paths are not limited');

  assert.equal((await call('POST', 'sys/quotas/config', { enable_rate_limit_response_headers: true })).status, 204);
  const withHeaders = await call('GET', 'secret/data/q');
  assert.equal(withHeaders.status, 429);
  assert.equal(withHeaders.headers.get('x-ratelimit-limit'), '3');
  assert.equal(withHeaders.headers.get('x-ratelimit-remaining'), '0');
  assert.ok(Number(withHeaders.headers.get('retry-after')) > 1000, 'one request per 20 minutes comes back');

  assert.equal((await call('DELETE', 'sys/quotas/rate-limit/kv')).status, 204);
  assert.equal((await call('GET', 'secret/data/q')).status, 200, 'deleting the quota lifts the limit');
  assert.equal((await call('GET', 'sys/quotas/rate-limit/kv')).status, 404);
});

test('sys/quotas/config keeps unset fields and lists exempt paths; exempt paths are never limited', async () => {
  const before = (await call('GET', 'sys/quotas/config')).body.data;
  assert.ok((before.rate_limit_exempt_paths as string[]).includes('sys/health'));
  await call('POST', 'sys/quotas/config', { rate_limit_exempt_paths: ['sys/health', 'cubbyhole/'] });
  const after = (await call('GET', 'sys/quotas/config')).body.data;
  assert.deepEqual(after.rate_limit_exempt_paths, ['sys/health', 'cubbyhole/']);
  assert.equal(after.enable_rate_limit_response_headers, before.enable_rate_limit_response_headers);
  await call('POST', 'sys/quotas/rate-limit/everything', { rate: 1, interval: '1h' });
  assert.equal((await call('GET', 'sys/health')).status, 200);
  assert.equal((await call('GET', 'sys/health')).status, 200, 'an exempt path is served past the rate');
  await call('DELETE', 'sys/quotas/rate-limit/everything');
});

test('quota writes are validated', async () => {
  const refused = async (body: Record<string, unknown>, re: RegExp): Promise<void> => {
    const r = await call('POST', 'sys/quotas/rate-limit/bad', body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.errors[0], re);
  };
  await refused({ path: 'secret/' }, /'rate' is invalid or not set/);
  await refused({ path: 'secret/', rate: -1 }, /'rate' is invalid or not set/);
  await refused({ path: 'nowhere/', rate: 1 }, /invalid mount path "nowhere\/"/);
  await refused({ path: 'secret/', rate: 1, role: 'ci' }, /"role" can only be set on a quota whose path is an auth mount with roles/);
  await refused({ rate: 1, role: 'ci' }, /"role" can only be set on a quota whose path is an auth mount with roles/);
  await refused({ path: 'auth/token/', rate: 1, role: 'ci' }, /"role" can only be set on a quota whose path is an auth mount with roles/);
  await call('POST', 'sys/quotas/rate-limit/first', { path: 'sys/', rate: 1000 });
  await refused({ path: 'sys/', rate: 5 }, /quota rule with similar properties exists under the name "first"/);
  await call('DELETE', 'sys/quotas/rate-limit/first');
  assert.equal((await call('GET', 'sys/quotas/rate-limit/bad')).status, 404);
});

test('refused requests reach the audit log only with enable_rate_limit_audit_logging', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arca-quota-audit-'));
  try {
    const file = join(dir, 'audit.log');
    assert.equal((await call('PUT', 'sys/audit/quota-file', { type: 'file', options: { file_path: file } })).status, 204);
    await call('POST', 'sys/quotas/config', { enable_rate_limit_audit_logging: false });
    await call('POST', 'sys/quotas/rate-limit/audited', { path: 'cubbyhole/', rate: 1, interval: '1h' });
    const refusedCount = (): number => readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('rate limit quota exceeded')).length;

    await call('GET', 'cubbyhole/x');
    assert.equal((await call('GET', 'cubbyhole/x')).status, 429);
    assert.equal(refusedCount(), 0, 'not audited by default');

    await call('POST', 'sys/quotas/config', { enable_rate_limit_audit_logging: true });
    assert.equal((await call('GET', 'sys/quotas/config')).body.data.enable_rate_limit_audit_logging, true);
    assert.equal((await call('GET', 'cubbyhole/x')).status, 429);
    assert.equal(refusedCount(), 1, 'audited once enabled');

    await call('DELETE', 'sys/quotas/rate-limit/audited');
    await call('DELETE', 'sys/audit/quota-file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a quota with a role limits the logins of that approle role only; a role-less quota on the mount covers the others', async () => {
  assert.equal((await call('POST', 'sys/auth/approle', { type: 'approle' })).status, 204);
  const roleIdOf = async (role: string): Promise<string> => {
    await call('POST', `auth/approle/role/${role}`, { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.0/8', token_ttl: '1m' });
    return (await call('GET', `auth/approle/role/${role}/role-id`)).body.data.role_id as string;
  };
  const ci = await roleIdOf('ci');
  const web = await roleIdOf('web');
  const login = async (roleId: string): Promise<number> => (await call('POST', 'auth/approle/login', { role_id: roleId }, '')).status;

  assert.equal((await call('POST', 'sys/quotas/rate-limit/ci-logins', { path: 'auth/approle/', role: 'ci', rate: 2, interval: '1h' })).status, 204);
  const read = (await call('GET', 'sys/quotas/rate-limit/ci-logins')).body.data;
  assert.equal(read.role, 'ci');
  assert.equal(read.path, 'auth/approle/');
  assert.deepEqual([await login(ci), await login(ci), await login(ci)], [200, 200, 429], 'the role over its rate is refused');
  assert.deepEqual([await login(web), await login(web), await login(web)], [200, 200, 200], 'another role is not limited');
  assert.equal(await login('no-such-role-id'), 400, 'a login naming no role is not counted against the role');

  // A quota on the same mount without a role covers the logins the role's quota does not.
  assert.equal((await call('POST', 'sys/quotas/rate-limit/approle-all', { path: 'auth/approle/', rate: 1, interval: '1h' })).status, 204);
  assert.deepEqual([await login(web), await login(web)], [200, 429]);
  assert.equal(await login(ci), 429, 'the role keeps its own, more specific, rule');
  assert.equal((await call('POST', 'sys/quotas/rate-limit/other', { path: 'auth/approle/', role: 'ci', rate: 5 })).status, 400, 'one rule per path and role');

  await call('DELETE', 'sys/quotas/rate-limit/ci-logins');
  await call('DELETE', 'sys/quotas/rate-limit/approle-all');
  assert.equal(await login(ci), 200);
});
