/**
 * The ReplicationManager: one node's replication, as the rest of Arca sees it. It owns the
 * persisted state (mode, cluster id, applied position, registry of secondaries), switches the
 * ReplicatedPhysical's mode, keeps the Merkle tree built while unsealed, serves the primary side
 * (rpcHandler) and runs the secondary side (SecondaryClient over a PrimaryLink).
 *
 * Lifecycle (core.ts): `load()` when the node starts (sealed is fine: the state is plaintext),
 * `start()` after unseal once the mount tables are loaded (the classifier needs them to index),
 * `stop()` before seal. The activation and endpoint code (activation.ts, replication-paths.ts)
 * calls the rest: enablePrimary, addSecondary/revokeSecondary, wipeForSecondary + startSecondary,
 * promote, demote, disable, status.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { BadRequestError } from '../errors.js';
import { REPLICATION_PREFIX, REPLICATION_SECONDARIES_PREFIX, REPLICATION_WAL_META } from '../storage/keys.js';
import type { Logger } from '../util/logger.js';
import { Applier, NO_HOOKS, type InvalidationHooks } from './applier.js';
import { scanReplicated, walkKeys } from './key-walk.js';
import { MerkleTree } from './merkle.js';
import { DISABLED_STATE, INITIAL_POSITION, ReplicationStateStore, type PersistedState, type SecondaryRecord } from './replication-state.js';
import { buildStatus } from './manager-status.js';
import type { ReplicationStatus } from './status.js';
import type { MethodHandler, PeerIdentity, PrimaryLink, RpcHandler, RpcMethod } from './transport.js';
import { SecondaryClient, type SecondaryClientOptions } from './wal-client.js';
import type { ReplicatedPhysical, ReplicationMode } from './wal-physical.js';
import { WalServer, type KeyFilter, type WalServerLimits } from './wal-server.js';

export type ClientTuning = Omit<SecondaryClientOptions, 'link' | 'applier' | 'tree' | 'clock' | 'logger'>;

export interface ReplicationManagerOptions {
  readonly physical: ReplicatedPhysical;
  /** The barrier, whose read cache must forget keys the applier writes below it. */
  readonly barrier: { invalidate(keys: Iterable<string>): void };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly hooks?: InvalidationHooks;
  readonly client?: ClientTuning;
  readonly serverLimits?: Partial<WalServerLimits>;
  /** A secondary that fetched within this window counts as connected (default 30 s). */
  readonly heartbeatWindowMs?: number;
}

/** What a secondary records when it is activated (or pointed at a new primary). */
export interface SecondaryActivation {
  readonly clusterId: string;
  readonly secondaryId: string;
  readonly primaryApiAddr: string;
  readonly primaryClusterAddr: string;
}

export class ReplicationManager {
  readonly physical: ReplicatedPhysical;
  private readonly store: ReplicationStateStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private hooks: InvalidationHooks;
  private stateNow: PersistedState = DISABLED_STATE;
  private readonly registry = new Map<string, SecondaryRecord>();
  private readonly applier: Applier;
  private readonly server: WalServer;
  private client: SecondaryClient | undefined;
  /** A link handed to startSecondary while the tree could not be built yet (sealed). */
  private pendingLink: PrimaryLink | undefined;
  private linkFactory: (() => Promise<PrimaryLink>) | undefined;
  private keyFilter: ((secondaryId: string) => KeyFilter | undefined) | undefined;
  private running = false;
  private readonly heartbeatWindowMs: number;
  private clientTuning: ClientTuning;

  constructor(private readonly opts: ReplicationManagerOptions) {
    this.physical = opts.physical;
    this.store = new ReplicationStateStore(opts.physical);
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.hooks = opts.hooks ?? NO_HOOKS;
    this.heartbeatWindowMs = opts.heartbeatWindowMs ?? 30_000;
    this.clientTuning = opts.client ?? {};
    // The applier calls through to whatever hooks are set now (setHooks may come later).
    const hooks: InvalidationHooks = {
      ready: () => this.hooks.ready(),
      reloadKeyring: () => this.hooks.reloadKeyring(),
      reloadMounts: () => this.hooks.reloadMounts(),
      invalidatePolicy: (name) => this.hooks.invalidatePolicy(name),
      invalidateIdentity: (key) => this.hooks.invalidateIdentity(key),
      invalidateMountData: (key) => this.hooks.invalidateMountData(key),
    };
    this.applier = new Applier(opts.physical, this.store, opts.barrier, hooks, opts.logger, INITIAL_POSITION);
    this.server = new WalServer({
      physical: opts.physical,
      clock: opts.clock,
      logger: opts.logger,
      isAllowed: (peer) => this.isSecondaryAllowed(peer.secondaryId),
      keyFilter: (peer) => this.keyFilter?.(peer.secondaryId),
      ...(opts.serverLimits ? { limits: opts.serverLimits } : {}),
    });
  }

  /** Long-poll, batch and backoff settings of the secondary client (applies from its next start). */
  setClientTuning(tuning: ClientTuning): void {
    this.clientTuning = tuning;
  }

  /** Set the cache hooks (the core wires them after constructing its stores). */
  setHooks(hooks: InvalidationHooks): void {
    this.hooks = hooks;
  }

  get mode(): ReplicationMode {
    return this.stateNow.mode;
  }

  get persisted(): PersistedState {
    return this.stateNow;
  }

  get clusterId(): string {
    return this.stateNow.clusterId;
  }

  /** The secondary's state machine, when one runs (status, lag, tests). */
  get secondaryClient(): SecondaryClient | undefined {
    return this.client;
  }

  /** Read the persisted state and set the storage mode. Call once when the node starts. */
  async load(): Promise<void> {
    this.stateNow = await this.store.loadState();
    this.registry.clear();
    for (const rec of await this.store.loadSecondaries()) this.registry.set(rec.id, rec);
    this.applier.reset(await this.store.loadPosition());
    if (this.stateNow.mode === 'primary') await this.physical.wal.open();
    this.physical.setMode(this.stateNow.mode);
  }

  /** After unseal (mount tables loaded): index the replicated keyspace; start streaming on a secondary. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.stateNow.mode === 'disabled') return;
    await this.buildTree();
    if (this.stateNow.mode === 'primary' && !this.stateNow.demoted) this.physical.wal.startTrimmer();
    if (this.stateNow.mode === 'secondary' && this.client === undefined) {
      const link = this.pendingLink ?? (this.linkFactory === undefined ? undefined : await this.linkFactory());
      this.pendingLink = undefined;
      if (link !== undefined) this.runClient(link);
    }
  }

  /** Before seal: stop streaming and the trimmer, drop the tree (rebuilt at the next start). */
  async stop(): Promise<void> {
    this.running = false;
    await this.stopSecondary();
    await this.physical.wal.stop();
    this.server.wakeAll();
    this.physical.setMerkle(undefined);
  }

  // ---- primary -------------------------------------------------------------------------

  /** Become a primary: a new cluster id and a new WAL; existing data is indexed for Merkle catch-up. */
  async enablePrimary(opts: { primaryClusterAddr?: string; clusterId?: string } = {}): Promise<void> {
    if (this.stateNow.mode !== 'disabled') throw new BadRequestError(`cannot enable primary: this cluster is already a performance ${this.stateNow.mode}`);
    await this.physical.wal.reset();
    await this.saveState({ ...DISABLED_STATE, mode: 'primary', clusterId: opts.clusterId ?? randomUUID(), primaryClusterAddr: opts.primaryClusterAddr ?? '', reindexEpoch: this.stateNow.reindexEpoch });
    this.physical.setMode('primary');
    if (this.running) {
      await this.buildTree();
      this.physical.wal.startTrimmer();
    }
    this.logger.info('replication: performance primary enabled', { clusterId: this.stateNow.clusterId });
  }

  /** The primary's RPC handler (wal.fetch, merkle.*, kv.fetch and registered methods). */
  rpcHandler(): RpcHandler {
    return {
      handle: async (peer: PeerIdentity, method: RpcMethod, body: unknown) => {
        const out = await this.server.handle(peer, method, body);
        const rec = this.registry.get(peer.secondaryId);
        if (rec?.status === 'pending' && method === 'wal.fetch') await this.putSecondary({ ...rec, status: 'active' });
        return out;
      },
    };
  }

  /** Serve another RPC method on the primary (activate, forward, identity.ensure-alias). */
  registerMethod<M extends RpcMethod>(method: M, handler: MethodHandler<M>): void {
    this.server.register(method, handler);
  }

  /** Register a secondary id (pending until it first fetches). Re-adding a revoked id makes it pending again. */
  async addSecondary(id: string, info: { apiAddr?: string; clusterAddr?: string } = {}): Promise<SecondaryRecord> {
    if (id === '') throw new BadRequestError('secondary id must not be empty');
    const rec: SecondaryRecord = { id, status: 'pending', createdAt: this.clock.now(), apiAddr: info.apiAddr ?? '', clusterAddr: info.clusterAddr ?? '' };
    await this.putSecondary(rec);
    return rec;
  }

  /** Revoke a secondary: refused from its next call on, and forgotten by the WAL server. */
  async revokeSecondary(id: string): Promise<void> {
    const rec = this.registry.get(id);
    if (rec === undefined) return;
    await this.putSecondary({ ...rec, status: 'revoked' });
    this.server.forget(id);
  }

  /** Update what is known of a secondary's addresses (activation learns them). */
  async updateSecondary(id: string, info: { apiAddr?: string; clusterAddr?: string }): Promise<void> {
    const rec = this.registry.get(id);
    if (rec !== undefined) await this.putSecondary({ ...rec, ...(info.apiAddr !== undefined ? { apiAddr: info.apiAddr } : {}), ...(info.clusterAddr !== undefined ? { clusterAddr: info.clusterAddr } : {}) });
  }

  secondary(id: string): SecondaryRecord | undefined {
    return this.registry.get(id);
  }

  secondaries(): SecondaryRecord[] {
    return [...this.registry.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Known and not revoked: the check the cluster listener makes on every request. */
  isSecondaryAllowed(id: string): boolean {
    const rec = this.registry.get(id);
    return rec !== undefined && rec.status !== 'revoked';
  }

  /** Install the paths-filter lookup (true = the key may go to that secondary). */
  setKeyFilter(filter: ((secondaryId: string) => KeyFilter | undefined) | undefined): void {
    this.keyFilter = filter;
  }

  /** A secondary's filter changed: its next fetch is answered needMerkle, removing newly denied data. */
  resyncSecondary(id: string): void {
    this.server.requireMerkle(id);
  }

  // ---- secondary -----------------------------------------------------------------------

  /** How a restarted secondary reconnects after unseal (activation.ts builds the mTLS link). */
  setSecondaryLinkFactory(factory: (() => Promise<PrimaryLink>) | undefined): void {
    this.linkFactory = factory;
  }

  /**
   * Delete every key but replication bookkeeping (activation, before adopting the primary's
   * keyring). The node must be resealed/restarted afterwards: its caches describe the old data.
   */
  async wipeForSecondary(): Promise<void> {
    await this.stopSecondary();
    await this.physical.wal.stop();
    this.physical.setMode('secondary');
    const inner = this.physical.inner;
    let keys: string[] = [];
    const flush = async (): Promise<void> => {
      if (keys.length === 0) return;
      await inner.batch(keys.map((key) => ({ type: 'delete' as const, key })));
      this.opts.barrier.invalidate(keys);
      keys = [];
    };
    await walkKeys(inner, '', (folder) => folder === REPLICATION_PREFIX, async (key) => {
      keys.push(key);
      if (keys.length >= 500) await flush();
    });
    await flush();
    for (const name of await inner.list(REPLICATION_SECONDARIES_PREFIX)) await inner.delete(REPLICATION_SECONDARIES_PREFIX + name);
    await inner.delete(REPLICATION_WAL_META);
    this.registry.clear();
    await this.store.savePosition(INITIAL_POSITION);
    this.applier.reset(INITIAL_POSITION);
    await this.saveState({ ...DISABLED_STATE, mode: 'secondary' });
    // The replicated keyspace is now empty, and the tree says so.
    this.physical.setMerkle(new MerkleTree());
    this.logger.info('replication: storage wiped for secondary activation');
  }

  /**
   * Stream from a primary over `link`. With `activation` this is a new primary for this node
   * (enable or update-primary): the ids are recorded and the next sync starts by Merkle diff.
   * Without it the node resumes from its applied position. If the tree cannot be built yet
   * (sealed), the link is kept and streaming starts at `start()`.
   */
  async startSecondary(link: PrimaryLink, activation?: SecondaryActivation): Promise<void> {
    if (this.stateNow.mode === 'primary' && !this.stateNow.demoted) throw new BadRequestError('cannot enable secondary: this cluster is a performance primary');
    await this.stopSecondary();
    if (activation !== undefined) {
      await this.saveState({ ...DISABLED_STATE, mode: 'secondary', clusterId: activation.clusterId, secondaryId: activation.secondaryId, primaryApiAddr: activation.primaryApiAddr, primaryClusterAddr: activation.primaryClusterAddr, reindexEpoch: this.stateNow.reindexEpoch });
      const pos = { ...INITIAL_POSITION };
      await this.store.savePosition(pos);
      this.applier.reset(pos);
    } else if (this.stateNow.mode !== 'secondary') {
      throw new BadRequestError('this cluster is not a performance secondary');
    }
    this.physical.setMode('secondary');
    if (this.physical.merkle === undefined && !this.running) {
      this.pendingLink = link;
      return;
    }
    if (this.physical.merkle === undefined) await this.buildTree();
    this.runClient(link);
  }

  /** Stop streaming (the mode stays secondary). */
  async stopSecondary(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.pendingLink?.close();
    this.pendingLink = undefined;
    await client?.stop();
  }

  /** Force a Merkle catch-up (sys/replication/recover on a secondary). */
  requestMerkleSync(): void {
    this.client?.requestMerkle();
  }

  // ---- transitions ---------------------------------------------------------------------

  /** A secondary (or demoted primary) becomes the primary of the set: same cluster id, new WAL epoch. */
  async promote(opts: { primaryClusterAddr?: string } = {}): Promise<void> {
    if (this.stateNow.mode !== 'secondary') throw new BadRequestError('cannot promote: this cluster is not a performance secondary');
    await this.stopSecondary();
    // The new log continues the numbering this node had applied (X-Vault-Index stays monotonic).
    await this.physical.wal.reset(this.applier.position.index + 1);
    await this.saveState({ ...this.stateNow, mode: 'primary', demoted: false, primaryClusterAddr: opts.primaryClusterAddr ?? '', primaryApiAddr: '', secondaryId: '' });
    this.physical.setMode('primary');
    if (this.running) {
      if (this.physical.merkle === undefined) await this.buildTree();
      this.physical.wal.startTrimmer();
    }
  }

  /** A primary stops accepting replicated writes and waits to follow a new primary (update-primary). */
  async demote(): Promise<void> {
    if (this.stateNow.mode !== 'primary') throw new BadRequestError('cannot demote: this cluster is not a performance primary');
    await this.physical.wal.stop();
    await this.saveState({ ...this.stateNow, mode: 'secondary', demoted: true });
    const pos = { ...INITIAL_POSITION };
    await this.store.savePosition(pos);
    this.applier.reset(pos);
    this.physical.setMode('secondary');
    this.server.wakeAll();
  }

  /** Leave replication. Data stays; a primary's WAL and registry go. */
  async disable(): Promise<void> {
    if (this.stateNow.mode === 'disabled') return;
    await this.stopSecondary();
    await this.physical.wal.stop();
    if (this.stateNow.mode === 'primary') await this.physical.wal.reset();
    for (const id of [...this.registry.keys()]) await this.store.deleteSecondary(id);
    this.registry.clear();
    await this.saveState({ ...DISABLED_STATE, reindexEpoch: this.stateNow.reindexEpoch });
    this.physical.setMode('disabled');
    this.physical.setMerkle(undefined);
    this.server.wakeAll();
  }

  /** Rebuild the Merkle tree from storage (sys/replication/reindex). */
  async reindex(): Promise<void> {
    if (this.stateNow.mode === 'disabled') throw new BadRequestError('replication is not enabled');
    await this.buildTree();
    await this.saveState({ ...this.stateNow, reindexEpoch: this.stateNow.reindexEpoch + 1 });
  }

  // ---- positions and status ------------------------------------------------------------

  /** Primary: its committed WAL index. Secondary: its applied index. */
  lastIndex(): number {
    if (this.stateNow.mode === 'primary') return this.physical.wal.committed;
    if (this.stateNow.mode === 'secondary') return this.applier.position.index;
    return 0;
  }

  /**
   * The index a write answered now is complete at, for its X-Vault-Index and a forwarded write's
   * wait: on a primary the highest settled WAL index (the write's own entry settled before it was
   * acknowledged, while the committed watermark could still be short of it behind a slower
   * batch; batches still committing are not waited for); elsewhere lastIndex().
   */
  writeIndex(): number {
    return this.stateNow.mode === 'primary' ? Math.max(this.physical.wal.committed, this.physical.wal.lastSettled) : this.lastIndex();
  }

  /** How stale this node's replicated data may be, ms: 0 unless a secondary (see SecondaryClient.stalenessMs). */
  stalenessMs(): number {
    if (this.stateNow.mode !== 'secondary') return 0;
    return this.client?.stalenessMs() ?? Number.POSITIVE_INFINITY;
  }

  /** Resolve true once lastIndex() >= index, false after timeoutMs (read-your-writes, X-Vault-Index). */
  waitForIndex(index: number, timeoutMs: number): Promise<boolean> {
    if (this.lastIndex() >= index) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.lastIndex() >= index) finish(true);
      };
      const offWal = this.physical.wal.onCommitted(check);
      const offApplied = this.applier.onApplied(check);
      const cancel = this.clock.setTimer(timeoutMs, () => finish(this.lastIndex() >= index));
      let done = false;
      function finish(ok: boolean): void {
        if (done) return;
        done = true;
        offWal();
        offApplied();
        cancel();
        resolve(ok);
      }
    });
  }

  merkleRoot(): string {
    return this.physical.merkle?.root() ?? '';
  }

  status(): ReplicationStatus {
    return buildStatus({
      state: this.stateNow,
      now: this.clock.now(),
      heartbeatWindowMs: this.heartbeatWindowMs,
      merkleRoot: this.merkleRoot(),
      wal: this.physical.wal,
      secondaries: this.secondaries(),
      activity: this.server.peers(),
      client: this.client,
      applied: this.applier.position,
    });
  }

  // ---- internals -----------------------------------------------------------------------

  private runClient(link: PrimaryLink): void {
    this.client = new SecondaryClient({ ...this.clientTuning, link, applier: this.applier, tree: () => this.physical.merkle, clock: this.clock, logger: this.logger });
    this.client.start();
  }

  private async buildTree(): Promise<void> {
    const tree = new MerkleTree();
    const started = this.clock.now();
    await this.physical.attachMerkle(tree, (visit) => scanReplicated(this.physical.inner, (k) => this.physical.isReplicated(k), visit));
    this.logger.info('replication: merkle tree built', { keys: tree.size, ms: this.clock.now() - started });
  }

  private async saveState(state: PersistedState): Promise<void> {
    await this.store.saveState(state);
    this.stateNow = state;
  }

  private async putSecondary(rec: SecondaryRecord): Promise<void> {
    await this.store.saveSecondary(rec);
    this.registry.set(rec.id, rec);
  }
}
