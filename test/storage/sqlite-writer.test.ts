/**
 * The SQLite writer thread: commits run off the event loop, every acknowledged write is visible
 * to the very next read, a dead writer fails writes loudly (never silently), and an idle store
 * does not keep the process alive.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StorageBrokenError } from '../../src/storage/errors.js';
import { SqlitePhysical } from '../../src/storage/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'arca-sqlite-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let opened = 0;
function freshPath(): string {
  return join(dir, `db-${opened++}.sqlite`);
}

test('sqlite writer: an acknowledged write is seen by every later read', async () => {
  const p = SqlitePhysical.open(freshPath());
  try {
    for (let i = 0; i < 200; i++) {
      await p.put('seq', Buffer.from(String(i)));
      assert.equal((await p.get('seq'))?.toString(), String(i));
    }
    // Concurrent writers: each checks its own write the moment it resolves.
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

test('sqlite writer: a commit does not block the event loop', async () => {
  const p = SqlitePhysical.open(freshPath());
  try {
    await p.put('warmup', Buffer.from('x'));
    const value = Buffer.alloc(1024, 7);
    const ops = Array.from({ length: 20_000 }, (_, i) => ({ type: 'put' as const, key: `big/${i}`, value }));
    let done = false;
    let turns = 0;
    const tick = (): void => {
      turns++;
      if (!done) setImmediate(tick);
    };
    const write = p.batch(ops).then(() => {
      done = true;
    });
    setImmediate(tick);
    await write;
    // Committing 20 MB in this thread would resolve the batch within one turn of the loop.
    assert.ok(turns > 3, `the event loop turned only ${turns} times while 20,000 rows committed`);
    assert.equal((await p.list('big/')).length, 20_000);
  } finally {
    await p.close();
  }
});

test('sqlite writer: a dead writer fails pending and later writes, reads go on, close ends', async () => {
  const path = freshPath();
  const p = SqlitePhysical.open(path);
  await p.put('before', Buffer.from('kept'));
  const racing = Array.from({ length: 100 }, (_, i) => p.put(`racing/${i}`, Buffer.from(String(i))));
  const crashed = p.crashWriterForTest();
  // Queued after the crash began: the writer never sees it, so it must fail, not hang.
  const late = p.put('late', Buffer.from('x'));
  await crashed;
  await assert.rejects(late, StorageBrokenError);
  const settled = await Promise.allSettled(racing);
  for (const r of settled) {
    if (r.status === 'rejected') assert.ok(r.reason instanceof StorageBrokenError, String(r.reason));
  }
  assert.ok(p.broken instanceof StorageBrokenError);
  await assert.rejects(p.put('after', Buffer.from('x')), StorageBrokenError);
  await assert.rejects(p.batch([{ type: 'delete', key: 'before' }]), StorageBrokenError);
  assert.equal((await p.get('before'))?.toString(), 'kept');
  await p.close();

  // Every write that was acknowledged is on disk.
  const again = SqlitePhysical.open(path);
  try {
    for (const [i, r] of settled.entries()) {
      if (r.status === 'fulfilled') assert.equal((await again.get(`racing/${i}`))?.toString(), String(i));
    }
    assert.equal(await again.get('late'), undefined);
    await again.put('after', Buffer.from('works again'));
    assert.equal((await again.get('after'))?.toString(), 'works again');
  } finally {
    await again.close();
  }
});

test('sqlite writer: an idle, unclosed store does not keep the process alive', async () => {
  const module = new URL('../../src/storage/sqlite.js', import.meta.url).href;
  const script = `const { SqlitePhysical } = await import(${JSON.stringify(module)});
    const p = SqlitePhysical.open(${JSON.stringify(freshPath())});
    await p.put('k', Buffer.from('v'));
    process.stdout.write('written\\n');`;
  const file = join(dir, 'idle-store.mjs');
  writeFileSync(file, script);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = (await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])))) as [number | null, string | null];
  clearTimeout(timer);
  assert.equal(signal, null, `the process had to be killed: ${err}`);
  assert.equal(code, 0, err);
  assert.equal(out, 'written\n');
});

test('sqlite writer: an in-memory database is refused (the writer could not share it)', () => {
  assert.throws(() => SqlitePhysical.open(':memory:'), /file path/);
  assert.throws(() => SqlitePhysical.open(''), /file path/);
});
