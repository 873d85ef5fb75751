/** The primary's RPC handler: validation, who may call, needMerkle, long-poll, what kv.fetch will serve. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { ReplicationManager } from '../../src/replication/manager.js';
import { RpcError, type RpcHandler, type WalFetchResponse } from '../../src/replication/transport.js';
import { ACK_WAIT_MS } from '../../src/replication/wal-server.js';
import { ReplicatedPhysical } from '../../src/replication/wal-physical.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { KeyClassifier } from '../../src/storage/keys.js';
import { silentLogger } from '../../src/util/logger.js';

const peer = { secondaryId: 's1' };

async function setup(): Promise<{ m: ReplicationManager; h: RpcHandler; r: ReplicatedPhysical; clock: FakeClock }> {
  const clock = new FakeClock();
  const r = new ReplicatedPhysical(new InmemPhysical(), { classifier: new KeyClassifier(), clock, logger: silentLogger, retention: { entries: 3, bytes: 1 << 30 } });
  const m = new ReplicationManager({ physical: r, barrier: { invalidate: () => undefined }, clock, logger: silentLogger });
  await m.load();
  await r.put('sys/policy/acl/before', Buffer.from('b'));
  await r.put('sys/token/id/secret', Buffer.from('a token'));
  await m.enablePrimary();
  await m.start();
  await m.addSecondary('s1');
  return { m, h: m.rpcHandler(), r, clock };
}

function rpcCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof RpcError && err.code === code;
}

test('bad requests are refused with bad-request, unknown methods with unknown-method', async () => {
  const { h, m } = await setup();
  await assert.rejects(h.handle(peer, 'wal.fetch', { after: -1, max: 1, waitMs: 0, epoch: '' }), rpcCode('bad-request'));
  await assert.rejects(h.handle(peer, 'wal.fetch', { after: 0, max: 1, waitMs: 0 }), rpcCode('bad-request'));
  await assert.rejects(h.handle(peer, 'wal.fetch', 'not an object'), rpcCode('bad-request'));
  await assert.rejects(h.handle(peer, 'merkle.subpages', { page: 256 }), rpcCode('bad-request'));
  await assert.rejects(h.handle(peer, 'merkle.leaves', { page: 1, subpage: 1.5 }), rpcCode('bad-request'));
  await assert.rejects(h.handle(peer, 'kv.fetch', { keys: [1] }), rpcCode('bad-request'));
  await assert.rejects(h.handle(peer, 'kv.fetch', { keys: new Array(1001).fill('k') }), rpcCode('bad-request'));
  await assert.rejects(h.handle(peer, 'nope' as never, {}), rpcCode('unknown-method'));
  await assert.rejects(h.handle(peer, 'forward', {}), rpcCode('unknown-method'));
  m.registerMethod('forward', async () => ({ response: null, index: 7 }));
  assert.deepEqual(await h.handle(peer, 'forward', {}), { response: null, index: 7 });
  await m.stop();
});

test('unknown and revoked secondaries are forbidden, as is everything on a non-primary', async () => {
  const { h, m } = await setup();
  const fetch = { after: 0, max: 10, waitMs: 0, epoch: '' };
  await assert.rejects(h.handle({ secondaryId: 'stranger' }, 'wal.fetch', fetch), rpcCode('forbidden'));
  assert.equal(m.secondary('s1')?.status, 'pending');
  await h.handle(peer, 'wal.fetch', fetch);
  assert.equal(m.secondary('s1')?.status, 'active');
  await m.revokeSecondary('s1');
  assert.equal(m.isSecondaryAllowed('s1'), false);
  await assert.rejects(h.handle(peer, 'merkle.root', {}), rpcCode('forbidden'));
  await m.addSecondary('s1');
  await m.demote();
  await assert.rejects(h.handle(peer, 'merkle.root', {}), rpcCode('forbidden'));
  await m.stop();
});

test('needMerkle for a new, foreign-epoch, trimmed or impossible position; entries otherwise', async () => {
  const { h, r, m } = await setup();
  const epoch = r.wal.epoch;
  const ask = (after: number, e = epoch): Promise<WalFetchResponse> => h.handle(peer, 'wal.fetch', { after, max: 100, waitMs: 0, epoch: e }) as Promise<WalFetchResponse>;
  assert.equal((await ask(0, '')).needMerkle, true, 'a secondary without an epoch must sync first');
  assert.equal((await ask(0, 'other-epoch')).needMerkle, true);
  for (let i = 1; i <= 6; i++) await r.put(`sys/policy/acl/p${i}`, Buffer.from(`v${i}`));
  const ok = await ask(0);
  assert.ok(!ok.needMerkle);
  if (!ok.needMerkle) {
    assert.deepEqual(ok.entries.map((e) => e.index), [1, 2, 3, 4, 5, 6]);
    assert.equal(ok.primaryLast, 6);
    assert.equal(ok.epoch, epoch);
  }
  assert.equal((await ask(7)).needMerkle, true, 'a position past the primary is not trusted');
  await r.wal.trim();
  assert.equal((await ask(1)).needMerkle, true, 'trimmed entries were served');
  const tail = await ask(3);
  assert.ok(!tail.needMerkle && tail.entries.length === 3);
  // A forced resync (paths filter changed) answers needMerkle once.
  m.resyncSecondary('s1');
  assert.equal((await ask(6)).needMerkle, true);
  assert.ok(!(await ask(6)).needMerkle);
  await m.stop();
});

test('wal.fetch long-polls until a new entry commits or waitMs passes', async () => {
  const { h, r, clock, m } = await setup();
  const epoch = r.wal.epoch;
  const got: { first?: WalFetchResponse; beat?: WalFetchResponse } = {};
  const poll = (h.handle(peer, 'wal.fetch', { after: 0, max: 10, waitMs: 5000, epoch }) as Promise<WalFetchResponse>).then((x) => (got.first = x));
  await new Promise((res) => setImmediate(res));
  assert.equal(got.first, undefined, 'answered before anything happened');
  await r.put('sys/policy/acl/new', Buffer.from('n'));
  const answered = await poll;
  assert.ok(!answered.needMerkle && answered.entries.length === 1);
  // With nothing new, the answer comes when the wait is over: a heartbeat.
  const idle = (h.handle(peer, 'wal.fetch', { after: 1, max: 10, waitMs: 5000, epoch }) as Promise<WalFetchResponse>).then((x) => (got.beat = x));
  await new Promise((res) => setImmediate(res));
  clock.advance(4999);
  await new Promise((res) => setImmediate(res));
  assert.equal(got.beat, undefined);
  clock.advance(1);
  const beat = await idle;
  assert.ok(!beat.needMerkle && beat.entries.length === 0 && beat.primaryLast === 1 && beat.primaryTime === clock.now());
  await m.stop();
});

test('kv.fetch never serves local keys, and a paths filter hides denied keys everywhere', async () => {
  const { h, r, m } = await setup();
  const got = (await h.handle(peer, 'kv.fetch', { keys: ['sys/token/id/secret', 'sys/policy/acl/before', 'sys/policy/acl/missing', 'wal/00000000000000000001', 'core/seal/root-key'] })) as { values: [string, string | null][] };
  assert.deepEqual(got.values, [
    ['sys/token/id/secret', null],
    ['sys/policy/acl/before', Buffer.from('b').toString('base64')],
    ['sys/policy/acl/missing', null],
    ['wal/00000000000000000001', null],
    ['core/seal/root-key', null],
  ]);

  m.setKeyFilter((id) => (id === 's1' ? (key) => !key.includes('hidden') : undefined));
  await r.put('sys/policy/acl/hidden', Buffer.from('h'));
  await r.put('sys/policy/acl/shown', Buffer.from('s'));
  const epoch = r.wal.epoch;
  const res = (await h.handle(peer, 'wal.fetch', { after: 0, max: 10, waitMs: 0, epoch })) as WalFetchResponse;
  assert.ok(!res.needMerkle);
  if (!res.needMerkle) {
    assert.deepEqual(res.entries.map((e) => [e.index, e.ops.map((o) => o.key)]), [[1, []], [2, ['sys/policy/acl/shown']]], 'indexes stay dense, denied ops are stripped');
  }
  const hidden = (await h.handle(peer, 'kv.fetch', { keys: ['sys/policy/acl/hidden'] })) as { values: [string, string | null][] };
  assert.deepEqual(hidden.values, [['sys/policy/acl/hidden', null]]);
  const root = (await h.handle(peer, 'merkle.root', {})) as { root: string };
  assert.notEqual(root.root, m.merkleRoot(), 'the filtered root should differ from the full one');
  const other = (await h.handle({ secondaryId: 's1' }, 'merkle.root', {})) as { root: string };
  assert.equal(other.root, root.root);
  await m.stop();
});

test('a pipelining peer (applied < after) is answered within ACK_WAIT_MS and acknowledged by its applied index', async () => {
  const { h, r, clock, m } = await setup();
  const epoch = r.wal.epoch;
  await r.put('sys/policy/acl/one', Buffer.from('1'));
  const got: { answer?: WalFetchResponse; beat?: WalFetchResponse } = {};
  // Received entry 1, still applying it: the primary must not hold this poll for the whole waitMs.
  const poll = (h.handle(peer, 'wal.fetch', { after: 1, applied: 0, max: 10, waitMs: 5000, epoch }) as Promise<WalFetchResponse>).then((x) => (got.answer = x));
  await new Promise((res) => setImmediate(res));
  const st = m.status();
  assert.ok(st.mode === 'primary' && st.secondaries[0]?.last_applied_wal === 0 && st.secondaries[0]?.lag_entries === 1, 'applied, not received, is acknowledged');
  clock.advance(ACK_WAIT_MS - 1);
  await new Promise((res) => setImmediate(res));
  assert.equal(got.answer, undefined);
  clock.advance(1);
  const answer = await poll;
  assert.ok(!answer.needMerkle && answer.entries.length === 0);
  // Its next fetch acknowledges entry 1; now the poll is a full long-poll again.
  const idle = (h.handle(peer, 'wal.fetch', { after: 1, applied: 1, max: 10, waitMs: 5000, epoch }) as Promise<WalFetchResponse>).then((x) => (got.beat = x));
  await new Promise((res) => setImmediate(res));
  const st2 = m.status();
  assert.ok(st2.mode === 'primary' && st2.secondaries[0]?.lag_entries === 0);
  clock.advance(ACK_WAIT_MS * 10);
  await new Promise((res) => setImmediate(res));
  assert.equal(got.beat, undefined, 'a caught-up peer waits the whole long-poll');
  await r.put('sys/policy/acl/two', Buffer.from('2'));
  const beat = await idle;
  assert.deepEqual(beat.needMerkle ? [] : beat.entries.map((e) => e.index), [2]);
  // applied above after is not believed.
  await assert.rejects(h.handle(peer, 'wal.fetch', { after: 1, applied: -1, max: 10, waitMs: 0, epoch }), rpcCode('bad-request'));
  await m.stop();
});

test('lastSettled: the highest finished index, without batches still committing', async () => {
  const { r, m } = await setup();
  const wal = r.wal;
  const base = wal.committed;
  const a = wal.allocate();
  const b = wal.allocate();
  const c = wal.allocate();
  wal.committedEntry({ index: c, time: 0, ops: [] }, 10);
  assert.equal(wal.committed, base, 'the watermark waits for a and b');
  assert.equal(wal.lastSettled, c, 'c was acknowledged: an answer that depends on it names c');
  assert.equal(wal.lastAllocated, c);
  const d = wal.allocate();
  assert.equal(wal.lastSettled, c, 'd is still committing');
  wal.committedEntry({ index: a, time: 0, ops: [] }, 10);
  wal.committedEntry({ index: b, time: 0, ops: [] }, 10);
  assert.equal(wal.committed, c);
  wal.committedEntry({ index: d, time: 0, ops: [] }, 10);
  assert.equal(wal.lastSettled, d);
  assert.equal(m.writeIndex(), d);
  await m.stop();
});
