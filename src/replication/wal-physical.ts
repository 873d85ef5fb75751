/**
 * The replication layer: a Physical decorator between the barrier and the real store.
 *
 * - disabled:  every call passes straight through (one branch of cost).
 * - primary:   a write touching replicated keys gets one WAL entry, holding exactly its
 *              replicated ops (ciphertext as stored), in the SAME physical batch, so data and log
 *              can never part; the Merkle tree follows every committed replicated write.
 * - secondary: a write touching any replicated key is refused with ReadOnlyError (the pipeline
 *              forwards it to the primary); local keys stay writable. Only the applier writes
 *              replicated keys, through `applyEntries`.
 *
 * Classification is by key (KeyClassifier), never by caller.
 */
import type { Clock } from '../clock.js';
import { ReadOnlyError } from '../errors.js';
import type { KeyClassifier } from '../storage/keys.js';
import type { BatchOp, Physical } from '../storage/physical.js';
import { MeteredPhysical } from '../telemetry/metered-storage.js';
import type { Logger } from '../util/logger.js';
import type { MerkleTree } from './merkle.js';
import type { WalEntry, WalOp } from './transport.js';
import { WalLog, type WalRetention, encodeEntry, walKey } from './wal-log.js';

export type ReplicationMode = 'disabled' | 'primary' | 'secondary';

export interface ReplicatedPhysicalOptions {
  readonly classifier: KeyClassifier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retention: WalRetention;
  /** How often the retention trimmer runs (default 1 s). */
  readonly trimIntervalMs?: number;
}

export class ReplicatedPhysical implements Physical {
  readonly wal: WalLog;
  private modeNow: ReplicationMode = 'disabled';
  private tree: MerkleTree | undefined;
  /** False while the attached tree is still being filled by a scan. */
  private treeReady = false;
  /** Keys changed while a tree was being built by scan: the scan must not overwrite them. */
  private touchedDuringBuild: Set<string> | undefined;
  private readonly classifier: KeyClassifier;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly warnedUnclassified = new Set<string>();
  /** The store's relaxed batch (null: it has none), looked up on first apply. */
  private relaxed: ((ops: readonly BatchOp[]) => Promise<void>) | null | undefined;

  constructor(
    readonly inner: Physical,
    opts: ReplicatedPhysicalOptions,
  ) {
    this.classifier = opts.classifier;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.wal = new WalLog(inner, opts.clock, opts.logger, opts.retention, opts.trimIntervalMs);
  }

  get mode(): ReplicationMode {
    return this.modeNow;
  }

  /** Switch modes (the ReplicationManager persists the mode; this is the runtime switch). */
  setMode(mode: ReplicationMode): void {
    this.modeNow = mode;
  }

  /** The tree kept in step with replicated writes, once attached and filled. */
  get merkle(): MerkleTree | undefined {
    return this.treeReady ? this.tree : undefined;
  }

  /**
   * Attach a tree and fill it by a scan of the store. Writes that commit during the scan update
   * the tree directly and the scan leaves those keys alone, so the result matches storage.
   */
  async attachMerkle(tree: MerkleTree, scan: (visit: (key: string, value: Buffer) => void) => Promise<void>): Promise<void> {
    const touched = new Set<string>();
    this.tree = tree;
    this.treeReady = false;
    this.touchedDuringBuild = touched;
    try {
      await scan((key, value) => {
        if (!touched.has(key) && this.tree === tree) tree.set(key, value);
      });
      if (this.tree === tree) this.treeReady = true;
    } finally {
      if (this.touchedDuringBuild === touched) this.touchedDuringBuild = undefined;
    }
  }

  /** Attach a tree known to match storage already (an empty one after a wipe). */
  setMerkle(tree: MerkleTree | undefined): void {
    this.tree = tree;
    this.treeReady = tree !== undefined;
    this.touchedDuringBuild = undefined;
  }

  /** Whether a key belongs to the replicated keyspace. Unclassified keys are local (and logged once). */
  isReplicated(key: string): boolean {
    try {
      return this.classifier.classify(key) === 'replicated';
    } catch {
      const head = key.split('/', 2).join('/');
      if (!this.warnedUnclassified.has(head)) {
        this.warnedUnclassified.add(head);
        this.logger.warn('replication: storage key has no declared class; treated as local', { prefix: head });
      }
      return false;
    }
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }

  put(key: string, value: Buffer): Promise<void> {
    if (this.modeNow === 'disabled') return this.inner.put(key, value);
    return this.write([{ type: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    if (this.modeNow === 'disabled') return this.inner.delete(key);
    return this.write([{ type: 'delete', key }]);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    return this.inner.listPage(prefix, after, limit);
  }

  batch(ops: readonly BatchOp[]): Promise<void> {
    if (this.modeNow === 'disabled') return this.inner.batch(ops);
    return this.write(ops);
  }

  async close(): Promise<void> {
    await this.wal.stop();
    await this.inner.close();
  }

  /**
   * The applier's write on a secondary: replicated ops exactly as the primary stored them, plus
   * its own bookkeeping (the applied index), in one physical batch; then the tree follows.
   * Committed relaxed where the store offers it (SQLite: no fsync of its own): the primary holds
   * these entries durably and the applied index is in the same batch, so a power loss only moves
   * the position back and the entries are fetched again (src/replication/README.md, "Durability").
   */
  async applyEntries(ops: readonly BatchOp[], bookkeeping: readonly BatchOp[]): Promise<void> {
    if (this.modeNow !== 'secondary') throw new Error('applyEntries is only for a secondary');
    const all = [...ops, ...bookkeeping];
    if (this.relaxed === undefined) this.relaxed = relaxedBatch(this.inner) ?? null;
    await (this.relaxed === null ? this.inner.batch(all) : this.relaxed(all));
    this.follow(ops);
  }

  /** Apply a write to the tree (and mark its keys touched while a scan runs). */
  private follow(ops: readonly BatchOp[]): void {
    const tree = this.tree;
    if (tree === undefined) return;
    for (const op of ops) {
      this.touchedDuringBuild?.add(op.key);
      if (op.type === 'put') tree.set(op.key, op.value);
      else tree.delete(op.key);
    }
  }

  private write(ops: readonly BatchOp[]): Promise<void> {
    // Everything up to the index allocation is synchronous: submission order is index order.
    const replicated = ops.filter((op) => this.isReplicated(op.key));
    if (replicated.length === 0) return ops.length === 1 ? this.single(ops[0] as BatchOp) : this.inner.batch(ops);
    if (this.modeNow === 'secondary') return Promise.reject(new ReadOnlyError());
    const index = this.wal.allocate();
    let entry: WalEntry;
    let encoded: Buffer;
    try {
      entry = { index, time: this.clock.now(), ops: replicated.map(toWalOp) };
      encoded = encodeEntry(entry);
    } catch (err) {
      // A value that is not bytes: the inner store would refuse the batch anyway.
      this.wal.failedEntry(index, (found) => this.follow(fromWalOps(found.ops)));
      return Promise.reject(err);
    }
    return this.inner.batch([...ops, { type: 'put', key: walKey(index), value: encoded }]).then(
      () => {
        this.follow(replicated);
        this.wal.committedEntry(entry, encoded.length);
      },
      (err: unknown) => {
        this.wal.failedEntry(index, (found) => this.follow(fromWalOps(found.ops)));
        throw err;
      },
    );
  }

  private single(op: BatchOp): Promise<void> {
    return op.type === 'put' ? this.inner.put(op.key, op.value) : this.inner.delete(op.key);
  }
}

/**
 * The store's `batchRelaxed` (SQLite), also through the metering decorator (applied batches go
 * untimed there). Any other decorator is taken as it is: its batch may do more than pass through.
 */
function relaxedBatch(store: Physical): ((ops: readonly BatchOp[]) => Promise<void>) | undefined {
  const p = store instanceof MeteredPhysical ? store.inner : store;
  const fn = (p as Physical & { batchRelaxed?: unknown }).batchRelaxed;
  return typeof fn === 'function' ? (ops) => (fn as (ops: readonly BatchOp[]) => Promise<void>).call(p, ops) : undefined;
}

export function toWalOp(op: BatchOp): WalOp {
  if (op.type === 'delete') return { type: 'delete', key: op.key };
  if (!(op.value instanceof Uint8Array)) throw new TypeError('storage value must be a Buffer');
  return { type: 'put', key: op.key, value: Buffer.from(op.value).toString('base64') };
}

export function fromWalOps(ops: readonly WalOp[]): BatchOp[] {
  return ops.map((op): BatchOp => (op.type === 'put' ? { type: 'put', key: op.key, value: Buffer.from(op.value, 'base64') } : { type: 'delete', key: op.key }));
}
