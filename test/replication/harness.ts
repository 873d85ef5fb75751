/**
 * An in-process replication set: a primary and secondaries, each a real node (startNode, real
 * pipeline, barrier, replication layer) over its own physical store, connected by SimLinks.
 * Activation is done the way activation.ts does it in substance: the secondary receives the
 * primary's seal material and keyring, is registered, and is started with a link.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../src/clock.js';
import { DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL, type ServerConfig } from '../../src/config/server-config-types.js';
import type { Operation, Request, Response } from '../../src/logical/request.js';
import type { ClientTuning } from '../../src/replication/manager.js';
import { SimLink, type SimFaults } from '../../src/replication/sim-transport.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { BARRIER_CANARY, BARRIER_KEYRING, SEAL_CONFIG, SEAL_ROOT_KEY } from '../../src/storage/keys.js';
import type { BatchOp, Physical } from '../../src/storage/physical.js';
import { walkKeys } from '../../src/replication/key-walk.js';
import { silentLogger } from '../../src/util/logger.js';

export const ROOT = 'root';

/**
 * A Physical that can be "closed" or "crashed" without losing the store below it, so a test can
 * build new node objects over the same storage (a restart). After crash() every call fails and
 * nothing more reaches the store, as if the process had died.
 */
export class Reopenable implements Physical {
  private dead = false;
  constructor(readonly store: Physical) {}
  private check(): void {
    if (this.dead) throw new Error('node is gone');
  }
  crash(): void {
    this.dead = true;
  }
  async get(key: string): Promise<Buffer | undefined> {
    this.check();
    return this.store.get(key);
  }
  async put(key: string, value: Buffer): Promise<void> {
    this.check();
    return this.store.put(key, value);
  }
  async delete(key: string): Promise<void> {
    this.check();
    return this.store.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    this.check();
    return this.store.list(prefix);
  }
  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    this.check();
    return this.store.listPage(prefix, after, limit);
  }
  async batch(ops: readonly BatchOp[]): Promise<void> {
    this.check();
    return this.store.batch(ops);
  }
  async close(): Promise<void> {
    this.dead = true;
  }
}

export interface Cluster {
  node: RunningNode;
  /** The storage below this node (survives restarts). */
  readonly store: Physical;
  /** The wrapper the current node object uses. */
  handle: Reopenable;
  call(op: Operation, path: string, data?: Record<string, unknown>, token?: string): Promise<Response | undefined>;
}

export interface PrimaryCluster extends Cluster {
  readonly unsealKey: Buffer;
}

export interface SecondaryCluster extends Cluster {
  readonly id: string;
  link: SimLink;
  readonly faults: Partial<SimFaults>;
}

export interface SetOptions {
  readonly clock?: Clock;
  readonly retention?: { entries: number; bytes: number };
  readonly store?: () => Physical;
  /** The replication stanza's allow_forwarding_via_header (default false). */
  readonly allowForwardingViaHeader?: boolean;
}

function config(retention?: { entries: number; bytes: number }, allowForwardingViaHeader = false): ServerConfig {
  return {
    ...DEFAULT_TOP_LEVEL,
    storage: { type: 'inmem', options: {} },
    listeners: [],
    telemetry: DEFAULT_TELEMETRY,
    replication: { allowForwardingViaHeader, walRetentionEntries: retention?.entries ?? 100_000, walRetentionBytes: retention?.bytes ?? 256 * 1024 * 1024 },
    ignoredKeys: [],
  };
}

function caller(getNode: () => RunningNode, defaultToken: string): Cluster['call'] {
  let n = 0;
  return (op, path, data = {}, token = defaultToken) => {
    const req: Request = { id: `req-${++n}`, operation: op, path, data, clientToken: token, headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
    return getNode().pipeline.handle(req);
  };
}

/** Client tuning for tests: short long-polls and backoff so faults heal fast. */
export const FAST_CLIENT: ClientTuning = { waitMs: 200, backoffMs: [5, 50], batch: 200, merkle: { retryDelayMs: 5 } };

export class ReplicationSet {
  primary!: PrimaryCluster;
  readonly secondaries: SecondaryCluster[] = [];
  private seed = 1;

  constructor(private readonly opts: SetOptions = {}) {}

  private newStore(): Physical {
    return this.opts.store?.() ?? new InmemPhysical();
  }

  async startPrimary(store: Physical = this.newStore()): Promise<PrimaryCluster> {
    const handle = new Reopenable(store);
    const node = await startNode(config(this.opts.retention, this.opts.allowForwardingViaHeader), { logger: silentLogger, physical: handle, dev: { rootTokenId: ROOT }, ...(this.opts.clock ? { clock: this.opts.clock } : {}) });
    await node.core.replication.enablePrimary({ primaryClusterAddr: 'sim://primary' });
    const p: PrimaryCluster = { node, store, handle, unsealKey: node.dev!.unsealKey, call: caller(() => p.node, ROOT) };
    this.primary = p;
    return p;
  }

  /** Restart the primary over the same storage (after close() or crash()). */
  async restartPrimary(): Promise<void> {
    const p = this.primary;
    const handle = new Reopenable(p.store);
    const node = await startNode(config(this.opts.retention, this.opts.allowForwardingViaHeader), { logger: silentLogger, physical: handle, ...(this.opts.clock ? { clock: this.opts.clock } : {}) });
    await node.core.submitUnsealKey(p.unsealKey);
    p.node = node;
    p.handle = handle;
    // Every secondary reconnects to the new primary object, resuming from its applied position.
    for (const s of this.secondaries) {
      s.link = this.linkFor(s.id, s.faults);
      await s.node.core.replication.startSecondary(s.link);
    }
  }

  linkFor(id: string, faults: Partial<SimFaults>): SimLink {
    return new SimLink(this.primary.node.core.replication.rpcHandler(), { secondaryId: id }, { seed: this.seed++, faults: { ...faults } });
  }

  async addSecondary(id: string, faults: Partial<SimFaults> = {}, tuning: ClientTuning = FAST_CLIENT, store: Physical = this.newStore()): Promise<SecondaryCluster> {
    const pr = this.primary.node.core.replication;
    await pr.addSecondary(id);
    // What activation transfers: seal configuration, sealed root key, keyring and canary.
    const src = this.primary.store;
    for (const key of [SEAL_CONFIG, SEAL_ROOT_KEY, BARRIER_KEYRING, BARRIER_CANARY]) {
      const value = await src.get(key);
      assert.ok(value !== undefined, `primary has no ${key}`);
      await store.put(key, value);
    }
    const s = { id, store, faults, tuning } as unknown as SecondaryCluster & { tuning: ClientTuning };
    await this.bootSecondary(s, true);
    this.secondaries.push(s);
    return s;
  }

  /** Start a node object for a secondary over its storage; `activate` records it as new. */
  private async bootSecondary(s: SecondaryCluster & { tuning?: ClientTuning }, activate: boolean): Promise<void> {
    const handle = new Reopenable(s.store);
    const node = await startNode(config(this.opts.retention, this.opts.allowForwardingViaHeader), { logger: silentLogger, physical: handle, ...(this.opts.clock ? { clock: this.opts.clock } : {}) });
    node.core.replication.setClientTuning(s.tuning ?? FAST_CLIENT);
    s.link = this.linkFor(s.id, s.faults);
    node.core.replication.setSecondaryLinkFactory(async () => {
      s.link = this.linkFor(s.id, s.faults);
      return s.link;
    });
    const pr = this.primary.node.core.replication;
    if (activate) {
      await node.core.replication.startSecondary(s.link, { clusterId: pr.clusterId, secondaryId: s.id, primaryApiAddr: 'sim://primary-api', primaryClusterAddr: 'sim://primary' });
    }
    s.node = node;
    s.handle = handle;
    (s as { call: Cluster['call'] }).call = caller(() => s.node, `${ROOT}-${s.id}`);
    await node.core.submitUnsealKey(this.primary.unsealKey);
    // Tokens are local: the secondary issues its own root token for the tests' reads (once).
    if (activate) await node.core.tokens.createRoot({ id: `${ROOT}-${s.id}` });
  }

  /** Restart a secondary over the same storage (after close() or crash()). */
  async restartSecondary(s: SecondaryCluster): Promise<void> {
    await this.bootSecondary(s, false);
  }

  /** Wait until every running secondary has applied everything the primary committed. */
  async converge(timeoutMs = 20_000, which: readonly SecondaryCluster[] = this.secondaries): Promise<void> {
    await waitFor(
      () => {
        const last = this.primary.node.core.replication.lastIndex();
        return which.every((s) => {
          const r = s.node.core.replication;
          return r.lastIndex() >= last && r.secondaryClient?.state === 'stream-wals';
        });
      },
      timeoutMs,
      () => `secondaries did not converge: primary at ${this.primary.node.core.replication.lastIndex()}, ${which.map((s) => `${s.id}=${s.node.core.replication.lastIndex()}/${s.node.core.replication.secondaryClient?.state}`).join(', ')}`,
    );
  }

  /** Assert every secondary's replicated keyspace is byte-identical to the primary's, and roots equal. */
  async assertIdentical(which: readonly SecondaryCluster[] = this.secondaries): Promise<void> {
    const primary = await replicatedKeyspace(this.primary);
    assert.ok(primary.size > 0, 'the primary has no replicated keys');
    for (const s of which) {
      const secondary = await replicatedKeyspace(s, this.primary);
      const missing = [...primary.keys()].filter((k) => !secondary.has(k));
      const extra = [...secondary.keys()].filter((k) => !primary.has(k));
      assert.deepEqual(missing, [], `${s.id} lacks keys`);
      assert.deepEqual(extra, [], `${s.id} has keys the primary does not`);
      for (const [k, v] of primary) assert.ok(secondary.get(k)?.equals(v), `${s.id}: ${k} differs`);
      assert.equal(s.node.core.replication.merkleRoot(), this.primary.node.core.replication.merkleRoot(), `${s.id}: merkle roots differ`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.secondaries) await s.node.close().catch(() => undefined);
    await this.primary.node.close().catch(() => undefined);
  }
}

/** Every replicated key of a cluster's storage with its bytes, classified by `by` (default: itself). */
export async function replicatedKeyspace(c: Cluster, by: Cluster = c): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const physical = by.node.core.replication.physical;
  await walkKeys(c.store, '', () => false, async (key) => {
    if (!physical.isReplicated(key)) return;
    const v = await c.store.get(key);
    if (v !== undefined) out.set(key, v);
  });
  return out;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(message());
    await sleep(5);
  }
}

/** Write `n` KV v2 secrets at the primary under prefix; returns their paths and values. */
export async function writeSecrets(p: Cluster, mount: string, prefix: string, n: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const path = `${prefix}${i}`;
    const value = `${prefix}-value-${i}-${Math.random().toString(36).slice(2)}`;
    await p.call('update', `${mount}data/${path}`, { data: { value } });
    out.set(path, value);
  }
  return out;
}

/** Read a KV v2 secret's "value" through a cluster's pipeline. */
export async function readSecret(c: Cluster, mount: string, path: string): Promise<string | undefined> {
  const r = await c.call('read', `${mount}data/${path}`);
  const data = (r?.data as { data?: { value?: string } } | undefined)?.data;
  return data?.value;
}
