/**
 * The secondary's stream loop, against a scripted link and applier: the next fetch is in flight
 * while a batch applies, batches apply one at a time in order, and a failed apply drops what
 * was fetched behind it and restarts from the applied index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/clock.js';
import type { Applier } from '../../src/replication/applier.js';
import type { AppliedPosition } from '../../src/replication/replication-state.js';
import type { PrimaryLink, RpcMethod, RpcRequest, RpcResponse, WalEntry, WalFetchRequest, WalFetchResponse } from '../../src/replication/transport.js';
import { SecondaryClient } from '../../src/replication/wal-client.js';
import { silentLogger } from '../../src/util/logger.js';

const EPOCH = 'e1';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const entries = (from: number, to: number): WalEntry[] => Array.from({ length: to - from + 1 }, (_, i) => ({ index: from + i, time: 1000 + from + i, ops: [] }));
const answer = (list: WalEntry[], primaryLast: number): WalFetchResponse => ({ entries: list, primaryLast, primaryTime: 5000, epoch: EPOCH });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A link whose fetches the test answers one by one; records each request and what was applying then. */
class ScriptedLink implements PrimaryLink {
  readonly fetches: { body: WalFetchRequest; applying: number; reply: Deferred<WalFetchResponse> }[] = [];
  constructor(private readonly applier: ScriptedApplier) {}
  call<M extends RpcMethod>(method: M, body: RpcRequest[M]): Promise<RpcResponse[M]> {
    assert.equal(method, 'wal.fetch');
    const reply = deferred<WalFetchResponse>();
    this.fetches.push({ body: body as WalFetchRequest, applying: this.applier.pending, reply });
    return reply.promise as Promise<RpcResponse[M]>;
  }
  close(): void {
    for (const f of this.fetches) f.reply.reject(new Error('closed'));
  }
}

/** An applier whose batches complete when the test says so. */
class ScriptedApplier {
  pos: AppliedPosition = { index: 0, epoch: EPOCH, syncing: false, time: 0 };
  readonly batches: { indexes: number[]; done: Deferred<void> }[] = [];
  pending = 0;
  get position(): AppliedPosition {
    return this.pos;
  }
  async applyEntries(list: readonly WalEntry[], epoch: string): Promise<number> {
    assert.equal(epoch, EPOCH);
    assert.equal(this.pending, 0, 'two batches applying at once');
    assert.equal(list[0]?.index, this.pos.index + 1, 'batches apply in order, without gaps');
    const done = deferred<void>();
    this.batches.push({ indexes: list.map((e) => e.index), done });
    this.pending++;
    try {
      await done.promise;
    } finally {
      this.pending--;
    }
    const last = list[list.length - 1] as WalEntry;
    this.pos = { ...this.pos, index: last.index, time: last.time };
    return list.length;
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await tick();
  assert.ok(cond(), what);
}

function start(): { client: SecondaryClient; link: ScriptedLink; applier: ScriptedApplier } {
  const applier = new ScriptedApplier();
  const link = new ScriptedLink(applier);
  const client = new SecondaryClient({ link, applier: applier as unknown as Applier, tree: () => undefined, clock: systemClock, logger: silentLogger, backoffMs: [1, 1], random: () => 0 });
  client.start();
  return { client, link, applier };
}

test('the next fetch is in flight while a batch applies; batches apply one at a time, in order', async () => {
  const { client, link, applier } = start();
  await until(() => link.fetches.length === 1, 'first fetch');
  assert.deepEqual({ after: link.fetches[0]!.body.after, applied: link.fetches[0]!.body.applied }, { after: 0, applied: 0 });
  link.fetches[0]!.reply.resolve(answer(entries(1, 3), 5));
  await until(() => link.fetches.length === 2, 'pipelined fetch');
  const second = link.fetches[1]!;
  assert.equal(second.applying, 1, 'fetched while batch 1..3 was applying');
  assert.deepEqual({ after: second.body.after, applied: second.body.applied }, { after: 3, applied: 0 }, 'asks past what it received, acknowledges what it applied');
  assert.ok(second.body.waitMs > 0, 'a long-poll');
  assert.equal(client.lag().entries, 5);
  // The answer arrives before the first batch is applied: it waits its turn.
  second.reply.resolve(answer(entries(4, 5), 5));
  for (let i = 0; i < 20; i++) await tick();
  assert.equal(applier.batches.length, 1);
  applier.batches[0]!.done.resolve();
  await until(() => applier.batches.length === 2, 'second batch');
  assert.deepEqual(applier.batches.map((b) => b.indexes), [[1, 2, 3], [4, 5]]);
  await until(() => link.fetches.length === 3, 'third fetch');
  assert.deepEqual({ after: link.fetches[2]!.body.after, applied: link.fetches[2]!.body.applied }, { after: 5, applied: 3 });
  applier.batches[1]!.done.resolve();
  // A stale or repeated answer applies nothing; an empty one at the primary's position means caught up.
  link.fetches[2]!.reply.resolve(answer(entries(4, 5), 5));
  await until(() => link.fetches.length === 4, 'fourth fetch');
  assert.equal(applier.batches.length, 2);
  assert.deepEqual({ after: link.fetches[3]!.body.after, applied: link.fetches[3]!.body.applied }, { after: 5, applied: 5 });
  assert.equal(client.stalenessMs(), 0);
  assert.equal(client.state, 'stream-wals');
  await client.stop();
});

test('stop() waits for the batch being applied', async () => {
  const { client, link, applier } = start();
  await until(() => link.fetches.length === 1, 'first fetch');
  link.fetches[0]!.reply.resolve(answer(entries(1, 2), 2));
  await until(() => applier.batches.length === 1 && link.fetches.length === 2, 'applying');
  let stopped = false;
  const stopping = client.stop().then(() => (stopped = true));
  for (let i = 0; i < 20; i++) await tick();
  assert.equal(stopped, false, 'stop returned with a batch still applying');
  applier.batches[0]!.done.resolve();
  await stopping;
  assert.equal(applier.pos.index, 2);
  assert.equal(client.state, 'idle');
});

test('a failed apply drops the answer fetched behind it and restarts from the applied index', async () => {
  const { client, link, applier } = start();
  await until(() => link.fetches.length === 1, 'first fetch');
  link.fetches[0]!.reply.resolve(answer(entries(1, 2), 4));
  await until(() => link.fetches.length === 2, 'pipelined fetch');
  link.fetches[1]!.reply.resolve(answer(entries(3, 4), 4));
  applier.batches[0]!.done.reject(new Error('disk full'));
  await until(() => link.fetches.length === 3, 'refetch');
  assert.equal(applier.batches.length, 1, 'entries 3..4 were not applied on top of a failed batch');
  assert.deepEqual({ after: link.fetches[2]!.body.after, applied: link.fetches[2]!.body.applied }, { after: 0, applied: 0 });
  link.fetches[2]!.reply.resolve(answer(entries(1, 4), 4));
  await until(() => applier.batches.length === 2, 'reapply');
  assert.deepEqual(applier.batches[1]!.indexes, [1, 2, 3, 4]);
  applier.batches[1]!.done.resolve();
  await until(() => applier.pos.index === 4, 'applied');
  await client.stop();
});
