/**
 * Applies what a secondary receives: WAL entries while streaming, key sets during a Merkle sync.
 * Each batch goes to storage in ONE physical batch together with the new applied position, so a
 * crash leaves either both or neither. After the batch: the barrier's read cache forgets the
 * touched keys, and the caches above it are told (invalidation hooks), in the order the design
 * fixes: keyring first (later entries may be under a new term), then mount tables, then the rest.
 */
import type { BatchOp } from '../storage/physical.js';
import { AUTH_PREFIX, AUTH_TABLE, BARRIER_KEYRING, IDENTITY_PREFIX, LOGICAL_PREFIX, MOUNT_TABLE, POLICY_PREFIX } from '../storage/keys.js';
import type { Logger } from '../util/logger.js';
import { type AppliedPosition, type ReplicationStateStore } from './replication-state.js';
import type { WalEntry } from './transport.js';
import { fromWalOps, type ReplicatedPhysical } from './wal-physical.js';

/** How the node's caches learn about replicated changes. Called only while `ready()`. */
export interface InvalidationHooks {
  /** Whether the node is unsealed and loaded (hooks are skipped otherwise; unseal loads fresh). */
  ready(): boolean;
  /** The barrier keyring changed below the barrier: reload it before the next batch. */
  reloadKeyring(): Promise<void>;
  /** The replicated mount or auth table changed: reload routes. */
  reloadMounts(): Promise<void>;
  /** A policy changed (its name). */
  invalidatePolicy(name: string): void;
  /** An identity record changed (its full storage key). */
  invalidateIdentity(key: string): Promise<void>;
  /** A key of a mount's data changed (full storage key "logical/<uuid>/..." or "auth/<uuid>/..."). */
  invalidateMountData(key: string): void;
}

export const NO_HOOKS: InvalidationHooks = {
  ready: () => false,
  reloadKeyring: async () => undefined,
  reloadMounts: async () => undefined,
  invalidatePolicy: () => undefined,
  invalidateIdentity: async () => undefined,
  invalidateMountData: () => undefined,
};

const POLICY_ACL_PREFIX = `${POLICY_PREFIX}acl/`;

/** Thrown when received entries do not continue the applied position (stale or misdelivered). */
export class OutOfOrderError extends Error {}

export class Applier {
  private pos: AppliedPosition;
  private readonly appliedListeners = new Set<(index: number) => void>();

  constructor(
    private readonly physical: ReplicatedPhysical,
    private readonly store: ReplicationStateStore,
    private readonly barrier: { invalidate(keys: Iterable<string>): void },
    private readonly hooks: InvalidationHooks,
    private readonly logger: Logger,
    initial: AppliedPosition,
  ) {
    this.pos = initial;
  }

  get position(): AppliedPosition {
    return this.pos;
  }

  /** Called with the applied index after every batch. */
  onApplied(listener: (index: number) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /**
   * Apply entries following the applied index. Entries at or below it are ignored (a repeated or
   * late answer); a gap is refused with OutOfOrderError. Returns how many were applied.
   */
  async applyEntries(entries: readonly WalEntry[], epoch: string): Promise<number> {
    if (epoch !== this.pos.epoch || this.pos.syncing) throw new OutOfOrderError('entries of another log epoch, or a sync is unfinished');
    const fresh = entries.filter((e) => e.index > this.pos.index);
    if (fresh.length === 0) return 0;
    let expected = this.pos.index + 1;
    const ops: BatchOp[] = [];
    for (const e of fresh) {
      if (e.index !== expected) throw new OutOfOrderError(`expected WAL index ${expected}, got ${e.index}`);
      expected++;
      ops.push(...fromWalOps(e.ops));
    }
    const last = fresh[fresh.length - 1] as WalEntry;
    const next: AppliedPosition = { index: last.index, epoch, syncing: false, time: last.time };
    await this.physical.applyEntries(ops, [this.store.positionOp(next)]);
    // The position advances (and waiters wake) only once the caches above follow the data.
    await this.afterApply(ops.map((o) => o.key));
    this.pos = next;
    this.notify();
    return fresh.length;
  }

  /** Start a Merkle sync: until finishSync the position says "syncing", so a restart syncs again. */
  async beginSync(): Promise<void> {
    if (this.pos.syncing) return;
    const next = { ...this.pos, syncing: true };
    await this.physical.applyEntries([], [this.store.positionOp(next)]);
    this.pos = next;
  }

  /** Apply one chunk of a Merkle sync: puts (value) and deletes (null). */
  async applyKeys(changes: readonly (readonly [string, Buffer | null])[]): Promise<void> {
    if (changes.length === 0) return;
    const ops = changes.map(([key, value]): BatchOp => (value === null ? { type: 'delete', key } : { type: 'put', key, value }));
    await this.physical.applyEntries(ops, []);
    await this.afterApply(ops.map((o) => o.key));
    this.notify();
  }

  /** The sync reached the primary's snapshot: stream from resumeIndex of that epoch. */
  async finishSync(resumeIndex: number, epoch: string, primaryTime: number): Promise<void> {
    const next: AppliedPosition = { index: resumeIndex, epoch, syncing: false, time: primaryTime };
    await this.physical.applyEntries([], [this.store.positionOp(next)]);
    this.pos = next;
    this.notify();
  }

  /** Forget everything applied (after a wipe): the next start syncs from scratch. */
  reset(position: AppliedPosition): void {
    this.pos = position;
  }

  private async afterApply(keys: readonly string[]): Promise<void> {
    this.barrier.invalidate(keys);
    await this.runHooks(keys);
  }

  private notify(): void {
    for (const l of this.appliedListeners) l(this.pos.index);
  }

  private async runHooks(keys: readonly string[]): Promise<void> {
    if (!this.hooks.ready()) return;
    const set = new Set(keys);
    const guard = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        // The data is applied; a cache that failed to reload is retried by the next change or unseal.
        this.logger.warn(`replication: ${what} after apply failed`, { error: err as Error });
      }
    };
    if (set.has(BARRIER_KEYRING)) await guard('keyring reload', () => this.hooks.reloadKeyring());
    if (set.has(MOUNT_TABLE) || set.has(AUTH_TABLE)) await guard('mount reload', () => this.hooks.reloadMounts());
    for (const key of set) {
      if (key.startsWith(POLICY_ACL_PREFIX)) await guard('policy invalidation', () => this.hooks.invalidatePolicy(key.slice(POLICY_ACL_PREFIX.length)));
      else if (key.startsWith(IDENTITY_PREFIX)) await guard('identity invalidation', () => this.hooks.invalidateIdentity(key));
      else if (key.startsWith(LOGICAL_PREFIX) || key.startsWith(AUTH_PREFIX)) await guard('mount data invalidation', () => this.hooks.invalidateMountData(key));
    }
  }
}
