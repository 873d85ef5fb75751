/**
 * The PostgreSQL HA lock and write fence against a real PostgreSQL: who may take the lock
 * (free, lapsed, or held through a dead session), that renewals never revive a lapsed lease, and
 * that a node's writes stop the moment another node holds the lock, including a write that was
 * queued behind the takeover.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { NotActiveError } from '../../src/ha/errors.js';
import { parsePostgresOptions } from '../../src/storage/pg-options.js';
import { type LockClaim, type NodeAdvert, PgHaLock, type WriteFence } from '../../src/storage/pg-lock.js';
import { PostgresPhysical } from '../../src/storage/postgresql.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';

const cluster = await startPostgresOrSkip();
const advert = (n: string): NodeAdvert => ({ apiAddr: `http://${n}:8200`, clusterAddr: `https://${n}:8201`, hostname: n, version: 'test' });

/** A fence that always presents one claim, and records refusals. */
class FixedFence implements WriteFence {
  refusals = 0;
  constructor(public claim: LockClaim | undefined) {}
  current(): LockClaim {
    if (this.claim === undefined) throw new NotActiveError();
    return this.claim;
  }
  refused(): Error {
    this.refusals++;
    return new NotActiveError();
  }
}

if (typeof cluster === 'string') {
  test('postgresql HA lock', (t) => t.skip(cluster));
} else {
  const c: PostgresCluster = cluster;
  after(() => c.stop());

  async function open(table: string, haTable: string): Promise<PostgresPhysical> {
    const options = parsePostgresOptions({ connection_url: c.url(), table, ha_table: haTable, ha_enabled: 'true' }, {});
    return PostgresPhysical.open(options, { logger: silentLogger, env: {} });
  }

  describe('lock', () => {
    let physical: PostgresPhysical;
    const locks: PgHaLock[] = [];
    const haTable = c.freshTable('ha');
    const newLock = (): PgHaLock => {
      const l = new PgHaLock(() => physical.newSession(), `"${haTable}"`, (e) => physical.describeError(e));
      locks.push(l);
      return l;
    };
    before(async () => {
      physical = await open(c.freshTable('kv'), haTable);
    });
    after(async () => {
      for (const l of locks) await l.close();
      await physical.close();
    });
    const reset = (): Promise<unknown> => c.query(`DELETE FROM "${haTable}"`);

    test('the first contender wins; a live holder keeps it; release frees it at once', async () => {
      await reset();
      const a = newLock();
      const b = newLock();
      const claimA = await a.tryAcquire('A', advert('a'), new Date().toISOString(), 't1', 10_000, undefined);
      assert.ok(claimA);
      const seen = await b.holder();
      assert.equal(seen?.identity, 'A');
      assert.equal(seen?.valid, true);
      assert.equal(seen?.advert?.apiAddr, 'http://a:8200');
      assert.equal(await b.tryAcquire('B', advert('b'), '', 't2', 10_000, seen), undefined, 'B cannot take a live lock');
      assert.equal(await a.renew(claimA, 10_000), true);
      await a.release(claimA);
      assert.equal(await b.holder(), undefined);
      assert.ok(await b.tryAcquire('B', advert('b'), '', 't3', 10_000, undefined));
      assert.equal(await a.renew(claimA, 10_000), false, 'a released claim cannot be renewed');
    });

    test('a holder whose lock session died is taken over at once, lease or not', async () => {
      await reset();
      const a = newLock();
      const b = newLock();
      let lost = 0;
      a.onSessionLost(() => lost++);
      assert.ok(await a.tryAcquire('A', advert('a'), '', 't1', 60_000, undefined));
      const pid = a.sessionPid;
      assert.ok(pid);
      // What a SIGKILL does: the socket closes and PostgreSQL ends the session.
      await c.query('SELECT pg_terminate_backend($1)', [pid]);
      for (let i = 0; i < 50 && lost === 0; i++) await sleep(20);
      assert.equal(lost, 1, 'the holder learns its session broke');
      const seen = await b.holder();
      assert.equal(seen?.identity, 'A');
      assert.equal(seen?.valid, false, 'a dead session is not a valid holder');
      assert.ok(await b.tryAcquire('B', advert('b'), '', 't2', 60_000, seen));
      assert.equal((await b.holder())?.identity, 'B');
    });

    test('a lapsed lease is taken over and never revived by its old holder', async () => {
      await reset();
      const a = newLock();
      const b = newLock();
      const claimA = await a.tryAcquire('A', advert('a'), '', 't1', 300, undefined);
      assert.ok(claimA);
      await sleep(400);
      assert.equal(await a.renew(claimA, 10_000), false, 'a lapsed lease is not renewed');
      const seen = await b.holder();
      assert.equal(seen?.valid, false);
      assert.ok(await b.tryAcquire('B', advert('b'), '', 't2', 10_000, seen));
      // The old holder's stale observation cannot take it back.
      assert.equal(await a.tryAcquire('A', advert('a'), '', 't3', 10_000, seen), undefined);
    });

    test('of many contenders racing for a free lock exactly one wins', async () => {
      await reset();
      const contenders = Array.from({ length: 12 }, () => newLock());
      const results = await Promise.all(contenders.map((l, i) => l.tryAcquire(`N${i}`, advert(`n${i}`), '', `t${i}`, 10_000, undefined)));
      assert.equal(results.filter((r) => r !== undefined).length, 1);
    });

    test('heartbeats list the live nodes; forgetting removes one', async () => {
      await reset();
      const a = newLock();
      await a.heartbeat('A', advert('a'), 10_000);
      await a.heartbeat('B', advert('b'), 10_000);
      await a.heartbeat('C', advert('c'), 1);
      await sleep(20);
      const nodes = await a.nodes(10_000);
      assert.deepEqual(nodes.map((n) => n.nodeId), ['A', 'B']);
      assert.ok(Math.abs(nodes[0]!.lastSeen - Date.now()) < 5000);
      await a.forgetNode('B');
      assert.deepEqual((await a.nodes(10_000)).map((n) => n.nodeId), ['A']);
    });
  });

  describe('write fence', () => {
    let writerA: PostgresPhysical;
    let writerB: PostgresPhysical;
    let lockA: PgHaLock;
    let lockB: PgHaLock;
    const haTable = c.freshTable('ha');
    const table = c.freshTable('kv');
    before(async () => {
      writerA = await open(table, haTable);
      writerB = await open(table, haTable);
      lockA = new PgHaLock(() => writerA.newSession(), `"${haTable}"`, (e) => writerA.describeError(e));
      lockB = new PgHaLock(() => writerB.newSession(), `"${haTable}"`, (e) => writerB.describeError(e));
    });
    after(async () => {
      await lockA.close();
      await lockB.close();
      await writerA.close();
      await writerB.close();
    });

    test('writes commit while the claim holds and are refused, changing nothing, once another node holds the lock', async () => {
      const claimA = await lockA.tryAcquire('A', advert('a'), '', 'tA', 300, undefined);
      assert.ok(claimA);
      const fenceA = new FixedFence(claimA);
      writerA.setWriteFence(fenceA);
      await writerA.put('app/k', Buffer.from('from A'));
      await writerA.batch([
        { type: 'put', key: 'app/b1', value: Buffer.from('1') },
        { type: 'put', key: 'app/b2', value: Buffer.from('2') },
      ]);
      await writerA.delete('app/b2');
      assert.equal((await writerA.get('app/k'))?.toString(), 'from A');
      assert.equal(await writerA.get('app/b2'), undefined);

      // A is "paused" (no renewals) until its lease lapses; B takes over and writes.
      await sleep(400);
      const claimB = await lockB.tryAcquire('B', advert('b'), '', 'tB', 10_000, await lockB.holder());
      assert.ok(claimB);
      writerB.setWriteFence(new FixedFence(claimB));
      await writerB.put('app/k', Buffer.from('from B'));

      // A wakes up and carries on writing: every kind of write is refused.
      await assert.rejects(writerA.put('app/k', Buffer.from('stale A')), NotActiveError);
      await assert.rejects(writerA.delete('app/b1'), NotActiveError);
      await assert.rejects(writerA.batch([{ type: 'put', key: 'app/k', value: Buffer.from('stale') }, { type: 'delete', key: 'app/b1' }]), NotActiveError);
      await assert.rejects(writerA.batch([{ type: 'delete', key: 'app/b1' }]), NotActiveError);
      assert.equal(fenceA.refusals, 4);
      assert.equal((await writerB.get('app/k'))?.toString(), 'from B');
      assert.equal((await writerB.get('app/b1'))?.toString(), '1');

      // A node without a claim (a standby) may not write at all.
      fenceA.claim = undefined;
      await assert.rejects(writerA.put('app/other', Buffer.from('x')), NotActiveError);
      assert.equal(await writerB.get('app/other'), undefined);
      writerB.setWriteFence(undefined);
    });

    test('a write queued behind a takeover in progress re-checks the lock after it and writes nothing', async () => {
      await c.query(`DELETE FROM "${haTable}"`);
      const claimA = await lockA.tryAcquire('A', advert('a'), '', 'tA2', 60_000, undefined);
      assert.ok(claimA);
      writerA.setWriteFence(new FixedFence(claimA));
      // Another session is in the middle of taking the lock row over.
      const takeover = new pg.Client({ connectionString: c.url() });
      await takeover.connect();
      try {
        await takeover.query('BEGIN');
        await takeover.query(`SELECT 1 FROM "${haTable}" WHERE ha_key = 'core/lock' FOR UPDATE`);
        const pending = writerA.put('app/queued', Buffer.from('A after the takeover'));
        let settled = false;
        pending.then(() => (settled = true), () => (settled = true));
        await sleep(200);
        assert.equal(settled, false, 'the write waits for the takeover');
        await takeover.query(`UPDATE "${haTable}" SET ha_identity = 'B', ha_value = 'b' WHERE ha_key = 'core/lock'`);
        await takeover.query('COMMIT');
        await assert.rejects(pending, NotActiveError);
      } finally {
        await takeover.end();
      }
      assert.equal(await writerB.get('app/queued'), undefined);
    });

    test('a takeover waits for a fenced write in progress, which therefore commits first', async () => {
      await c.query(`DELETE FROM "${haTable}"`);
      const claimA = await lockA.tryAcquire('A', advert('a'), '', 'tA3', 300, undefined);
      assert.ok(claimA);
      writerA.setWriteFence(new FixedFence(claimA));
      // Hold A's fence share lock open the way a long write statement would.
      const writer = new pg.Client({ connectionString: c.url() });
      await writer.connect();
      try {
        await writer.query('BEGIN');
        const held = await writer.query(
          `SELECT 1 FROM "${haTable}" WHERE ha_key = 'core/lock' AND ha_identity = $1 AND ha_value = $2 AND valid_until > now() FOR SHARE`,
          [claimA.identity, claimA.value],
        );
        assert.equal(held.rowCount, 1);
        await sleep(400); // A's lease lapses while its write is still running
        const pending = lockB.tryAcquire('B', advert('b'), '', 'tB3', 10_000, undefined);
        let settled = false;
        pending.then(() => (settled = true), () => (settled = true));
        await sleep(200);
        assert.equal(settled, false, 'the takeover waits for the write');
        await writer.query('COMMIT');
        assert.ok(await pending, 'then takes the lapsed lock');
      } finally {
        await writer.end();
      }
    });
  });
}
