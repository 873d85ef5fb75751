/**
 * The PostgreSQL backend when the database is not there: at start (unreachable, wrong password,
 * missing database, late to come up) and during operation (the server goes down and comes back).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { StorageUnavailableError } from '../../src/storage/errors.js';
import { parsePostgresOptions } from '../../src/storage/pg-options.js';
import { PostgresStartError } from '../../src/storage/pg-start.js';
import { PostgresPhysical } from '../../src/storage/postgresql.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import { startPostgresOrSkip } from '../helpers/postgres.js';

const cluster = await startPostgresOrSkip();

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 1));
    });
  });
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'info', out: { write: (s: string) => lines.push(s) } }), lines };
}

if (typeof cluster === 'string') {
  test('postgresql outages', (t) => t.skip(cluster));
} else {
  after(() => cluster.stop());

  describe('postgresql: database missing at start', () => {
    test('unreachable: retried with backoff until startup_timeout, then a clear error naming the host', async () => {
      const port = await closedPort();
      const clock = new FakeClock();
      const waits: number[] = [];
      const { logger, lines } = capturingLogger();
      const options = parsePostgresOptions({ connection_url: `postgres://arca:Sup3r-Secret@127.0.0.1:${port}/arca`, startup_timeout: '10s' }, {});
      const opening = PostgresPhysical.open(options, {
        logger,
        clock,
        env: {},
        sleep: async (ms) => {
          waits.push(ms);
          clock.advance(ms);
        },
      });
      await assert.rejects(opening, (err: unknown) => {
        assert.ok(err instanceof PostgresStartError, String(err));
        assert.match(err.message, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} \\(database "arca", user "arca"\\)`));
        assert.match(err.message, /connection refused/);
        assert.match(err.message, /gave up after \d+ attempts in 10s/);
        assert.doesNotMatch(err.message, /Sup3r-Secret/);
        return true;
      });
      // 250 ms doubling to a 5 s ceiling, cut at the deadline.
      assert.deepEqual(waits, [250, 500, 1000, 2000, 4000, 2250]);
      assert.equal(lines.filter((l) => l.includes('not reachable yet, retrying')).length, waits.length);
      assert.ok(lines.every((l) => !l.includes('Sup3r-Secret')));
    });

    test('wrong password: refused at once (no retry), password never shown', async () => {
      let waited = 0;
      const url = cluster.url().replace(`:${cluster.password}@`, ':not-the-password@');
      const options = parsePostgresOptions({ connection_url: url }, {});
      await assert.rejects(
        PostgresPhysical.open(options, { logger: silentLogger, env: {}, sleep: async () => void waited++ }),
        (err: unknown) => {
          assert.ok(err instanceof PostgresStartError, String(err));
          assert.match(err.message, /refused: password authentication failed for user "arca" \(SQLSTATE 28P01\)/);
          assert.doesNotMatch(err.message, /not-the-password/);
          return true;
        },
      );
      assert.equal(waited, 0);
    });

    test('missing database: refused at once with the database named', async () => {
      const options = parsePostgresOptions({ connection_url: cluster.url('no_such_db') }, {});
      await assert.rejects(PostgresPhysical.open(options, { logger: silentLogger, env: {} }), /database "no_such_db" does not exist \(SQLSTATE 3D000\)/);
    });

    test('a database that comes up late is waited for', async () => {
      const table = cluster.freshTable('late');
      await cluster.pause();
      const { logger, lines } = capturingLogger();
      const opening = PostgresPhysical.open(parsePostgresOptions({ connection_url: cluster.url(), table, startup_timeout: '60s' }, {}), { logger, env: {} });
      await new Promise((r) => setTimeout(r, 1200));
      await cluster.resume();
      const p = await opening;
      await p.put('k', Buffer.from('v'));
      assert.deepEqual(await p.get('k'), Buffer.from('v'));
      assert.ok(lines.some((l) => l.includes('not reachable yet, retrying')), lines.join(''));
      assert.ok(lines.some((l) => l.includes('postgresql storage reachable')), lines.join(''));
      await p.close();
    });
  });

  test('postgresql: an outage during operation is a 503 StorageUnavailableError, and service resumes after it', async () => {
    const { logger, lines } = capturingLogger();
    const p = await PostgresPhysical.open(parsePostgresOptions({ connection_url: cluster.url(), table: cluster.freshTable('outage') }, {}), { logger, env: {} });
    await p.put('before/k', Buffer.from('kept'));
    await cluster.pause();

    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => p.get('before/k')],
      ['put', () => p.put('during/k', Buffer.from('x'))],
      ['delete', () => p.delete('before/k')],
      ['list', () => p.list('')],
      ['listPage', () => p.listPage('', '', 5)],
      ['batch', () => p.batch([{ type: 'put', key: 'during/b', value: Buffer.from('x') }])],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof StorageUnavailableError, `${name}: ${String(err)}`);
        assert.equal(err.status, 503);
        assert.equal(err.message, 'storage backend is unavailable');
        assert.doesNotMatch(String((err.cause as Error).message), new RegExp(cluster.password));
        return true;
      });
    }
    // Logged, but not once per failing call.
    const logged = lines.filter((l) => l.includes('postgresql storage unavailable'));
    assert.ok(logged.length >= 1 && logged.length < calls.length, lines.join(''));

    await cluster.resume();
    let back: Buffer | undefined;
    for (let i = 0; i < 50 && back === undefined; i++) {
      try {
        back = await p.get('before/k');
      } catch (err) {
        assert.ok(err instanceof StorageUnavailableError, String(err));
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.deepEqual(back, Buffer.from('kept'));
    // Nothing the failed calls tried was applied.
    assert.deepEqual(await p.list(''), ['before/']);
    await p.put('after/k', Buffer.from('v'));
    assert.deepEqual(await p.list(''), ['after/', 'before/']);
    await p.close();
  });
}
