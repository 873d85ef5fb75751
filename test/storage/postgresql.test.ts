/**
 * The PostgreSQL backend against a real PostgreSQL (test/helpers/postgres.ts): the shared
 * conformance suite, then what is specific to it: schema, persistence, listing cost, key limits,
 * concurrency, a foreign table refused.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type pg from 'pg';
import { InvalidKeyError } from '../../src/storage/physical.js';
import { parsePostgresOptions } from '../../src/storage/pg-options.js';
import { statements } from '../../src/storage/pg-schema.js';
import { PostgresStartError } from '../../src/storage/pg-start.js';
import { PostgresPhysical } from '../../src/storage/postgresql.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import { startPostgresOrSkip } from '../helpers/postgres.js';
import { runConformance } from './conformance.js';

const cluster = await startPostgresOrSkip();

if (typeof cluster === 'string') {
  test('postgresql storage', (t) => t.skip(cluster));
} else {
  after(() => cluster.stop());

  const open = (table: string, extra: Record<string, string> = {}): Promise<PostgresPhysical> =>
    PostgresPhysical.open(parsePostgresOptions({ connection_url: cluster.url(), table, ...extra }, {}), { logger: silentLogger, env: {} });

  runConformance('postgresql', async () => {
    const table = cluster.freshTable('conf');
    const physical = await open(table);
    return {
      physical,
      async cleanup() {
        await physical.close();
        await cluster.query(`DROP TABLE "${table}"`);
      },
    };
  });

  describe('postgresql specifics', () => {
    test('the table is created with a "C"-collated primary key and bytea values; no HA table unless asked', async () => {
      const table = cluster.freshTable('schema');
      const p = await open(table);
      await p.put('k', Buffer.from('v'));
      const cols = await cluster.query(
        `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, c.collname, a.attnotnull
           FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation
          WHERE a.attrelid = $1::regclass AND a.attnum > 0 ORDER BY a.attnum`,
        [table],
      );
      assert.deepEqual(cols.rows, [
        { attname: 'key', type: 'text', collname: 'C', attnotnull: true },
        { attname: 'value', type: 'bytea', collname: null, attnotnull: true },
      ]);
      const ha = await cluster.query(`SELECT to_regclass('vault_ha_locks') AS t`);
      assert.equal(ha.rows[0]?.t, null);
      await p.close();

      const haTable = cluster.freshTable('locks');
      const withHa = await open(table, { ha_enabled: 'true', ha_table: haTable });
      const lockCols = await cluster.query(`SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`, [haTable]);
      assert.deepEqual(lockCols.rows.map((r) => r.attname), ['ha_key', 'ha_identity', 'ha_value', 'valid_until']);
      assert.deepEqual(await withHa.get('k'), Buffer.from('v'));
      await withHa.close();
    });

    test('data survives close and reopen, and a second node sees the first one\'s writes', async () => {
      const table = cluster.freshTable('persist');
      const first = await open(table);
      const second = await open(table);
      await first.put('a/b', Buffer.from('persisted'));
      await first.batch([{ type: 'put', key: 'c', value: Buffer.alloc(0) }]);
      assert.deepEqual(await second.get('a/b'), Buffer.from('persisted'));
      await first.close();
      await second.close();
      const again = await open(table);
      assert.deepEqual(await again.get('a/b'), Buffer.from('persisted'));
      assert.deepEqual(await again.get('c'), Buffer.alloc(0));
      assert.deepEqual(await again.list(''), ['a/', 'c']);
      await again.close();
    });

    test('listing seeks: rows read do not grow with the keys below the listed level', async () => {
      const table = cluster.freshTable('seek');
      const p = await open(table);
      await cluster.query(
        `INSERT INTO "${table}" (key, value)
           SELECT 'big/' || lpad((i / 1000)::text, 3, '0') || '/' || i, ''::bytea FROM generate_series(0, 99999) AS i`,
      );
      await p.put('small/one', Buffer.from('1'));
      await cluster.query(`ANALYZE "${table}"`);
      assert.deepEqual(await p.list(''), ['big/', 'small/']);
      assert.equal((await p.list('big/')).length, 100);
      assert.deepEqual(await p.listPage('big/', '050/', 3), ['051/', '052/', '053/']);

      // The statement's own plan, executed: the most rows any node touched (rows x loops).
      const sql = statements(`"${table}"`);
      const rowsTouched = async (bounded: boolean, params: unknown[]): Promise<number> => {
        const r = await cluster.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql.list[bounded ? 1 : 0]}`, params);
        let most = 0;
        const walk = (node: Record<string, unknown>): void => {
          most = Math.max(most, Number(node['Actual Rows']) * Number(node['Actual Loops']));
          for (const child of (node['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk(r.rows[0]?.['QUERY PLAN'][0].Plan);
        return most;
      };
      assert.ok((await rowsTouched(false, ['', '', '', null])) <= 5, 'listing the root must not read the 100,000 keys below it');
      assert.ok((await rowsTouched(true, ['big/', 'big/', '', null, 'big0'])) <= 210, 'listing big/ reads about one key per folder');
      assert.ok((await rowsTouched(true, ['big/', 'big/051', '050/', 3, 'big0'])) <= 10, 'a page reads about its own entries');
      await p.close();
    });

    test('keys too long for a PostgreSQL index are refused up front; a batch holding one writes nothing', async () => {
      const p = await open(cluster.freshTable('long'));
      const ascii = 'x'.repeat(2048);
      await p.put(ascii, Buffer.from('fits'));
      const wide = '日'.repeat(1000); // 3,000 bytes of UTF-8
      await assert.rejects(p.put(wide, Buffer.from('v')), InvalidKeyError);
      await assert.rejects(p.get(wide), InvalidKeyError);
      await assert.rejects(
        p.batch([
          { type: 'put', key: 'ok', value: Buffer.from('v') },
          { type: 'put', key: wide, value: Buffer.from('v') },
        ]),
        InvalidKeyError,
      );
      assert.equal(await p.get('ok'), undefined);
      await p.put('日'.repeat(860), Buffer.from('2,580 bytes still fits'));
      assert.deepEqual(await p.list(''), [ascii, '日'.repeat(860)]);
      await p.close();
    });

    test('concurrency: 2,000 puts and 200 overlapping batches through a pool of 8', async () => {
      const p = await open(cluster.freshTable('conc'), { max_parallel: '8' });
      const started = performance.now();
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 2000; i++) writes.push(p.put(`p/${i % 50}/${i}`, Buffer.from(String(i))));
      // Every batch writes the same ten keys (in different orders) plus one of its own, and deletes
      // another batch's own key: the batches contend for rows and must neither deadlock nor mix.
      for (let b = 0; b < 200; b++) {
        const ops = Array.from({ length: 10 }, (_, j) => ({ type: 'put' as const, key: `shared/${(j * 7 + b) % 10}`, value: Buffer.from(`batch-${b}`) }));
        ops.push({ type: 'put', key: `own/${b}`, value: Buffer.from('x') });
        writes.push(p.batch([...ops, { type: 'delete', key: `own/${(b + 100) % 200}` }]));
      }
      await Promise.all(writes);
      const elapsed = performance.now() - started;
      for (let i = 0; i < 2000; i += 97) assert.deepEqual(await p.get(`p/${i % 50}/${i}`), Buffer.from(String(i)));
      assert.equal((await p.list('p/')).length, 50);
      let total = 0;
      for (const folder of await p.list('p/')) total += (await p.list(`p/${folder}`)).length;
      assert.equal(total, 2000);
      // Each batch is atomic: all ten shared keys hold the value of one and the same batch.
      const shared = await Promise.all(Array.from({ length: 10 }, (_, j) => p.get(`shared/${j}`)));
      assert.equal(new Set(shared.map((v) => v?.toString())).size, 1, `shared keys mixed: ${shared.map(String).join(',')}`);
      console.error(`postgresql: 2,000 puts + 200 batches concurrently in ${elapsed.toFixed(0)} ms`);
      await p.close();
    });

    test('a table of another shape under the configured name is refused, untouched', async () => {
      const table = cluster.freshTable('vaultshape');
      await cluster.query(
        `CREATE TABLE "${table}" (parent_path TEXT COLLATE "C" NOT NULL, path TEXT COLLATE "C", key TEXT COLLATE "C", value BYTEA,
           CONSTRAINT ${table}_pkey PRIMARY KEY (path, key))`,
      );
      await cluster.query(`INSERT INTO "${table}" VALUES ('/', '/a', 'b', 'x')`);
      await assert.rejects(open(table), (err: unknown) => {
        assert.ok(err instanceof PostgresStartError, String(err));
        assert.match(err.message, /is not an Arca storage table/);
        assert.match(err.message, /127\.0\.0\.1:\d+ \(database "postgres", user "arca"\)/);
        return true;
      });
      const rows = await cluster.query(`SELECT count(*)::int AS n FROM "${table}"`);
      assert.equal(rows.rows[0]?.n, 1);
    });

    test('a database with synchronous_commit off: Arca\'s own sessions still commit synchronously', async () => {
      await cluster.query('CREATE DATABASE syncoff');
      await cluster.query('ALTER DATABASE syncoff SET synchronous_commit = off');
      const lines: string[] = [];
      const logger = createLogger({ out: { write: (s: string) => lines.push(s) } });
      const p = await PostgresPhysical.open(parsePostgresOptions({ connection_url: cluster.url('syncoff'), table: 'kv' }, {}), { logger, env: {} });
      assert.ok(lines.some((l) => l.includes('synchronous_commit is off')), lines.join(''));
      // The pool is private; peeking at it is the only way to ask one of its sessions.
      const pool = (p as unknown as { pool: pg.Pool }).pool;
      const rows = await Promise.all(Array.from({ length: 3 }, () => pool.query('SHOW synchronous_commit')));
      assert.deepEqual(rows.map((r) => r.rows[0]?.synchronous_commit), ['on', 'on', 'on']);
      await p.close();
    });

    test('an idle connection killed by the server is replaced without crashing the process', async () => {
      const p = await PostgresPhysical.open(
        parsePostgresOptions({ connection_url: `${cluster.url()}&application_name=arca_killme`, table: cluster.freshTable('kill') }, {}),
        { logger: silentLogger, env: {} },
      );
      await Promise.all(Array.from({ length: 4 }, (_, i) => p.put(`k${i}`, Buffer.from('v'))));
      const killed = await cluster.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'arca_killme'`);
      assert.ok(killed.rows[0]?.n >= 1);
      await new Promise((r) => setTimeout(r, 100));
      // Calls may hit a dead pooled connection once (an unavailable error), never crash; soon all work.
      let ok = false;
      for (let i = 0; i < 10 && !ok; i++) {
        try {
          ok = (await p.get('k0'))?.toString() === 'v';
        } catch {
          // retried below
        }
      }
      assert.ok(ok);
      await p.close();
    });
  });
}
