/**
 * A secondary SIGKILLed while it streams under write load resumes from its last applied index and
 * loses nothing. Its applied batches commit without an fsync of their own (synchronous=NORMAL,
 * src/replication/README.md "Durability"): a process crash cannot undo a commit, so the applied
 * position on disk is at least what the secondary reported before the kill, consistent (not
 * mid-sync), and after a restart it catches up and serves every acknowledged write.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SqlitePhysical } from '../../src/storage/sqlite.js';
import { REPLICATION_APPLIED_INDEX } from '../../src/storage/keys.js';
import { api } from '../helpers/server-process.js';
import { activate, enablePrimary, eventually, startCluster, status, type Cluster } from './replication-harness.js';

let p: Cluster | undefined;
let s: Cluster | undefined;
after(async () => {
  await Promise.all([p?.stop(), s?.stop()]);
});

test('a SIGKILLed secondary resumes from its applied index without losing a write', { timeout: 120_000 }, async () => {
  [p, s] = await Promise.all([startCluster('p'), startCluster('s')]);
  const primary = p;
  const secondary = s;
  assert.equal((await api(primary.url, 'POST', 'sys/mounts/secret', { token: primary.root, body: { type: 'kv', options: { version: '2' } } })).status, 204);
  await enablePrimary(primary);
  await activate(primary, secondary, 's');

  const acked = new Map<string, string>();
  let writing = true;
  const deadline = Date.now() + 60_000;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; writing && Date.now() < deadline; i++) {
      const path = `w${w}/k${i % 40}`;
      const value = `${w}-${i}`;
      const r = await api(primary.url, 'POST', `secret/data/${path}`, { token: primary.root, body: { data: { value } } });
      if (r.status === 200) acked.set(path, value);
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => writer(w));
  try {
    const seen = await eventually('the secondary to apply 150 entries', async () => {
      const st = await status(secondary);
      return st.last_remote_wal >= 150 ? (st.last_remote_wal as number) : undefined;
    }, 60_000);
    assert.equal(await secondary.server.kill('SIGKILL'), 'SIGKILL');

    // What the secondary had applied (and reported) survived the kill, whole.
    const store = SqlitePhysical.open(secondary.dbPath);
    const raw = await store.get(REPLICATION_APPLIED_INDEX);
    await store.close();
    assert.ok(raw !== undefined, 'no applied position on disk');
    const position = JSON.parse(raw.toString('utf8')) as { index: number; syncing: boolean };
    assert.ok(position.index >= seen, `applied position ${position.index} on disk, ${seen} reported before the kill`);
    assert.equal(position.syncing, false);

    // The primary keeps taking writes while the secondary is down.
    const down = acked.size;
    await eventually('writes while the secondary is down', async () => (acked.size >= down + 50 ? true : undefined), 30_000);
  } finally {
    writing = false;
    await Promise.all(writers);
  }

  await secondary.restart();
  const r = await api(secondary.url, 'PUT', 'sys/unseal', { body: { key: secondary.unsealKey } });
  assert.equal(r.body.sealed, false, JSON.stringify(r.body));
  await eventually('the secondary to catch up', async () => {
    const [ps, ss] = await Promise.all([status(primary), status(secondary)]);
    return ss.state === 'stream-wals' && ss.last_remote_wal >= ps.last_wal && ss.merkle_root === ps.merkle_root ? true : undefined;
  }, 60_000);
  const wrong: string[] = [];
  for (const [path, value] of acked) {
    const got = await api(secondary.url, 'GET', `secret/data/${path}`, { token: secondary.root });
    if (got.status !== 200 || got.body.data.data.value !== value) wrong.push(`${path}: ${got.status} ${JSON.stringify(got.body?.data?.data)} (want ${value})`);
  }
  assert.deepEqual(wrong, [], 'acknowledged writes missing or stale at the restarted secondary');
});
