/**
 * The database engine against a real PostgreSQL (test/helpers/postgres.ts) through the real
 * pipeline of an in-process node: dynamic credentials log in and stop working when their lease
 * is revoked or expires; renewal moves VALID UNTIL; failed creation leaves nothing behind and
 * shows no password; static roles rotate on demand and on schedule; rotate-root keeps the
 * engine working; a password_policy shapes every generated password; pools close when their
 * config changes and when the node stops. Skips loudly
 * without PostgreSQL binaries, fails in CI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseFactory } from '../../../src/engines/database/backend.js';
import { isArcaError } from '../../../src/errors.js';
import { call, makeHarness } from '../../framework/harness.js';
import { startPostgresOrSkip, type PostgresCluster } from '../../helpers/postgres.js';
import { canLogin, dbNode, ENGINE_USER, eventually, type DbNode } from './pg-node.js';

let cluster: PostgresCluster | undefined;
let skip: string | false = false;
before(async () => {
  const started = await startPostgresOrSkip();
  if (typeof started === 'string') skip = started;
  else cluster = started;
});
after(async () => {
  await cluster?.stop();
});

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;

/** Run fn with a fresh node; afterwards no secret may appear in anything the node logged. */
async function withNode(fn: (n: DbNode, pgc: PostgresCluster, secrets: string[]) => Promise<void>, config?: Record<string, unknown>): Promise<void> {
  const pgc = cluster!;
  const n = await dbNode(pgc, config === undefined ? {} : { config });
  const secrets: string[] = [n.enginePassword];
  try {
    await fn(n, pgc, secrets);
  } finally {
    await n.close();
  }
  const logs = n.logs();
  for (const s of secrets) assert.ok(!logs.includes(s), 'a password reached the log');
}

async function roleExists(pgc: PostgresCluster, name: string): Promise<boolean> {
  return (await pgc.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount !== 0;
}

async function validUntil(pgc: PostgresCluster, name: string): Promise<number> {
  const r = await pgc.query<{ v: Date }>('SELECT rolvaliduntil AS v FROM pg_roles WHERE rolname = $1', [name]);
  return r.rows[0]!.v.getTime();
}

async function engineConnections(pgc: PostgresCluster): Promise<number> {
  const r = await pgc.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1', [ENGINE_USER]);
  return Number(r.rows[0]!.n);
}

interface Creds {
  username: string;
  password: string;
  leaseId: string;
  ttl: number;
}

async function creds(n: DbNode, role: string, secrets: string[]): Promise<Creds> {
  const resp = await n.call('read', `database/creds/${role}`);
  const username = String(resp?.data?.['username']);
  const password = String(resp?.data?.['password']);
  secrets.push(password);
  return { username, password, leaseId: resp?.secret?.leaseId ?? '', ttl: resp?.secret?.ttl ?? 0 };
}

test('dynamic credentials log in, expire with VALID UNTIL, and stop working when the lease is revoked', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    await pgc.query('CREATE TABLE IF NOT EXISTS app_data (v int)');
    await n.call('update', 'database/roles/readonly', { db_name: 'pg', creation_statements: CREATE, default_ttl: '10m', max_ttl: '1h' });
    const c = await creds(n, 'readonly', secrets);
    assert.match(c.username, /^v-root-readonly-[A-Za-z0-9]{20}-\d{10}$/);
    assert.match(c.password, /^[A-Za-z0-9-]{20}$/);
    assert.match(c.leaseId, /^database\/creds\/readonly\/[A-Za-z0-9]{24}$/);
    assert.equal(c.ttl, 600);
    assert.equal(await canLogin(pgc, c.username, c.password), true);
    assert.equal(await canLogin(pgc, c.username, 'wrong-password'), false);
    const until = await validUntil(pgc, c.username);
    assert.ok(Math.abs(until - (n.clock.now() + 600_000)) < 1500, 'VALID UNTIL is the lease end');

    const look = await n.call('update', 'sys/leases/lookup', { lease_id: c.leaseId });
    assert.equal(look?.data?.['renewable'], true);

    await n.call('update', 'sys/leases/revoke', { lease_id: c.leaseId });
    assert.equal(await canLogin(pgc, c.username, c.password), false);
    assert.equal(await roleExists(pgc, c.username), false, 'the default revocation drops the role');
  });
});

test('an expired lease is revoked on schedule; a revoked user that owned objects is dropped too', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    await n.call('update', 'database/roles/owner', {
      db_name: 'pg',
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, 'GRANT CREATE ON SCHEMA public TO "{{name}}"'],
      default_ttl: 60,
    });
    const c = await creds(n, 'owner', secrets);
    // The user creates a table: the default revocation must reassign it before dropping the role.
    const pgClient = (await import('pg')).default;
    const client = new pgClient.Client({ host: pgc.host, port: pgc.port, user: c.username, password: c.password, database: 'postgres' });
    await client.connect();
    await client.query(`CREATE TABLE owned_${Date.now()} (v int)`);
    await client.end();

    n.clock.advance(59_000);
    await n.node.core.expiration.drain();
    assert.equal(await canLogin(pgc, c.username, c.password), true, 'not yet expired');
    n.clock.advance(2_000);
    await n.node.core.expiration.drain();
    assert.equal(await canLogin(pgc, c.username, c.password), false);
    assert.equal(await roleExists(pgc, c.username), false);
    await assert.rejects(n.call('update', 'sys/leases/lookup', { lease_id: c.leaseId }), (err: unknown) => isArcaError(err) && err.status === 400);
  });
});

test('renewal runs the renew statements with the new expiration; custom revocation statements run on revoke', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    await n.call('update', 'database/roles/renewing', {
      db_name: 'pg',
      creation_statements: CREATE,
      revocation_statements: ['REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}"', 'DROP ROLE "{{name}}"'],
      default_ttl: 300,
      max_ttl: 3600,
    });
    const c = await creds(n, 'renewing', secrets);
    n.clock.advance(100_000);
    const renewed = await n.call('update', 'sys/leases/renew', { lease_id: c.leaseId, increment: '30m' });
    assert.equal(renewed?.secret?.ttl, 1800);
    assert.ok(Math.abs((await validUntil(pgc, c.username)) - (n.clock.now() + 1_800_000)) < 1500, 'VALID UNTIL moved to the new lease end');

    // Past the role's max_ttl the grant is capped, in the database as in the lease.
    const capped = await n.call('update', 'sys/leases/renew', { lease_id: c.leaseId, increment: '2h' });
    assert.equal(capped?.secret?.ttl, 3600 - 100);
    assert.ok(Math.abs((await validUntil(pgc, c.username)) - (n.clock.now() + 3_500_000)) < 1500);
    assert.equal(await canLogin(pgc, c.username, c.password), true);

    // The role is deleted before the lease ends: revocation still works from the lease's data.
    await n.call('delete', 'database/roles/renewing');
    await n.call('update', 'sys/leases/revoke', { lease_id: c.leaseId });
    assert.equal(await roleExists(pgc, c.username), false);
  });
});

test('a failing creation statement rolls everything back and the error shows no password', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc) => {
    await n.call('update', 'database/roles/broken', {
      db_name: 'pg',
      // The second statement fails with an error that quotes the password back.
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'; SELECT '{{password}}'::int`,
    });
    const before = (await pgc.query("SELECT count(*) AS n FROM pg_roles WHERE rolname LIKE 'v-root-broken-%'")).rows[0]!['n'];
    let message = '';
    await assert.rejects(n.call('read', 'database/creds/broken'), (err: unknown) => {
      assert.ok(isArcaError(err));
      assert.equal(err.status, 500);
      message = err.message;
      return true;
    });
    assert.match(message, /^unable to create user: invalid input syntax for type integer: "\*\*\*\*\*"$/);
    const afterCount = (await pgc.query("SELECT count(*) AS n FROM pg_roles WHERE rolname LIKE 'v-root-broken-%'")).rows[0]!['n'];
    assert.equal(afterCount, before, 'the transaction was rolled back');
  });
});

test('static roles: creation and rotate-role change the password; the schedule rotates it again', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    const user = `static_${process.pid}`;
    await pgc.query(`DROP ROLE IF EXISTS ${user}`);
    await pgc.query(`CREATE ROLE ${user} WITH LOGIN PASSWORD 'original-pw'`);
    await n.call('update', 'database/static-roles/app', { db_name: 'pg', username: user, rotation_period: '1m' });
    assert.equal(await canLogin(pgc, user, 'original-pw'), false, 'creation rotated the password');

    const read = async (): Promise<Record<string, unknown>> => {
      const data = (await n.call('read', 'database/static-creds/app'))?.data ?? {};
      secrets.push(String(data['password']));
      return data;
    };
    const first = await read();
    assert.equal(first['username'], user);
    assert.equal(first['rotation_period'], 60);
    assert.equal(first['ttl'], 60);
    assert.equal(await canLogin(pgc, user, String(first['password'])), true);
    const role = await n.call('read', 'database/static-roles/app');
    assert.equal(role?.data?.['username'], user);
    assert.equal(role?.data?.['password'], undefined, 'the role never shows the password');

    await n.call('update', 'database/rotate-role/app');
    const second = await read();
    assert.notEqual(second['password'], first['password']);
    assert.equal(await canLogin(pgc, user, String(first['password'])), false, 'old password fails');
    assert.equal(await canLogin(pgc, user, String(second['password'])), true, 'new password works');

    n.clock.advance(30_000);
    assert.equal((await read())['ttl'], 30);
    n.clock.advance(30_000);
    await eventually(async () => (await read())['password'] !== second['password'], 'the scheduled rotation');
    const third = await read();
    assert.equal(await canLogin(pgc, user, String(third['password'])), true);
    assert.equal(await canLogin(pgc, user, String(second['password'])), false);

    // Deleting the role stops its rotation and leaves the database user alone.
    await n.call('delete', 'database/static-roles/app');
    n.clock.advance(120_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await canLogin(pgc, user, String(third['password'])), true);
    await pgc.query(`DROP ROLE ${user}`);
  });
});

test('a scheduled rotation that fails is logged (without the password) and retried', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    const user = `static_gone_${process.pid}`;
    await pgc.query(`DROP ROLE IF EXISTS ${user}`);
    await pgc.query(`CREATE ROLE ${user} WITH LOGIN PASSWORD 'original-pw'`);
    await n.call('update', 'database/static-roles/gone', { db_name: 'pg', username: user, rotation_period: '1m' });
    secrets.push(String((await n.call('read', 'database/static-creds/gone'))?.data?.['password']));
    // The database user disappears behind the engine's back: the next rotation cannot work.
    await pgc.query(`DROP ROLE ${user}`);
    n.clock.advance(60_000);
    const warned = (): number => n.logs().split('\n').filter((l) => l.includes('database: rotating static role failed; retrying in 10s') && /\brole="?gone"?/.test(l)).length;
    await eventually(async () => warned() >= 1, 'the failed rotation in the log');
    assert.match(n.logs(), /rotating static role failed.*mount="?database\/"?/, 'the log names the mount');
    n.clock.advance(10_000);
    await eventually(async () => warned() >= 2, 'the retry, failing again');
    await n.call('delete', 'database/static-roles/gone');
  });
});

test('rotate-root: the old root password stops working and the engine keeps working', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    await n.call('update', 'database/roles/app', { db_name: 'pg', creation_statements: CREATE });
    const before = await creds(n, 'app', secrets);
    assert.equal(await canLogin(pgc, ENGINE_USER, n.enginePassword), true);

    await n.call('update', 'database/rotate-root/pg');
    assert.equal(await canLogin(pgc, ENGINE_USER, n.enginePassword), false, 'the initial root password is gone');
    const after = await creds(n, 'app', secrets);
    assert.equal(await canLogin(pgc, after.username, after.password), true);
    await n.call('update', 'sys/leases/revoke', { lease_id: before.leaseId });
    assert.equal(await roleExists(pgc, before.username), false);

    await n.call('update', 'database/rotate-root/pg');
    assert.equal(await canLogin(pgc, (await creds(n, 'app', secrets)).username, secrets.at(-1)!), true);
    const config = await n.call('read', 'database/config/pg');
    assert.equal((config?.data?.['connection_details'] as Record<string, unknown>)['password'], undefined);
  });
});

test('password_policy: dynamic, static and root passwords come from the named policy (quotes and % included) and still log in', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    const policy = [
      'length = 24',
      'rule "charset" {', '  charset = "abcdefghjkmnpqrstuvwxyz"', '  min-chars = 2', '}',
      'rule "charset" {', '  charset = "23456789"', '  min-chars = 2', '}',
      'rule "charset" {', '  charset = "\'!%@"', '  min-chars = 2', '}',
    ].join('\n');
    const shaped = (pw: string): boolean => /^[a-hj-km-np-z2-9'!%@]{24}$/.test(pw) && (pw.match(/['!%@]/g) ?? []).length >= 2 && (pw.match(/[2-9]/g) ?? []).length >= 2;
    await n.call('update', 'database/roles/app', { db_name: 'pg', creation_statements: CREATE });

    await n.call('update', 'database/config/pg', { password_policy: 'pg-policy', verify_connection: false });
    assert.equal((await n.call('read', 'database/config/pg'))?.data?.['password_policy'], 'pg-policy');
    await assert.rejects(n.call('read', 'database/creds/app'), (err: unknown) => isArcaError(err) && err.status === 400 && /password policy "pg-policy" does not exist/.test(err.message));

    await n.call('update', 'sys/policies/password/pg-policy', { policy });
    for (let i = 0; i < 3; i++) {
      const c = await creds(n, 'app', secrets);
      assert.ok(shaped(c.password), `dynamic password ${JSON.stringify(c.password)} follows the policy`);
      assert.equal(await canLogin(pgc, c.username, c.password), true);
    }

    const user = `static_pp_${process.pid}`;
    await pgc.query(`DROP ROLE IF EXISTS ${user}`);
    await pgc.query(`CREATE ROLE ${user} WITH LOGIN PASSWORD 'original-pw'`);
    await n.call('update', 'database/static-roles/pp', { db_name: 'pg', username: user, rotation_period: '1h' });
    const stat = String((await n.call('read', 'database/static-creds/pp'))?.data?.['password']);
    secrets.push(stat);
    assert.ok(shaped(stat), 'static password follows the policy');
    assert.equal(await canLogin(pgc, user, stat), true);
    await n.call('delete', 'database/static-roles/pp');
    await pgc.query(`DROP ROLE ${user}`);

    // The root password too: it travels percent-encoded in the templated connection URL.
    await n.call('update', 'database/rotate-root/pg');
    assert.equal(await canLogin(pgc, ENGINE_USER, n.enginePassword), false);
    const after = await creds(n, 'app', secrets);
    assert.ok(shaped(after.password));
    assert.equal(await canLogin(pgc, after.username, after.password), true, 'the engine works with its policy-made root password');
  });
});

test('username_template names the dynamic users, and they log in', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    await n.call('update', 'database/roles/Reporting.Team', { db_name: 'pg', creation_statements: CREATE });
    await n.call('update', 'database/config/pg', {
      allowed_roles: '*',
      verify_connection: false,
      username_template: '{{ printf "app_%s_%s_%s" (.RoleName | replace "." "_" | lowercase) (random 8) (timestamp "20060102") | truncate 40 }}',
    });
    const day = new Date(n.clock.now()).toISOString().slice(0, 10).replaceAll('-', '');
    const seen = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const c = await creds(n, 'Reporting.Team', secrets);
      assert.match(c.username, new RegExp(`^app_reporting_team_[A-Za-z0-9]{8}_${day}$`));
      assert.equal(await roleExists(pgc, c.username), true);
      assert.equal(await canLogin(pgc, c.username, c.password), true);
      seen.add(c.username);
      await n.call('update', 'sys/leases/revoke', { lease_id: c.leaseId });
      assert.equal(await roleExists(pgc, c.username), false);
    }
    assert.equal(seen.size, 2, 'random makes each username new');
  });
});

test('scram-sha-256: PostgreSQL receives a verifier, never the plaintext password', async (t) => {
  if (skip) return t.skip(skip);
  // With md5 as the session's password_encryption a plaintext password would be stored as md5:
  // a SCRAM secret proves the engine sent the verifier itself.
  await cluster!.query(`ALTER ROLE ${ENGINE_USER} SET password_encryption = 'md5'`);
  try {
    await withNode(
      async (n, pgc, secrets) => {
        await n.call('update', 'database/roles/scram', { db_name: 'pg', creation_statements: CREATE });
        const c = await creds(n, 'scram', secrets);
        const stored = await pgc.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [c.username]);
        assert.match(stored.rows[0]!.p, /^SCRAM-SHA-256\$4096:/);
        assert.equal(await canLogin(pgc, c.username, c.password), true);
      },
      { password_authentication: 'scram-sha-256' },
    );
  } finally {
    await cluster!.query(`ALTER ROLE ${ENGINE_USER} RESET password_encryption`);
  }
});

test('parallel credential requests granting on one schema all succeed (concurrent catalog updates are retried)', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    await n.call('update', 'database/roles/busy', {
      db_name: 'pg',
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, 'GRANT USAGE ON SCHEMA public TO "{{name}}"', 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"'],
    });
    const all = await Promise.all(Array.from({ length: 16 }, () => creds(n, 'busy', secrets)));
    assert.equal(new Set(all.map((c) => c.username)).size, 16);
    for (const c of all) assert.equal(await roleExists(pgc, c.username), true);
  }, { max_open_connections: 8 });
});

test('pools close when their config is rewritten and when the mount is sealed away', async (t) => {
  if (skip) return t.skip(skip);
  const pgc = cluster!;
  await eventually(async () => (await engineConnections(pgc)) === 0, 'earlier nodes to close their pools');
  const n = await dbNode(pgc);
  try {
    await n.call('update', 'database/roles/app', { db_name: 'pg', creation_statements: CREATE });
    await Promise.all([1, 2, 3].map(() => n.call('read', 'database/creds/app')));
    assert.ok((await engineConnections(pgc)) >= 1);
    await n.call('update', 'database/config/pg', { max_open_connections: 2 });
    await eventually(async () => (await engineConnections(pgc)) === 1, 'only the verified new pool to remain');
    await n.call('update', 'sys/seal');
    await eventually(async () => (await engineConnections(pgc)) === 0, 'sealing to close the pool');
  } finally {
    await n.close();
  }
});

test('a pool survives the server killing its idle connections', async (t) => {
  if (skip) return t.skip(skip);
  await withNode(async (n, pgc, secrets) => {
    await n.call('update', 'database/roles/app', { db_name: 'pg', creation_statements: CREATE });
    await creds(n, 'app', secrets);
    await pgc.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [ENGINE_USER]);
    await eventually(async () => (await engineConnections(pgc)) === 0, 'the connections to die');
    await new Promise((r) => setTimeout(r, 100));
    const c = await creds(n, 'app', secrets);
    assert.equal(await canLogin(pgc, c.username, c.password), true);
  });
});

test('interrupted rotations are settled: a pending root password that took effect is adopted, a pending static role is rotated at once', async (t) => {
  if (skip) return t.skip(skip);
  const pgc = cluster!;
  const h = makeHarness({ type: 'database' });
  h.clock.advance(Date.now() - h.clock.now());
  const b = databaseFactory(h.ctx);
  await b.initialize?.();
  const enginePassword = `init-${process.pid}-Pw`;
  await pgc.query(`ALTER ROLE ${ENGINE_USER} WITH PASSWORD '${enginePassword}'`);
  const url = `postgresql://{{username}}:{{password}}@${pgc.host}:${pgc.port}/postgres?sslmode=disable`;
  try {
    await call(b, 'create', 'config/pg', { plugin_name: 'postgresql-database-plugin', connection_url: url, username: ENGINE_USER, password: enginePassword, allowed_roles: '*' });
    // A crash after the database took the new root password but before the config stored it.
    const pending = 'pending-Root-pw-1';
    await pgc.query(`ALTER ROLE ${ENGINE_USER} WITH PASSWORD '${pending}'`);
    await h.ctx.storage.putJSON('root-rotation/pg', { password: pending });
    await call(b, 'update', 'reset/pg');
    await call(b, 'create', 'roles/app', { db_name: 'pg', creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'` });
    const c = await call(b, 'read', 'creds/app');
    assert.equal(await canLogin(pgc, String(c?.data?.['username']), String(c?.data?.['password'])), true, 'the engine reconnected with the pending password');
    assert.equal(await h.ctx.storage.get('root-rotation/pg'), undefined, 'pending entry settled');
    const stored = await h.ctx.storage.getJSON<{ connection: { password: string } }>('config/pg');
    assert.equal(stored?.connection.password, pending);
    await b.revokeSecret!({ leaseId: 'x', secretType: 'creds', internalData: c?.secret?.internalData ?? {}, issueTime: 0, ttl: 0 });

    // A static role whose rotation was interrupted is rotated as soon as the mount starts.
    const user = `static_pending_${process.pid}`;
    await pgc.query(`DROP ROLE IF EXISTS ${user}`);
    await pgc.query(`CREATE ROLE ${user} WITH LOGIN PASSWORD 'unknown-pw'`);
    const entry = { dbName: 'pg', username: user, rotationPeriod: 3600, rotationStatements: [], password: 'stale', lastVaultRotation: h.clock.now(), pendingSince: h.clock.now() };
    await h.ctx.storage.putJSON('static-role/pending', entry);
    await b.cleanup?.();
    const b2 = databaseFactory({ ...h.ctx });
    await b2.initialize?.();
    try {
      h.clock.advance(0);
      let password = '';
      await eventually(async () => {
        password = String((await call(b2, 'read', 'static-creds/pending'))?.data?.['password']);
        return password !== 'stale';
      }, 'the pending static role to rotate');
      assert.equal(await canLogin(pgc, user, password), true);
      assert.equal((await h.ctx.storage.getJSON<Record<string, unknown>>('static-role/pending'))?.['pendingSince'], undefined);
    } finally {
      await b2.cleanup?.();
      await pgc.query(`DROP ROLE IF EXISTS ${user}`);
    }
  } finally {
    await b.cleanup?.();
  }
});
