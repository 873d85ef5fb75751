import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqlitePhysical } from '../../src/storage/sqlite.js';
import { runConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'arca-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let opened = 0;
function freshPath(): string {
  return join(dir, `db-${opened++}.sqlite`);
}

runConformance('sqlite', async () => {
  const physical = SqlitePhysical.open(freshPath());
  return { physical, cleanup: () => physical.close() };
});

test('sqlite: data survives close and reopen', async () => {
  const path = freshPath();
  const first = SqlitePhysical.open(path);
  await first.put('a/b', Buffer.from('persisted'));
  await first.batch([{ type: 'put', key: 'c', value: Buffer.alloc(0) }]);
  await first.close();
  const second = SqlitePhysical.open(path);
  assert.deepEqual(await second.get('a/b'), Buffer.from('persisted'));
  assert.deepEqual(await second.get('c'), Buffer.alloc(0));
  assert.deepEqual(await second.list(''), ['a/', 'c']);
  await second.close();
});

test('sqlite: close commits writes still queued', async () => {
  const path = freshPath();
  const p = SqlitePhysical.open(path);
  const writes = [];
  for (let i = 0; i < 50; i++) writes.push(p.put(`q/${i}`, Buffer.from(String(i))));
  await p.close(); // without awaiting the writes first
  await Promise.all(writes);
  const again = SqlitePhysical.open(path);
  assert.equal((await again.list('q/')).length, 50);
  await again.close();
});

test('sqlite: the database, -wal and -shm files are private (0600), and the journal is WAL', async () => {
  const path = freshPath();
  const p = SqlitePhysical.open(path);
  await p.put('k', Buffer.from('v'));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    assert.equal(statSync(file).mode & 0o777, 0o600, file);
  }
  const peek = new Database(path, { readonly: true });
  assert.equal(peek.pragma('journal_mode', { simple: true }), 'wal');
  peek.close();
  await p.close();
});

test('sqlite: group commit puts 100 concurrent writes in far fewer than 100 transactions', async () => {
  const p = SqlitePhysical.open(freshPath());
  const before = p.commits;
  const writes = [];
  for (let i = 0; i < 100; i++) writes.push(p.put(`g/${i}`, Buffer.from(String(i))));
  await Promise.all(writes);
  const used = p.commits - before;
  assert.ok(used >= 1 && used <= 5, `100 concurrent puts took ${used} transactions`);
  assert.equal((await p.list('g/')).length, 100);

  // Sequential writes cannot share: one transaction each.
  const seqBefore = p.commits;
  for (let i = 0; i < 5; i++) await p.put(`s/${i}`, Buffer.from('x'));
  assert.equal(p.commits - seqBefore, 5);
  await p.close();
});

test('sqlite: maxBatchOps caps a group, but never splits a batch', async () => {
  const path = freshPath();
  const p = SqlitePhysical.open(path, { maxBatchOps: 10 });
  const writes = [];
  for (let i = 0; i < 100; i++) writes.push(p.put(`m/${i}`, Buffer.from('x')));
  const big = Array.from({ length: 25 }, (_, i) => ({ type: 'put' as const, key: `big/${i}`, value: Buffer.from('y') }));
  writes.push(p.batch(big));
  await Promise.all(writes);
  assert.equal(p.commits, 11);
  assert.equal((await p.list('big/')).length, 25);
  await p.close();
  assert.throws(() => SqlitePhysical.open(path, { maxBatchOps: 0 }), RangeError);
});

test('sqlite: a unit that fails in the group commit fails alone', async () => {
  const path = freshPath();
  const p = SqlitePhysical.open(path);
  await p.put('warmup', Buffer.from('x'));
  // A second connection installs a trigger that refuses one key, as a full disk or a constraint
  // would refuse a real write: the failure happens inside SQLite, mid-transaction.
  const admin = new Database(path);
  admin.exec(`CREATE TRIGGER poison BEFORE INSERT ON kv WHEN NEW.key LIKE 'poison%'
              BEGIN SELECT RAISE(ABORT, 'poisoned key'); END`);
  admin.close();

  const before = p.commits;
  const results = await Promise.allSettled([
    p.put('ok/1', Buffer.from('1')),
    p.put('poison', Buffer.from('2')),
    p.batch([
      { type: 'put', key: 'ok/2', value: Buffer.from('3') },
      { type: 'put', key: 'poison-in-batch', value: Buffer.from('4') },
    ]),
    p.batch([
      { type: 'put', key: 'ok/3', value: Buffer.from('5') },
      { type: 'delete', key: 'warmup' },
    ]),
    p.delete('ok/none'),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
  // The caller gets better-sqlite3's own error type, code and all (callers may sort on it).
  const reason = (results[1] as PromiseRejectedResult).reason as InstanceType<typeof Database.SqliteError>;
  assert.ok(reason instanceof Database.SqliteError);
  assert.equal(reason.code, 'SQLITE_CONSTRAINT_TRIGGER');
  assert.match(reason.message, /poisoned key/);
  // The failed group rolled back, then each unit ran alone: three of them committed.
  assert.equal(p.commits - before, 3);
  assert.deepEqual(await p.list('ok/'), ['1', '3']);
  assert.equal(await p.get('poison'), undefined);
  assert.equal(await p.get('warmup'), undefined);
  // The batch that failed left nothing behind, not even its valid half.
  assert.equal(await p.get('poison-in-batch'), undefined);
  assert.equal(await p.get('ok/2'), undefined);
  await p.close();
});

test('sqlite: listing seeks instead of scanning a large table', async () => {
  const p = SqlitePhysical.open(freshPath());
  const ops = [];
  for (let f = 0; f < 100; f++) {
    for (let i = 0; i < 1000; i++) ops.push({ type: 'put' as const, key: `big/${String(f).padStart(3, '0')}/${i}`, value: Buffer.alloc(0) });
  }
  await p.batch(ops);
  await p.put('small/one', Buffer.from('1'));
  // A scan per call would visit 100,000 rows 200 times; seeking visits a few hundred.
  const started = performance.now();
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(await p.list(''), ['big/', 'small/']);
    assert.deepEqual(await p.listPage('big/', '050/', 3), ['051/', '052/', '053/']);
  }
  assert.equal((await p.list('big/')).length, 100);
  assert.ok(performance.now() - started < 2000, 'one-level listing must not scan the whole table');
  await p.close();
});

test('sqlite: an acknowledged write is seen by the very next read, also under concurrency', async () => {
  const p = SqlitePhysical.open(freshPath());
  try {
    for (let i = 0; i < 100; i++) {
      await p.put('seq', Buffer.from(String(i)));
      assert.equal((await p.get('seq'))?.toString(), String(i));
    }
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const key = `c/${i % 20}/${i}`;
        await p.put(key, Buffer.from(`v${i}`));
        assert.equal((await p.get(key))?.toString(), `v${i}`);
        assert.ok((await p.list(`c/${i % 20}/`)).includes(String(i)));
        await p.delete(key);
        assert.equal(await p.get(key), undefined);
      }),
    );
    assert.deepEqual(await p.list(''), ['seq']);
  } finally {
    await p.close();
  }
});

test('sqlite: WAL checkpoints run in the checkpoint thread, and nothing is lost across close and reopen', async () => {
  const path = freshPath();
  const p = SqlitePhysical.open(path);
  const value = (n: number): Buffer => Buffer.alloc(1024 + (n % 7) * 300, n % 251);
  // 24 groups of 200 ops (~6 MiB): the thread is asked once per 256 committed ops.
  for (let g = 0; g < 24; g++) {
    await Promise.all(Array.from({ length: 200 }, (_, i) => p.put(`k/${g}/${i}`, value(g * 200 + i))));
  }
  const deadline = Date.now() + 10_000;
  while (p.checkpoints?.last === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const done = p.checkpoints;
  assert.ok(done !== undefined && done.requests >= 5, `checkpoint requests: ${done?.requests}`);
  assert.equal(done.last?.ok, true, `checkpoint failed: ${done.last?.error}`);
  assert.ok((done.last?.checkpointed ?? 0) > 0, 'the thread copied no WAL frame back');
  await p.close();
  // The thread's connection is closed too: the last close checkpointed everything and removed the WAL.
  assert.throws(() => statSync(`${path}-wal`), /ENOENT/);
  const again = SqlitePhysical.open(path);
  try {
    for (let g = 0; g < 24; g++) {
      for (let i = 0; i < 200; i += 37) assert.deepEqual(await again.get(`k/${g}/${i}`), value(g * 200 + i));
    }
    assert.equal((await again.list('k/')).length, 24);
  } finally {
    await again.close();
  }
});

test('sqlite: an in-memory database has no checkpoint thread', async () => {
  const p = SqlitePhysical.open(':memory:');
  await p.put('a', Buffer.from('1'));
  assert.equal(p.checkpoints, undefined);
  await p.close();
});
