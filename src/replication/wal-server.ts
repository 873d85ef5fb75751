/**
 * The primary's side of the protocol: answers wal.fetch (long-poll), merkle.* and kv.fetch for
 * authenticated secondaries, and dispatches the other methods (activate, forward, ...) to
 * handlers other modules register. Every answer is computed from the request alone, so a
 * repeated or late request is harmless.
 *
 * Never served: keys outside the replicated keyspace (tokens, leases, local mounts, ...), and
 * keys a secondary's paths filter denies.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../util/logger.js';
import type { MerkleTree } from './merkle.js';
import { PAGES, SUBPAGES } from './merkle.js';
import {
  RpcError,
  isRpcMethod,
  type KvFetchResponse,
  type MerkleLeavesResponse,
  type MerkleRootResponse,
  type MerkleSubpagesResponse,
  type MethodHandler,
  type PeerIdentity,
  type RpcHandler,
  type RpcMethod,
  type RpcRequest,
  type WalFetchResponse,
} from './transport.js';
import type { ReplicatedPhysical } from './wal-physical.js';

export interface WalServerLimits {
  /** Most entries in one wal.fetch answer. */
  readonly maxEntries: number;
  /** About the most bytes of entries in one answer. */
  readonly maxBytes: number;
  /** Longest long-poll honoured. */
  readonly maxWaitMs: number;
  /** Most keys in one kv.fetch. */
  readonly maxKeys: number;
}

/**
 * Longest long-poll for a peer that has not applied everything it received (a pipelining
 * secondary): bounds how long its acknowledgement lags once the stream goes quiet.
 */
export const ACK_WAIT_MS = 20;

export const DEFAULT_SERVER_LIMITS: WalServerLimits = { maxEntries: 1000, maxBytes: 4 * 1024 * 1024, maxWaitMs: 30_000, maxKeys: 1000 };

/** What the primary knows of a secondary from its calls. */
export interface PeerActivity {
  /** Local clock (ms) of its last call. */
  readonly lastSeen: number;
  /** The `after` of its last wal.fetch: everything up to it is applied there. */
  readonly applied: number;
}

/**
 * A peer's paths filter as a predicate (true = send). `signature` names what it filters out (a
 * change, e.g. a remount across the filter, resyncs the peer); `undecided()` reports a put held
 * back only because its owner was not known yet (resynced too). See paths-filter.ts.
 */
export type KeyFilter = ((key: string, op?: 'put' | 'delete') => boolean) & { readonly signature?: string; undecided?(): boolean };

export interface WalServerOptions {
  readonly physical: ReplicatedPhysical;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Whether the peer may call at all (known and not revoked). Checked on every call. */
  readonly isAllowed: (peer: PeerIdentity) => boolean;
  /** The peer's paths filter as a key predicate (true = send), or undefined for none. */
  readonly keyFilter?: (peer: PeerIdentity) => KeyFilter | undefined;
  readonly limits?: Partial<WalServerLimits>;
}

export class WalServer implements RpcHandler {
  private readonly physical: ReplicatedPhysical;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limits: WalServerLimits;
  private readonly extra = new Map<RpcMethod, MethodHandler<RpcMethod>>();
  private readonly activity = new Map<string, PeerActivity>();
  private readonly forcedResync = new Set<string>();
  /** Filtered trees of peers with a paths filter, taken at merkle.root and used for the rest of that diff. */
  private readonly snapshots = new Map<string, MerkleTree>();
  private readonly waiters = new Set<() => void>();
  /** Per peer, the signature of the filter its data was last shaped by. */
  private readonly signatures = new Map<string, string>();

  constructor(private readonly opts: WalServerOptions) {
    this.physical = opts.physical;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...(opts.limits ?? {}) };
  }

  /** Serve another method (activate, forward, identity.ensure-alias). */
  register<M extends RpcMethod>(method: M, handler: MethodHandler<M>): void {
    this.extra.set(method, handler as unknown as MethodHandler<RpcMethod>);
  }

  /** Make the peer's next wal.fetch answer needMerkle (its paths filter changed). */
  requireMerkle(secondaryId: string): void {
    this.forcedResync.add(secondaryId);
  }

  /** Calls seen per secondary id. */
  peers(): ReadonlyMap<string, PeerActivity> {
    return this.activity;
  }

  /** Forget a peer (revoked or removed). */
  forget(secondaryId: string): void {
    this.activity.delete(secondaryId);
    this.snapshots.delete(secondaryId);
    this.forcedResync.delete(secondaryId);
    this.signatures.delete(secondaryId);
  }

  /** Release long-polls in flight (answered empty at once). */
  wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  async handle(peer: PeerIdentity, method: RpcMethod, body: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !isRpcMethod(method)) throw new RpcError('unknown-method', `unknown method ${JSON.stringify(method)}`);
    if (this.physical.mode !== 'primary') throw new RpcError('forbidden', 'this cluster is not a performance primary');
    if (!this.opts.isAllowed(peer)) throw new RpcError('forbidden', 'unknown or revoked secondary');
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) throw new RpcError('bad-request', 'request body must be a JSON object');
    switch (method) {
      case 'wal.fetch':
        return this.walFetch(peer, b);
      case 'merkle.root':
        return this.merkleRoot(peer);
      case 'merkle.subpages':
        return this.merkleSubpages(peer, b);
      case 'merkle.leaves':
        return this.merkleLeaves(peer, b);
      case 'kv.fetch':
        return this.kvFetch(peer, b);
      default: {
        const handler = this.extra.get(method);
        if (handler === undefined) throw new RpcError('unknown-method', `method ${method} is not served here`);
        return handler(peer, b as unknown as RpcRequest[typeof method]);
      }
    }
  }

  private position(): { primaryLast: number; primaryTime: number; epoch: string } {
    return { primaryLast: this.physical.wal.committed, primaryTime: this.clock.now(), epoch: this.physical.wal.epoch };
  }

  private async walFetch(peer: PeerIdentity, b: Record<string, unknown>): Promise<WalFetchResponse> {
    const after = int(b['after'], 'after', 0);
    const max = Math.min(int(b['max'], 'max', 1), this.limits.maxEntries);
    const waitMs = Math.min(int(b['waitMs'], 'waitMs', 0), this.limits.maxWaitMs);
    const epoch = b['epoch'];
    if (typeof epoch !== 'string') throw new RpcError('bad-request', 'epoch must be a string');
    // A pipelining secondary asks past what it has applied; its acknowledgement is `applied`.
    const applied = b['applied'] === undefined ? after : Math.min(int(b['applied'], 'applied', 0), after);
    const wal = this.physical.wal;
    this.activity.set(peer.secondaryId, { lastSeen: this.clock.now(), applied });
    const id = peer.secondaryId;
    if (this.forcedResync.delete(id) || epoch !== wal.epoch || after > wal.committed || after + 1 < wal.oldest) {
      return { needMerkle: true, ...this.position() };
    }
    // While the peer applies what it received, answer empty soon so its next fetch acknowledges it.
    if (after === wal.committed && waitMs > 0) await this.waitBeyond(after, applied < after ? Math.min(waitMs, ACK_WAIT_MS) : waitMs);
    if (this.physical.mode !== 'primary') throw new RpcError('forbidden', 'this cluster is not a performance primary');
    const read = await wal.read(after, max, this.limits.maxBytes);
    if (read === 'trimmed') return { needMerkle: true, ...this.position() };
    const filter = this.opts.keyFilter?.(peer);
    // The filtered-out mounts changed (remount across the filter): what the peer holds must be re-diffed.
    if (this.reshaped(id, filter)) return { needMerkle: true, ...this.position() };
    const entries = filter === undefined ? read : read.map((e) => ({ ...e, ops: e.ops.filter((op) => filter(op.key, op.type)) }));
    if (filter?.undecided?.() === true) this.forcedResync.add(id);
    return { entries, ...this.position() };
  }

  /** Record the peer's filter signature; true when it differs from the one its data was shaped by. */
  private reshaped(id: string, filter: KeyFilter | undefined): boolean {
    const sig = filter?.signature ?? '';
    const last = this.signatures.get(id);
    this.signatures.set(id, sig);
    return last !== undefined && last !== sig;
  }

  /** Resolve once the watermark passes `after`, after `ms`, or on wakeAll. */
  private waitBeyond(after: number, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        unsubscribe();
        cancel();
        this.waiters.delete(finish);
        resolve();
      };
      const unsubscribe = this.physical.wal.onCommitted((c) => {
        if (c > after) finish();
      });
      const cancel = this.clock.setTimer(ms, finish);
      this.waiters.add(finish);
    });
  }

  private tree(): MerkleTree {
    const tree = this.physical.merkle;
    if (tree === undefined) throw new RpcError('unavailable', 'the merkle tree is not ready (sealed or indexing)');
    return tree;
  }

  private treeFor(peer: PeerIdentity): MerkleTree {
    if (this.opts.keyFilter?.(peer) === undefined) return this.tree();
    return this.snapshots.get(peer.secondaryId) ?? this.tree();
  }

  private merkleRoot(peer: PeerIdentity): MerkleRootResponse {
    let tree = this.tree();
    const filter = this.opts.keyFilter?.(peer);
    this.signatures.set(peer.secondaryId, filter?.signature ?? '');
    if (filter !== undefined) {
      tree = tree.filtered(filter);
      this.snapshots.set(peer.secondaryId, tree);
    } else {
      this.snapshots.delete(peer.secondaryId);
    }
    // Taken in one synchronous step: the tree holds at least every write up to resumeIndex.
    return { root: tree.root(), pages: tree.pageHashes(), resumeIndex: this.physical.wal.committed, epoch: this.physical.wal.epoch };
  }

  private merkleSubpages(peer: PeerIdentity, b: Record<string, unknown>): MerkleSubpagesResponse {
    const page = bounded(b['page'], 'page', PAGES);
    return { page, subpages: this.treeFor(peer).subpageHashes(page) };
  }

  private merkleLeaves(peer: PeerIdentity, b: Record<string, unknown>): MerkleLeavesResponse {
    const page = bounded(b['page'], 'page', PAGES);
    if (b['subpage'] === undefined || b['subpage'] === null) return { page, leaves: this.treeFor(peer).leaves(page) };
    const subpage = bounded(b['subpage'], 'subpage', SUBPAGES);
    return { page, subpage, leaves: this.treeFor(peer).leaves(page, subpage) };
  }

  private async kvFetch(peer: PeerIdentity, b: Record<string, unknown>): Promise<KvFetchResponse> {
    const keys = b['keys'];
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || k === '')) throw new RpcError('bad-request', 'keys must be an array of non-empty strings');
    if (keys.length > this.limits.maxKeys) throw new RpcError('bad-request', `at most ${this.limits.maxKeys} keys per call`);
    const filter = this.opts.keyFilter?.(peer);
    const values: [string, string | null][] = [];
    for (const key of keys as string[]) {
      // Local keys (tokens, leases, local mounts) never leave this cluster, whatever is asked.
      if (!this.physical.isReplicated(key) || (filter !== undefined && !filter(key))) {
        values.push([key, null]);
        continue;
      }
      let value: Buffer | undefined;
      try {
        value = await this.physical.get(key);
      } catch (err) {
        this.logger.warn('replication: kv.fetch read failed', { error: err as Error });
        throw new RpcError('unavailable', 'storage read failed');
      }
      values.push([key, value === undefined ? null : value.toString('base64')]);
    }
    return { values };
  }
}

function int(v: unknown, name: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new RpcError('bad-request', `${name} must be an integer >= ${min}`);
  return v;
}

function bounded(v: unknown, name: string, size: number): number {
  const n = int(v, name, 0);
  if (n >= size) throw new RpcError('bad-request', `${name} must be below ${size}`);
  return n;
}
