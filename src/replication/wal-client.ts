/**
 * The secondary's state machine: connecting -> (merkle-diff -> merkle-sync) -> stream-wals,
 * idle when stopped. It pulls with wal.fetch (long-poll; the next fetch acknowledges the last),
 * applies each answer through the Applier, tracks the primary's position for lag, and on any
 * failure goes back to connecting and retries with capped exponential backoff and jitter.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../util/logger.js';
import type { Applier } from './applier.js';
import { OutOfOrderError } from './applier.js';
import type { MerkleTree } from './merkle.js';
import { DEFAULT_MERKLE_SYNC, merkleCatchUp, type MerkleSyncOptions } from './merkle-sync.js';
import type { SecondaryState } from './status.js';
import { RpcError, type PrimaryLink } from './transport.js';

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

export class SecondaryClient {
  private stateNow: SecondaryState = 'idle';
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

  /** Lag behind the primary as last heard: entries, and ms of primary time. */
  lag(): { entries: number; ms: number } {
    const pos = this.opts.applier.position;
    const entries = Math.max(0, this.view.primaryLast - pos.index);
    if (entries === 0 || pos.time === 0) return { entries, ms: 0 };
    return { entries, ms: Math.max(0, this.view.primaryTime - pos.time) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stateNow = 'connecting';
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
    const pos = applier.position;
    const res = await this.opts.link.call('wal.fetch', { after: pos.index, max: this.batch, waitMs: this.stateNow === 'stream-wals' ? this.waitMs : 0, epoch: pos.epoch });
    if (!this.running) return;
    const now = this.opts.clock.now();
    this.view = { primaryLast: res.primaryLast, primaryTime: res.primaryTime, lastHeartbeat: now, clockSkewMs: res.primaryTime - now };
    if (res.needMerkle === true) {
      this.opts.logger.info('replication: primary asks for a merkle sync', { applied: pos.index, primaryLast: res.primaryLast });
      this.needMerkle = true;
      return;
    }
    if (res.epoch !== pos.epoch) {
      this.needMerkle = true;
      return;
    }
    // A stale answer (entries at or below the applied index) applies nothing; a gap throws.
    await applier.applyEntries(res.entries, res.epoch);
    this.stateNow = 'stream-wals';
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
