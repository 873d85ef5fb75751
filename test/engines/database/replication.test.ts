/**
 * The database engine on a performance secondary, against a real PostgreSQL: a primary +
 * secondary pair (test/replication/harness.ts) where the secondary issues credentials from its
 * own pools and follows the primary's connection changes (rotate-root, a rewritten config, a
 * delete) by dropping the pool the change made stale; and, on one mount with a read-only
 * storage, a secondary that settles nothing and rotates nothing until it is promoted.
 * Skips loudly without PostgreSQL binaries, fails in CI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseFactory } from '../../../src/engines/database/backend.js';
import { mountOf } from '../../../src/engines/database/mount-state.js';
import { PAUSED_RECHECK_MS } from '../../../src/engines/database/rotation-scheduler.js';
import { isArcaError, ReadOnlyError } from '../../../src/errors.js';
import { STALE_READ_WARNING } from '../../../src/replication/forwarding.js';
import type { Storage } from '../../../src/logical/storage.js';
import { StorageView } from '../../../src/logical/storage.js';
import type { BatchOp } from '../../../src/storage/physical.js';
import { call, makeHarness } from '../../framework/harness.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';
import { startPostgresOrSkip, type PostgresCluster } from '../../helpers/postgres.js';
import { ReplicationSet, type Cluster } from '../../replication/harness.js';
import { canLogin, eventually } from './pg-node.js';

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

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`;

async function createEngineUser(pgc: PostgresCluster, user: string, password: string): Promise<void> {
  await pgc.query(`DROP ROLE IF EXISTS ${user}`);
  await pgc.query(`CREATE ROLE ${user} WITH LOGIN SUPERUSER PASSWORD '${password}'`);
}

/** End every session of `user`: pools that kept one must reconnect, with whatever they hold. */
async function killSessions(pgc: PostgresCluster, user: string): Promise<void> {
  await pgc.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [user]);
  await eventually(async () => (await sessions(pgc, user)) === 0, `the sessions of ${user} to end`);
}

async function sessions(pgc: PostgresCluster, user: string): Promise<number> {
  const r = await pgc.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1', [user]);
  return Number(r.rows[0]!.n);
}

/** creds/app at a cluster; the new user must log in. */
async function credsWork(pgc: PostgresCluster, c: Cluster, what: string): Promise<{ username: string; leaseId: string }> {
  const resp = await c.call('read', 'database/creds/app');
  const username = String(resp?.data?.['username']);
  assert.equal(await canLogin(pgc, username, String(resp?.data?.['password'])), true, what);
  return { username, leaseId: resp?.secret?.leaseId ?? '' };
}

test('a secondary issues credentials and follows rotate-root, a rewritten config and a delete on the primary', async (t) => {
  if (skip) return t.skip(skip);
  const pgc = cluster!;
  const userA = `repl_engine_a_${process.pid}`;
  const userB = `repl_engine_b_${process.pid}`;
  const passwordA = `a-${Math.random().toString(36).slice(2)}-Pw`;
  const passwordB = `b-${Math.random().toString(36).slice(2)}-Pw`;
  await createEngineUser(pgc, userA, passwordA);
  await createEngineUser(pgc, userB, passwordB);
  const url = `postgresql://{{username}}:{{password}}@${pgc.host}:${pgc.port}/postgres?sslmode=disable`;
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    const s = await set.addSecondary('s1');
    await p.call('update', 'sys/mounts/database', { type: 'database' });
    await p.call('update', 'database/config/pg', { plugin_name: 'postgresql-database-plugin', connection_url: url, username: userA, password: passwordA, allowed_roles: '*' });
    await p.call('update', 'database/roles/app', { db_name: 'pg', creation_statements: CREATE });
    await set.converge();

    // The secondary opens its own pool (as userA with passwordA) and keeps the lease locally.
    const first = await credsWork(pgc, s, 'credentials from the secondary');
    await assert.rejects(p.call('update', 'sys/leases/lookup', { lease_id: first.leaseId }), 'the lease is the secondary\'s own');
    assert.ok((await s.call('update', 'sys/leases/lookup', { lease_id: first.leaseId }))?.data !== undefined);

    // rotate-root at the primary: passwordA stops working. Killing userA's sessions takes the
    // secondary's idle connections too, so a pool that kept passwordA would have to log in with it.
    await p.call('update', 'database/rotate-root/pg');
    await set.converge();
    await killSessions(pgc, userA);
    assert.equal(await canLogin(pgc, userA, passwordA), false, 'the old root password is gone');
    await credsWork(pgc, s, 'credentials from the secondary after rotate-root at the primary');

    // The config is rewritten at the primary to another user, and the old one may no longer log in.
    await p.call('update', 'database/config/pg', { username: userB, password: passwordB });
    await set.converge();
    await pgc.query(`ALTER ROLE ${userA} NOLOGIN`);
    await killSessions(pgc, userA);
    await credsWork(pgc, s, 'credentials from the secondary after the config moved to another user');
    assert.ok((await sessions(pgc, userB)) >= 1, 'the secondary connects as the new user');

    // A lease issued at the secondary is revoked there, through the replicated config.
    await s.call('update', 'sys/leases/revoke', { lease_id: first.leaseId });
    assert.equal((await pgc.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [first.username])).rowCount, 0, 'revoked at the secondary');

    // Deleted at the primary: the secondary's pool closes at once (not after its idle timeout).
    await p.call('delete', 'database/config/pg');
    await set.converge();
    await eventually(async () => (await sessions(pgc, userB)) === 0, 'both pools of the deleted config to close', 5_000);
    await assert.rejects(s.call('read', 'database/creds/app'), (err: unknown) => isArcaError(err) && /could not find database with name: pg/.test(err.message));
  } finally {
    await set.close();
    await pgc.query(`DROP ROLE IF EXISTS ${userA}`);
    await pgc.query(`DROP ROLE IF EXISTS ${userB}`);
  }
});

test('a config write and a role write sent to a secondary are forwarded to the primary and succeed', async (t) => {
  if (skip) return t.skip(skip);
  const pgc = cluster!;
  const user = `repl_engine_fwd_${process.pid}`;
  const password = `f-${Math.random().toString(36).slice(2)}-Pw`;
  await createEngineUser(pgc, user, password);
  const url = `postgresql://{{username}}:{{password}}@${pgc.host}:${pgc.port}/postgres?sslmode=disable`;
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    const s = await set.addSecondary('s1');
    await p.call('update', 'sys/mounts/database', { type: 'database' });
    await set.converge();
    const before = p.node.core.replication.lastIndex();

    // Both writes go to the secondary (with its own, local token). Its storage refuses the write
    // (the config is verified from the secondary first), so the pipeline forwards it.
    const config = await s.call('update', 'database/config/pg', { plugin_name: 'postgresql-database-plugin', connection_url: url, username: user, password, allowed_roles: 'app' });
    assert.ok(!(config?.warnings ?? []).includes(STALE_READ_WARNING), 'the secondary applied the forwarded config write');
    const role = await s.call('update', 'database/roles/app', { db_name: 'pg', creation_statements: CREATE, default_ttl: '5m' });
    assert.ok(!(role?.warnings ?? []).includes(STALE_READ_WARNING), 'the secondary applied the forwarded role write');
    assert.ok(p.node.core.replication.lastIndex() >= before + 2, 'both writes are in the primary\'s log');

    // They landed on the primary...
    const atPrimary = (await p.call('read', 'database/config/pg'))?.data;
    assert.equal((atPrimary?.['connection_details'] as { username?: string } | undefined)?.username, user);
    assert.deepEqual(atPrimary?.['allowed_roles'], ['app']);
    assert.equal((await p.call('read', 'database/roles/app'))?.data?.['db_name'], 'pg');
    // ...and the secondary reads them at once (the forward waited until it applied them).
    const atSecondary = (await s.call('read', 'database/config/pg'))?.data;
    assert.equal((atSecondary?.['connection_details'] as { username?: string } | undefined)?.username, user);
    assert.equal(JSON.stringify(atSecondary).includes(password), false, 'the root password is never returned');
    assert.equal((await s.call('read', 'database/roles/app'))?.data?.['default_ttl'], 300);
    assert.deepEqual((await s.call('list', 'database/roles'))?.data?.['keys'], ['app']);

    // The forwarded config and role work at both clusters.
    await credsWork(pgc, s, 'credentials from the secondary with the forwarded config and role');
    await credsWork(pgc, p, 'credentials from the primary with the forwarded config and role');
    await set.converge();
    await set.assertIdentical();
  } finally {
    await set.close();
    await pgc.query(`DROP ROLE IF EXISTS ${user}`);
  }
});

/** A mount's storage that a test turns read-only, as a secondary's replicated keys are; counts write attempts. */
class SwitchableStorage implements Storage {
  readOnly = false;
  attempts = 0;
  constructor(readonly inner: MemoryStorage) {}
  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  put(key: string, value: Buffer): Promise<void> {
    return this.write(() => this.inner.put(key, value));
  }
  delete(key: string): Promise<void> {
    return this.write(() => this.inner.delete(key));
  }
  batch(ops: readonly BatchOp[]): Promise<void> {
    return this.write(() => this.inner.batch(ops));
  }
  private async write(fn: () => Promise<void>): Promise<void> {
    if (this.readOnly) {
      this.attempts++;
      throw new ReadOnlyError();
    }
    return fn();
  }
}

test('on a secondary a pending root password is used but not settled, and static roles wait for the primary until promotion', async (t) => {
  if (skip) return t.skip(skip);
  const pgc = cluster!;
  const h = makeHarness({ type: 'database' });
  h.clock.advance(Date.now() - h.clock.now());
  const storage = new SwitchableStorage(h.storage);
  let secondary = false;
  const ctx = { ...h.ctx, storage: new StorageView(storage, h.prefix), isPerfSecondary: () => secondary };
  const b = databaseFactory(ctx);
  await b.initialize?.();
  const engine = `repl_engine_c_${process.pid}`;
  const user = `repl_static_${process.pid}`;
  const url = `postgresql://{{username}}:{{password}}@${pgc.host}:${pgc.port}/postgres?sslmode=disable`;
  await createEngineUser(pgc, engine, 'initial-Root-pw');
  await pgc.query(`DROP ROLE IF EXISTS ${user}`);
  await pgc.query(`CREATE ROLE ${user} WITH LOGIN PASSWORD 'primary-pw'`);
  try {
    await call(b, 'create', 'config/pg', { plugin_name: 'postgresql-database-plugin', connection_url: url, username: engine, password: 'initial-Root-pw', allowed_roles: '*' });
    await call(b, 'create', 'roles/app', { db_name: 'pg', creation_statements: CREATE });

    // The primary is inside rotate-root: the database has the pending password, the config not yet.
    const pending = 'pending-Root-pw-2';
    await h.ctx.storage.putJSON('root-rotation/pg', { password: pending });
    await pgc.query(`ALTER ROLE ${engine} WITH PASSWORD '${pending}'`);
    await killSessions(pgc, engine);
    secondary = true;
    storage.readOnly = true;
    b.invalidate?.('root-rotation/pg');
    const c = await call(b, 'read', 'creds/app');
    assert.equal(await canLogin(pgc, String(c?.data?.['username']), String(c?.data?.['password'])), true, 'the secondary connected with the pending password');
    assert.equal(storage.attempts, 0, 'nothing was settled at the secondary');
    assert.ok((await h.ctx.storage.get('root-rotation/pg')) !== undefined);

    // The primary rotated a static role (stored by replication): its due time follows, and when it
    // comes the secondary leaves the rotation to the primary.
    const now = h.clock.now();
    await h.ctx.storage.putJSON('static-role/app-static', { dbName: 'pg', username: user, rotationPeriod: 60, rotationStatements: [], password: 'primary-pw', lastVaultRotation: now });
    b.invalidate?.('static-role/app-static');
    await eventually(async () => mountOf(ctx).scheduler.dueAt('app-static') === now + 60_000, 'the replicated role to be scheduled');
    h.clock.advance(61_000);
    await new Promise((r) => setTimeout(r, 100));
    h.clock.advance(PAUSED_RECHECK_MS / 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(storage.attempts, 0, 'no rotation was attempted at the secondary');
    assert.equal(await canLogin(pgc, user, 'primary-pw'), true, 'the database user was left alone');

    // Promoted: the next check rotates the overdue role.
    secondary = false;
    storage.readOnly = false;
    h.clock.advance(PAUSED_RECHECK_MS / 2);
    let password = '';
    await eventually(async () => {
      password = String((await call(b, 'read', 'static-creds/app-static'))?.data?.['password']);
      return password !== 'primary-pw';
    }, 'the promoted node to rotate the role');
    assert.equal(await canLogin(pgc, user, password), true);
    assert.equal(await canLogin(pgc, user, 'primary-pw'), false);
  } finally {
    await b.cleanup?.();
    await pgc.query(`DROP ROLE IF EXISTS ${user}`);
    await pgc.query(`DROP ROLE IF EXISTS ${engine}`);
  }
});
