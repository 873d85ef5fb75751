/**
 * The secondary's state machine: connecting -> (merkle-diff -> merkle-sync) -> stream-wals,
 * idle when stopped. It pulls with wal.fetch (long-poll; each fetch names the applied index,
 * which acknowledges it), applies each answer through the Applier while the next fetch is
 * already in flight, tracks the primary's position for lag, and on any
 * failure goes back to connecting and retries with capped exponential backoff and jitter.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../util/logger.js';
import type { Applier } from './applier.js';
import { OutOfOrderError } from './applier.js';
import type { MerkleTree } from './merkle.js';
import { DEFAULT_MERKLE_SYNC, merkleCatchUp, type MerkleSyncOptions } from './merkle-sync.js';
import type { SecondaryState } from './status.js';
import { RpcError, type PrimaryLink, type WalEntry } from './transport.js';

export interface SecondaryClientOptions {
  readonly link: PrimaryLink;
  readonly applier: Applier;
  /** The local tree (kept in step by ReplicatedPhysical). */
  readonly tree: () => MerkleTree | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Entries asked for per fetch (default 500). */
  readonly batch?: number;
  /** Long-poll wait per fetch (default 10 s); doubles as the heartbeat interval. */
  readonly waitMs?: number;
  /** Backoff after a failure: first and largest delay (default 100 ms, 10 s). */
  readonly backoffMs?: readonly [number, number];
  /** Source of jitter in [0, 1) (inject a seeded one in tests). */
  readonly random?: () => number;
  readonly merkle?: Partial<MerkleSyncOptions>;
}

/** What the secondary last heard from its primary. */
export interface PrimaryView {
  readonly primaryLast: number;
  readonly primaryTime: number;
  /** Local clock at the last successful answer, 0 = never. */
  readonly lastHeartbeat: number;
  /** primaryTime minus local time at receipt (ms): a skew estimate (high by the one-way latency). */
  readonly clockSkewMs: number;
}

/**
 * While caught up, a secondary vouches for its data as long as its long-poll is live: the
 * primary answers a pending fetch as soon as it commits. Past the poll window plus this grace
 * without an answer, it no longer can, and its staleness grows with the clock.
 */
export const LIVENESS_GRACE_MS = 500;

export class SecondaryClient {
  private stateNow: SecondaryState = 'idle';
  /**
   * Primary-clock time up to which this secondary holds every write the primary committed
   * (0 = unknown). See stalenessMs.
   */
  private horizon = 0;
  /** The last answer showed nothing left to apply. */
  private caughtUp = false;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private readonly sleepers = new Set<() => void>();
  private needMerkle = false;
  private view: PrimaryView = { primaryLast: 0, primaryTime: 0, lastHeartbeat: 0, clockSkewMs: 0 };
  private failures = 0;
  private readonly batch: number;
  private readonly waitMs: number;
  private readonly backoff: readonly [number, number];
  private readonly random: () => number;
  private readonly merkleOpts: MerkleSyncOptions;

  constructor(private readonly opts: SecondaryClientOptions) {
    this.batch = opts.batch ?? 500;
    this.waitMs = opts.waitMs ?? 10_000;
    this.backoff = opts.backoffMs ?? [100, 10_000];
    this.random = opts.random ?? Math.random;
    this.merkleOpts = { ...DEFAULT_MERKLE_SYNC, ...(opts.merkle ?? {}) };
  }

  get state(): SecondaryState {
    return this.stateNow;
  }

  get primary(): PrimaryView {
    return this.view;
  }

  get link(): PrimaryLink {
    return this.opts.link;
  }

  /** Lag behind the primary: entries as last heard, and staleness in ms (-1 = unknown). */
  lag(): { entries: number; ms: number } {
    const pos = this.opts.applier.position;
    const entries = Math.max(0, this.view.primaryLast - pos.index);
    const ms = this.stalenessMs();
    return { entries, ms: Number.isFinite(ms) ? Math.round(ms) : -1 };
  }

  /**
   * How stale reads here may be, in ms of primary time: the age of the oldest write the
   * primary committed that this secondary may not have applied. 0 while caught up and the
   * long-poll is live; while behind, now (primary clock, estimated from the last answer) minus
   * the commit time of the first entry not applied (or, when that entry is not known yet, of
   * the last applied one: an upper bound); with no live answer, it grows from the last moment
   * it was known. Infinity before anything is known (a new secondary that has not synced).
   */
  stalenessMs(): number {
    if (this.horizon === 0) return Number.POSITIVE_INFINITY;
    const now = this.opts.clock.now();
    const heard = this.view.lastHeartbeat;
    if (this.caughtUp && heard > 0 && now - heard <= this.waitMs + LIVENESS_GRACE_MS) return 0;
    // The primary's clock now, estimated from its last answer (skew-free); the local clock before any.
    const primaryNow = heard > 0 ? this.view.primaryTime + (now - heard) : now;
    return Math.max(0, primaryNow - this.horizon);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stateNow = 'connecting';
    // Until the primary answers: everything up to the last applied entry is known to be here.
    this.horizon = this.opts.applier.position.time;
    this.caughtUp = false;
    this.loopDone = this.loop();
  }

  /** Stop the loop and close the link; resolves when the loop has exited. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.opts.link.close();
    for (const wake of [...this.sleepers]) wake();
    await this.loopDone;
    this.stateNow = 'idle';
  }

  /** Force a Merkle catch-up before the next fetch (sys/replication/recover, reindex). */
  requestMerkle(): void {
    this.needMerkle = true;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
        this.failures = 0;
      } catch (err) {
        if (!this.running) break;
        this.stateNow = 'connecting';
        // No live channel: what was true at the last answer can no longer be vouched for.
        this.caughtUp = false;
        if (err instanceof OutOfOrderError) {
          // A stale or misdelivered answer: ask again at once, nothing was applied.
          this.opts.logger.debug('replication: ignored out-of-order answer', { error: err.message });
          continue;
        }
        this.failures++;
        const [first, max] = this.backoff;
        const base = Math.min(max, first * 2 ** Math.min(this.failures - 1, 20));
        const delay = Math.round(base / 2 + (base / 2) * this.random());
        this.opts.logger.warn('replication: connection to primary failed; retrying', {
          error: err instanceof RpcError ? `${err.code}: ${err.message}` : (err as Error).message,
          retryInMs: delay,
        });
        await this.sleep(delay);
      }
    }
  }

  private async step(): Promise<void> {
    const applier = this.opts.applier;
    if (this.needMerkle || applier.position.syncing) {
      const tree = this.opts.tree();
      if (tree === undefined) throw new Error('the local merkle tree is not ready');
      this.needMerkle = false;
      this.caughtUp = false;
      try {
        const sleep = async (ms: number): Promise<void> => {
          if (this.running) await this.sleep(ms);
          if (!this.running) throw new Error('stopped');
        };
        await merkleCatchUp(this.opts.link, tree, applier, (s) => (this.stateNow = s), this.opts.logger, this.merkleOpts, sleep);
      } catch (err) {
        this.needMerkle = true;
        throw err;
      }
    }
    await this.stream();
  }

  /**
   * Stream until the primary asks for a Merkle sync, the epoch changes, or the loop stops.
   * Pipelined: the fetch for what follows the last entry *received* is in flight while that
   * batch applies, so the round trip overlaps the commit. Batches still apply one at a time and
   * in order: an answer is looked at only once the batch before it has applied, and if that
   * apply fails, the answer is dropped unread and the loop restarts from the applied index.
   */
  private async stream(): Promise<void> {
    const applier = this.opts.applier;
    const epoch = applier.position.epoch;
    let received = applier.position.index;
    let applying: Promise<unknown> | undefined;
    while (this.running) {
      const fetching = this.opts.link.call('wal.fetch', {
        after: received,
        applied: applier.position.index,
        max: this.batch,
        waitMs: this.stateNow === 'stream-wals' ? this.waitMs : 0,
        epoch,
      });
      if (applying !== undefined) {
        // Dropped unread if the apply fails (the loop restarts from the applied index).
        fetching.catch(() => undefined);
        await applying;
        applying = undefined;
        this.applied();
      }
      const res = await fetching;
      if (!this.running) return;
      this.failures = 0;
      const now = this.opts.clock.now();
      this.view = { primaryLast: res.primaryLast, primaryTime: res.primaryTime, lastHeartbeat: now, clockSkewMs: res.primaryTime - now };
      if (res.needMerkle === true) {
        this.opts.logger.info('replication: primary asks for a merkle sync', { applied: applier.position.index, primaryLast: res.primaryLast });
        this.needMerkle = true;
        this.caughtUp = false;
        return;
      }
      if (res.epoch !== epoch) {
        this.needMerkle = true;
        this.caughtUp = false;
        return;
      }
      this.stateNow = 'stream-wals';
      // A stale answer (entries at or below what was received) applies nothing.
      const fresh = res.entries.filter((e) => e.index > received);
      const first = fresh[0];
      if (first === undefined) {
        if (applier.position.index >= res.primaryLast) {
          this.caughtUp = true;
          this.horizon = res.primaryTime;
        }
        continue;
      }
      if (first.index !== received + 1) throw new OutOfOrderError(`expected WAL index ${received + 1}, got ${first.index}`);
      // Nothing is pending here: until applied, the oldest write missing is the first new entry.
      this.caughtUp = false;
      this.horizon = first.time;
      received = (fresh[fresh.length - 1] as WalEntry).index;
      applying = applier.applyEntries(fresh, epoch);
    }
    // Stopped with a batch applying: stop() returns only once it has.
    if (applying !== undefined) await applying;
  }

  /** A batch applied: caught up if it reached the primary's position as last heard. */
  private applied(): void {
    const applied = this.opts.applier.position;
    if (applied.index >= this.view.primaryLast) {
      this.caughtUp = true;
      this.horizon = this.view.primaryTime;
    } else {
      // More to come: the next entry was committed no earlier than the last one applied.
      this.horizon = applied.time;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        cancel();
        this.sleepers.delete(wake);
        resolve();
      };
      const cancel = this.opts.clock.setTimer(ms, wake);
      this.sleepers.add(wake);
    });
  }
}
