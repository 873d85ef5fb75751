/**
 * AppRole login, without sockets: the LoginAuth it returns, Vault's error texts, use counts
 * (also under concurrent logins), secret ID expiry on a FakeClock, and CIDR bindings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { createRole, generate, makeAppRole, mountKeys } from './approle-harness.js';

test('login returns a LoginAuth from the role\'s token settings', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'web', {
    token_policies: 'Web,db',
    token_ttl: '20m',
    token_max_ttl: '1h',
    token_num_uses: 3,
    token_type: 'service',
    token_bound_cidrs: '127.0.0.0/8',
  });
  const s = await generate(h, 'web', { metadata: '{"env":"prod","role_name":"spoofed"}' });
  const resp = await h.call('update', 'login', { role_id: roleId, secret_id: s['secret_id'] });
  assert.deepEqual(Object.keys(resp ?? {}), ['login']);
  const metadata = { env: 'prod', role_name: 'web' };
  assert.deepEqual(resp?.login, {
    displayName: 'web',
    policies: ['db', 'web'],
    metadata,
    ttl: 1200,
    maxTTL: 3600,
    explicitMaxTTL: 0,
    period: 0,
    numUses: 3,
    renewable: true,
    noDefaultPolicy: false,
    tokenType: 'service',
    boundCidrs: ['127.0.0.0/8'],
    alias: { name: roleId, metadata },
  });
});

test('login errors carry Vault\'s texts', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r');
  await h.fails('update', 'login', {}, 400, 'missing role_id');
  await h.fails('update', 'login', { role_id: 'nope', secret_id: 'x' }, 400, 'invalid role ID');
  await h.fails('update', 'login', { role_id: roleId }, 400, 'missing secret_id');
  await h.fails('update', 'login', { role_id: roleId, secret_id: 'wrong' }, 400, 'invalid secret id');
  // A secret ID of another role is not valid for this one.
  await createRole(h, 'other');
  const foreign = await generate(h, 'other');
  await h.fails('update', 'login', { role_id: roleId, secret_id: foreign['secret_id'] }, 400, 'invalid secret id');
  // A role ID differing only in case is another role ID.
  const mine = await generate(h, 'r');
  await h.fails('update', 'login', { role_id: roleId.toUpperCase(), secret_id: mine['secret_id'] }, 400, 'invalid role ID');
});

test('num_uses: each login spends one; the last use deletes the secret ID', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r', { secret_id_num_uses: 2 });
  const s = await generate(h, 'r');
  const creds = { role_id: roleId, secret_id: s['secret_id'] };
  assert.ok((await h.call('update', 'login', creds))?.login);
  const mid = await h.call('update', 'role/r/secret-id/lookup', { secret_id: s['secret_id'] });
  assert.equal(mid?.data?.['secret_id_num_uses'], 1);
  assert.ok((await h.call('update', 'login', creds))?.login);
  await h.fails('update', 'login', creds, 400, 'invalid secret id');
  assert.deepEqual(mountKeys(h).filter((k) => k.startsWith('secret_id/') || k.startsWith('accessor/')), []);
});

/**
 * Storage whose reads take the value, then yield to the event loop before returning it: every
 * concurrent reader sees the same value, so an unserialised read-modify-write loses updates.
 */
class SlowStorage extends MemoryStorage {
  override async get(key: string): Promise<Buffer | undefined> {
    const value = await super.get(key);
    await new Promise((resolve) => setImmediate(resolve));
    return value;
  }
}

test('concurrent logins never spend more uses than granted', async () => {
  const h = makeAppRole(new SlowStorage());
  const roleId = await createRole(h, 'r');
  const s = await generate(h, 'r', { num_uses: 3 });
  const attempts = Array.from({ length: 20 }, () => h.call('update', 'login', { role_id: roleId, secret_id: s['secret_id'] }));
  const results = await Promise.allSettled(attempts);
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  assert.equal(ok, 3);
  for (const r of results) {
    if (r.status === 'rejected') assert.equal((r.reason as Error).message, 'invalid secret id');
  }
});

test('an expired secret ID is invalid (FakeClock) and is deleted on sight', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r', { secret_id_ttl: '60s' });
  const s = await generate(h, 'r');
  const creds = { role_id: roleId, secret_id: s['secret_id'] };
  h.clock.advance(59_000);
  assert.ok((await h.call('update', 'login', creds))?.login);
  h.clock.advance(1_000);
  await h.fails('update', 'login', creds, 400, 'invalid secret id');
  assert.deepEqual(mountKeys(h).filter((k) => k.startsWith('secret_id/') || k.startsWith('accessor/')), []);
  // A secret ID with its own shorter TTL expires on its own schedule.
  const short = await generate(h, 'r', { ttl: 5 });
  h.clock.advance(5_000);
  await h.fails('update', 'login', { role_id: roleId, secret_id: short['secret_id'] }, 400, 'invalid secret id');
});

test('the role\'s secret_id_bound_cidrs decide where logins come from', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r', { secret_id_bound_cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
  const s = await generate(h, 'r', { num_uses: 5 });
  const creds = { role_id: roleId, secret_id: s['secret_id'] };
  await h.fails('update', 'login', creds, 400, 'source address "192.168.1.1" unauthorized through CIDR restrictions on the role', '192.168.1.1');
  await h.fails('update', 'login', creds, 400, 'source address "" unauthorized through CIDR restrictions on the role', '');
  assert.ok((await h.call('update', 'login', creds, '10.9.8.7'))?.login);
  assert.ok((await h.call('update', 'login', creds, '::ffff:10.1.1.1'))?.login);
  assert.ok((await h.call('update', 'login', creds, '2001:db8::42'))?.login);
  // Refused logins spent nothing: 5 - 3 successful = 2 left.
  const left = await h.call('update', 'role/r/secret-id/lookup', { secret_id: s['secret_id'] });
  assert.equal(left?.data?.['secret_id_num_uses'], 2);
});

test('a secret ID\'s cidr_list narrows the login and spends nothing when refused', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r');
  const s = await generate(h, 'r', { cidr_list: '10.1.0.0/16', num_uses: 1 });
  const creds = { role_id: roleId, secret_id: s['secret_id'] };
  await h.fails('update', 'login', creds, 400, 'source address "10.2.0.1" unauthorized through CIDR restrictions on the secret ID', '10.2.0.1');
  assert.ok((await h.call('update', 'login', creds, '10.1.2.3'))?.login);
  await h.fails('update', 'login', creds, 400, 'invalid secret id', '10.1.2.3');
});

test('token_bound_cidrs: checked at login; a secret ID\'s override the role\'s on the token', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r', { token_bound_cidrs: '10.0.0.0/8' });
  const s = await generate(h, 'r', { token_bound_cidrs: '10.1.0.0/16', num_uses: 2 });
  const creds = { role_id: roleId, secret_id: s['secret_id'] };
  await h.fails('update', 'login', creds, 403, 'permission denied', '192.168.0.1');
  await h.fails('update', 'login', creds, 403, 'permission denied', '10.2.0.1');
  const ok = await h.call('update', 'login', creds, '10.1.0.9');
  assert.deepEqual(ok?.login?.boundCidrs, ['10.1.0.0/16']);
  const left = await h.call('update', 'role/r/secret-id/lookup', { secret_id: s['secret_id'] });
  assert.equal(left?.data?.['secret_id_num_uses'], 1);
});

test('bind_secret_id=false: the role ID alone logs in from the bound blocks', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'svc', { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.1/32', token_policies: 'p' });
  const resp = await h.call('update', 'login', { role_id: roleId });
  assert.deepEqual(resp?.login?.metadata, { role_name: 'svc' });
  assert.deepEqual(resp?.login?.policies, ['p']);
  await h.fails('update', 'login', { role_id: roleId }, 400, 'source address "127.0.0.2" unauthorized through CIDR restrictions on the role', '127.0.0.2');
});
