/**
 * Client-controlled consistency on a secondary (src/replication/consistency.ts), on in-process
 * clusters: X-Vault-Index waits then 412s, or succeeds once applied; X-Vault-Inconsistent and
 * X-Vault-Forward forward to the primary only with allow_forwarding_via_header;
 * X-Arca-Max-Staleness forwards a read while the secondary lags; the node's own requests
 * (sys/replication, tokens, cubbyhole) never leave it; transit's key cache follows a rotation.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArcaError, BadRequestError, PreconditionFailedError } from '../../src/errors.js';
import type { Operation, Request, Response } from '../../src/logical/request.js';
import { MISSING_STATE } from '../../src/replication/consistency.js';
import type { PrimaryLink, RpcMethod, RpcRequest, RpcResponse } from '../../src/replication/transport.js';
import { readSecret, ReplicationSet, ROOT, waitFor, type Cluster, type SecondaryCluster } from './harness.js';

/** A link whose WAL stream can be held (fetches and their answers), while other calls go through. */
class PausableLink implements PrimaryLink {
  paused = false;
  forwards = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly inner: PrimaryLink) {}

  async call<M extends RpcMethod>(method: M, body: RpcRequest[M]): Promise<RpcResponse[M]> {
    if (method === 'forward') this.forwards++;
    if (method !== 'wal.fetch') return this.inner.call(method, body);
    await this.hold();
    const answer = await this.inner.call(method, body);
    await this.hold();
    return answer;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    for (const wake of this.waiters.splice(0)) wake();
  }
  close(): void {
    this.resume();
    this.inner.close();
  }
  private async hold(): Promise<void> {
    while (this.paused) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

// Server timers are unref'd (a node's HTTP server keeps it alive); these tests have none.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

let n = 0;
function send(c: Cluster, token: string, op: Operation, path: string, opts: { data?: Record<string, unknown>; headers?: Record<string, string> } = {}): Promise<Response | undefined> {
  const req: Request = { id: `cons-${++n}`, operation: op, path, data: opts.data ?? {}, clientToken: token, headers: opts.headers ?? {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
  return c.node.pipeline.handle(req);
}

interface Fixture {
  set: ReplicationSet;
  s: SecondaryCluster;
  link: PausableLink;
  /** The secondary's own root token. */
  sroot: string;
}

async function fixture(allowForwardingViaHeader: boolean): Promise<Fixture> {
  const set = new ReplicationSet({ allowForwardingViaHeader });
  const p = await set.startPrimary();
  await p.call('update', 'secret/data/k', { data: { value: 'v1' } });
  const s = await set.addSecondary('s1');
  await set.converge();
  // Resume streaming over a link the test can hold.
  const link = new PausableLink(set.linkFor('s1', {}));
  await s.node.core.replication.startSecondary(link);
  await set.converge();
  return { set, s, link, sroot: `${ROOT}-s1` };
}

/** Write at the primary while the secondary's stream is held; returns the answer's X-Vault-Index. */
async function writeWhilePaused(f: Fixture, value: string): Promise<string> {
  f.link.pause();
  const w = await send(f.set.primary, ROOT, 'update', 'secret/data/k', { data: { data: { value } } });
  const index = w?.headers?.['X-Vault-Index'];
  assert.ok(index !== undefined && /^\d+$/.test(index), `no X-Vault-Index on a primary write: ${JSON.stringify(w?.headers)}`);
  return index;
}

function kvValue(r: Response | undefined): unknown {
  return (r?.data as { data?: { value?: unknown } } | undefined)?.data?.value;
}

const is412 = (err: unknown): boolean => err instanceof PreconditionFailedError && err.status === 412;

test('X-Vault-Index: a write answer carries it; a lagging secondary waits, then 412s with Vault text, or serves once applied', async () => {
  const f = await fixture(false);
  try {
    const p = f.set.primary;
    // Reads carry no index; writes (even 204s) do, and it covers the write's WAL entry.
    const read = await send(p, ROOT, 'read', 'secret/data/k');
    assert.equal(read?.headers?.['X-Vault-Index'], undefined);
    const del = await send(p, ROOT, 'update', 'sys/policies/acl/cons', { data: { policy: 'path "x" { capabilities = ["read"] }' } });
    assert.equal(del?.headers?.['X-Vault-Index'], String(p.node.core.replication.lastIndex()));

    const index = await writeWhilePaused(f, 'v2');
    assert.equal(Number(index), p.node.core.replication.lastIndex());
    const started = Date.now();
    await assert.rejects(send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-index': index } }), (err: unknown) => {
      assert.ok(is412(err), String(err));
      assert.equal((err as ArcaError).message, MISSING_STATE);
      return true;
    });
    assert.ok(Date.now() - started >= 1800, `412 came before the bounded wait (${Date.now() - started} ms)`);
    // Without the header the secondary serves its (stale) data at once.
    assert.equal(kvValue(await send(f.s, f.sroot, 'read', 'secret/data/k')), 'v1');

    // A request waiting on its index is answered as soon as the stream delivers it.
    const pending = send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-index': `${Number(index) - 1}, ${index}` } });
    await sleep(150);
    f.link.resume();
    assert.equal(kvValue(await pending), 'v2');
    assert.equal(f.link.forwards, 0, 'nothing was forwarded');
    // The primary itself is always at its own index.
    assert.equal(kvValue(await send(p, ROOT, 'read', 'secret/data/k', { headers: { 'x-vault-index': index } })), 'v2');
  } finally {
    await f.set.close();
  }
});

test('X-Vault-Inconsistent: forward-active-node and X-Vault-Forward: active-node need allow_forwarding_via_header', async () => {
  const off = await fixture(false);
  try {
    const index = await writeWhilePaused(off, 'v2');
    // Ignored without the flag: X-Vault-Forward serves locally, forward-active-node still 412s.
    assert.equal(kvValue(await send(off.s, off.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-forward': 'active-node' } })), 'v1');
    await assert.rejects(send(off.s, off.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-index': index, 'x-vault-inconsistent': 'forward-active-node' } }), is412);
    assert.equal(off.link.forwards, 0);
  } finally {
    await off.set.close();
  }

  const on = await fixture(true);
  try {
    const index = await writeWhilePaused(on, 'v2');
    const started = Date.now();
    const r = await send(on.s, on.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-index': index, 'x-vault-inconsistent': 'forward-active-node' } });
    assert.equal(kvValue(r), 'v2', 'answered by the primary');
    assert.ok(Date.now() - started < 1500, 'forwarded at once, not after the wait');
    assert.equal(on.link.forwards, 1);
    assert.equal(on.s.node.core.replication.lastIndex() < Number(index), true, 'the secondary still has not applied it');
    // An index already reached is served here even with the header.
    const old = await send(on.s, on.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-index': '1', 'x-vault-inconsistent': 'forward-active-node' } });
    assert.equal(kvValue(old), 'v1');
    assert.equal(on.link.forwards, 1);

    const fwd = await send(on.s, on.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-forward': 'active-node' } });
    assert.equal(kvValue(fwd), 'v2');
    assert.equal(on.link.forwards, 2);
    assert.match(fwd?.headers?.['X-Vault-Index'] ?? '', /^\d+$/, 'a forwarded answer names the primary index it reflects');

    // A forwarded write still waits until it is visible here (read-your-writes).
    on.link.resume();
    await on.set.converge();
    const w = await send(on.s, on.sroot, 'update', 'secret/data/k2', { data: { data: { value: 'w' } }, headers: { 'x-vault-forward': 'active-node' } });
    assert.match(w?.headers?.['X-Vault-Index'] ?? '', /^\d+$/);
    assert.equal(await readSecret(on.s, 'secret/', 'k2'), 'w');
  } finally {
    await on.set.close();
  }
});

test('the node\'s own requests are never forwarded: sys/replication, tokens, cubbyhole, local mounts', async () => {
  const f = await fixture(true);
  try {
    await writeWhilePaused(f, 'v2');
    const forward = { 'x-vault-forward': 'active-node' };
    const st = await send(f.s, f.sroot, 'read', 'sys/replication/status', { headers: { ...forward, 'x-vault-index': '999999' } });
    assert.equal((st?.data as { performance?: { mode?: string } })?.performance?.mode, 'secondary', 'answered by the secondary, at once');
    const perf = await send(f.s, f.sroot, 'read', 'sys/replication/performance/status', { headers: forward });
    assert.equal((perf?.data as { mode?: string })?.mode, 'secondary');
    // The secondary's token is unknown at the primary: a forwarded lookup-self would not be this one.
    const self = await send(f.s, f.sroot, 'read', 'auth/token/lookup-self', { headers: forward });
    assert.equal((self?.data as { id?: string })?.id, f.sroot);
    const created = await send(f.s, f.sroot, 'update', 'auth/token/create', { data: { policies: ['default'] }, headers: forward });
    assert.ok(created?.auth?.clientToken !== undefined);
    await send(f.s, f.sroot, 'update', 'cubbyhole/mine', { data: { x: 'local' }, headers: forward });
    assert.equal((await send(f.s, f.sroot, 'read', 'cubbyhole/mine'))?.data?.['x'], 'local');
    await send(f.s, f.sroot, 'update', 'sys/mounts/scratch', { data: { type: 'kv', local: true }, headers: forward });
    await send(f.s, f.sroot, 'update', 'scratch/a', { data: { x: 1 }, headers: forward });
    assert.equal((await send(f.s, f.sroot, 'read', 'scratch/a', { headers: forward }))?.data?.['x'], 1);
    assert.equal(await f.set.primary.node.core.router.match('scratch/a'), undefined, 'the local mount was not made at the primary');
    assert.equal(f.link.forwards, 0);
  } finally {
    await f.set.close();
  }
});

test('X-Arca-Max-Staleness: a lagging secondary forwards reads beyond the bound, serves within it; lag in ms in status', async () => {
  const f = await fixture(false);
  try {
    const r = f.s.node.core.replication;
    const st0 = r.status();
    assert.ok(st0.mode === 'secondary' && st0.lag_ms === 0, 'caught up: no lag');
    assert.equal(kvValue(await send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-arca-max-staleness': '0s' } })), 'v1');
    assert.equal(f.link.forwards, 0, 'caught up with a live stream: served here even with a zero bound');

    await writeWhilePaused(f, 'v2');
    await waitFor(() => r.stalenessMs() > 1000, 10_000, () => `staleness never grew (${r.stalenessMs()})`);
    const st = r.status();
    assert.ok(st.mode === 'secondary' && st.lag_ms > 1000, `status lag_ms ${JSON.stringify(st)}`);
    // Beyond the bound: the primary answers (not gated by allow_forwarding_via_header: our header).
    assert.equal(kvValue(await send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-arca-max-staleness': '500ms' } })), 'v2');
    assert.equal(f.link.forwards, 1);
    // Within the bound: served here, stale.
    assert.equal(kvValue(await send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-arca-max-staleness': '1h' } })), 'v1');
    assert.equal(f.link.forwards, 1);
    // Writes and the node's own data ignore it.
    await send(f.s, f.sroot, 'update', 'cubbyhole/c', { data: { x: 1 }, headers: { 'x-arca-max-staleness': '1ms' } });
    assert.equal(f.link.forwards, 1);

    f.link.resume();
    await f.set.converge();
    await waitFor(() => r.stalenessMs() === 0, 5_000, () => `staleness did not return to 0 (${r.stalenessMs()})`);
    assert.equal(kvValue(await send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-arca-max-staleness': '500ms' } })), 'v2');
    assert.equal(f.link.forwards, 1, 'caught up: served here');
  } finally {
    await f.set.close();
  }
});

test('X-Arca-Max-Staleness with no way to the primary is a 412, not a silent stale read', async () => {
  const f = await fixture(false);
  try {
    await f.s.node.core.replication.stopSecondary();
    await assert.rejects(send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-arca-max-staleness': '10s' } }), (err: unknown) => {
      assert.ok(is412(err));
      assert.match((err as Error).message, /X-Arca-Max-Staleness/);
      return true;
    });
  } finally {
    await f.set.close();
  }
});

test('malformed consistency headers are 400s', async () => {
  const f = await fixture(true);
  try {
    const bad: Record<string, string>[] = [
      { 'x-vault-index': 'abc' },
      { 'x-vault-index': '12, -3' },
      { 'x-vault-index': '1'.repeat(40) },
      { 'x-vault-inconsistent': 'sometimes' },
      { 'x-vault-forward': 'elsewhere' },
      { 'x-arca-max-staleness': 'soon' },
      { 'x-arca-max-staleness': '-5s' },
    ];
    for (const headers of bad) {
      await assert.rejects(send(f.s, f.sroot, 'read', 'secret/data/k', { headers }), (err: unknown) => err instanceof BadRequestError, JSON.stringify(headers));
    }
    assert.equal(f.link.forwards, 0);
  } finally {
    await f.set.close();
  }
});

test('transit: a key rotated at the primary encrypts with the new version at the secondary right after apply', async () => {
  const set = new ReplicationSet();
  try {
    const p = await set.startPrimary();
    await p.call('update', 'sys/mounts/transit', { type: 'transit' });
    await p.call('update', 'transit/keys/app', {});
    const s = await set.addSecondary('s1');
    await set.converge();
    const enc = async (c: Cluster): Promise<string> => {
      const r = await c.call('update', 'transit/encrypt/app', { plaintext: Buffer.from('hello').toString('base64') });
      return String(r?.data?.['ciphertext']);
    };
    // The secondary caches the key on first use.
    assert.match(await enc(s), /^vault:v1:/);
    await p.call('update', 'transit/keys/app/rotate', {});
    await set.converge();
    const ct = await enc(s);
    assert.match(ct, /^vault:v2:/, 'the cached key was dropped when its record was applied');
    const back = await p.call('update', 'transit/decrypt/app', { ciphertext: ct });
    assert.equal(Buffer.from(String(back?.data?.['plaintext']), 'base64').toString(), 'hello');
    const key = await s.call('read', 'transit/keys/app');
    assert.equal(key?.data?.['latest_version'], 2);
  } finally {
    await set.close();
  }
});

/** Writes this node's replication layer refused as read-only (a handler that ran here and tried to write). */
function countRefusals(c: Cluster): string[] {
  const physical = c.node.core.replication.physical;
  const refused: string[] = [];
  const batch = physical.batch;
  physical.batch = (ops) =>
    batch.call(physical, ops).catch((err: unknown) => {
      if (err instanceof ArcaError && err.constructor.name === 'ReadOnlyError') refused.push(...ops.map((op) => op.key));
      throw err;
    });
  return refused;
}

test('a KV write at a secondary goes to the primary without running there: check-and-set is judged on the primary\'s data', async () => {
  const f = await fixture(false);
  try {
    await f.set.primary.call('update', 'sys/mounts/kv1', { type: 'kv' });
    await f.set.converge();
    // The primary moves k to version 2 while the secondary's stream is held: its copy still says 1.
    await writeWhilePaused(f, 'v2');
    const refused = countRefusals(f.s);
    const before = f.link.forwards;
    const pending = send(f.s, f.sroot, 'update', 'secret/data/k', { data: { options: { cas: 2 }, data: { value: 'v3' } } });
    // Run locally, the write would have failed its check-and-set against the stale copy, unforwarded.
    await waitFor(async () => f.link.forwards > before, 3000, () => 'the write was not forwarded');
    f.link.resume();
    const w = await pending;
    assert.equal((w?.data as { version?: number } | undefined)?.version, 3);
    assert.equal(await readSecret(f.s, 'secret/', 'k'), 'v3', 'read-your-writes at the secondary');
    // KV v1 likewise; neither handler ran at the secondary, so nothing there was refused.
    await send(f.s, f.sroot, 'update', 'kv1/a', { data: { x: 'from-secondary' } });
    assert.equal((await f.set.primary.call('read', 'kv1/a'))?.data?.['x'], 'from-secondary');
    assert.deepEqual(refused, []);
    // A write no backend declares (transit) still runs here first, is refused, and is forwarded.
    await send(f.s, f.sroot, 'update', 'sys/mounts/transit', { data: { type: 'transit' } });
    await f.set.converge();
    await send(f.s, f.sroot, 'update', 'transit/keys/k1', {});
    assert.ok(refused.length > 0, 'the transit key write ran at the secondary first');
    assert.equal(((await f.set.primary.call('read', 'transit/keys/k1'))?.data as { latest_version?: number } | undefined)?.latest_version, 1);
  } finally {
    await f.set.close();
  }
});

test('X-Vault-Index stays monotonic across a promotion: the new log continues where the promoted node was', async () => {
  const f = await fixture(false);
  try {
    const w = await send(f.set.primary, ROOT, 'update', 'secret/data/k', { data: { data: { value: 'before' } } });
    const before = Number(w?.headers?.['X-Vault-Index']);
    await f.set.converge();
    await f.set.primary.node.core.replication.demote();
    await f.s.node.core.replication.promote();
    // An index handed out by the old primary is already reached at the promoted node: served, no wait.
    const started = Date.now();
    const r = await send(f.s, f.sroot, 'read', 'secret/data/k', { headers: { 'x-vault-index': String(before) } });
    assert.equal(kvValue(r), 'before');
    assert.ok(Date.now() - started < 1000, 'the old index was treated as not yet reached');
    // The promoted node's own writes answer with larger indexes than any the old primary gave.
    const after = await send(f.s, f.sroot, 'update', 'secret/data/k', { data: { data: { value: 'after' } } });
    assert.ok(Number(after?.headers?.['X-Vault-Index']) > before, `${after?.headers?.['X-Vault-Index']} <= ${before}`);
  } finally {
    await f.set.close();
  }
});

test('a write sent ahead from a secondary is still judged create-or-update where the caller\'s ACL tells them apart', async () => {
  const f = await fixture(false);
  try {
    const p = f.set.primary;
    await p.call('update', 'sys/policy/update-only', { policy: 'path "secret/data/*" { capabilities = ["update", "read"] }' });
    await p.call('update', 'sys/policy/create-only', { policy: 'path "secret/data/*" { capabilities = ["create", "read"] }' });
    await p.call('update', 'sys/policy/both', { policy: 'path "secret/data/*" { capabilities = ["create", "update", "read"] }' });
    await f.set.converge();
    const token = async (policy: string): Promise<string> =>
      String((await send(f.s, f.sroot, 'update', 'auth/token/create', { data: { policies: [policy] } }))?.auth?.clientToken);
    const [updateOnly, createOnly, both] = [await token('update-only'), await token('create-only'), await token('both')];
    const write = (tok: string, key: string): Promise<Response | undefined> => send(f.s, tok, 'update', `secret/data/${key}`, { data: { data: { value: key } } });
    const denied = (err: unknown): boolean => err instanceof ArcaError && err.status === 403;

    // "k" exists (the fixture wrote it); "fresh" does not.
    await assert.rejects(write(updateOnly, 'fresh'), denied, 'update-only may not create');
    assert.ok((await write(updateOnly, 'k')) !== undefined, 'update-only may update');
    await assert.rejects(write(createOnly, 'k'), denied, 'create-only may not update');
    assert.ok((await write(createOnly, 'fresh')) !== undefined, 'create-only may create');
    assert.ok((await write(both, 'fresh2')) !== undefined);
    assert.ok((await write(both, 'k')) !== undefined);
    assert.equal(await readSecret(f.set.primary, 'secret/', 'fresh'), 'fresh');
  } finally {
    await f.set.close();
  }
});
