/**
 * Scheduled static-role rotation: one clock timer per mount, armed for the earliest due role
 * (no timer per role). Due roles rotate one after another; a failed rotation is retried after
 * RETRY_MS. The timer is re-armed whenever a role's due time changes and after every run.
 * While `paused` (a performance secondary: the primary rotates, and its results arrive by
 * replication and move the due times) nothing rotates; it looks again every PAUSED_RECHECK_MS,
 * so a promoted secondary takes over the schedule without a remount.
 */
import type { Clock } from '../../clock.js';

/** Delay before retrying a rotation that failed (database down, statement error). */
export const ROTATION_RETRY_MS = 10_000;
/** How often a paused scheduler checks whether it may rotate again (promotion). */
export const PAUSED_RECHECK_MS = 60_000;
/** Longest single timer: Node's timers overflow past 2^31-1 ms, so long waits are taken in steps. */
const MAX_TIMER_MS = 3_600_000;

/** Rotates one role and returns when it is next due (ms), or undefined when the role is gone. */
export type RotateFn = (name: string) => Promise<number | undefined>;

export class RotationScheduler {
  private readonly due = new Map<string, number>();
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** While paused: no run before this time (ms), whatever is due. */
  private notBefore = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rotate: RotateFn,
    private readonly paused: () => boolean = () => false,
    /** Told of each failed rotation before it is retried. */
    private readonly failed: (name: string, err: unknown) => void = () => undefined,
  ) {}

  /** Set (or move) when a role is next due. */
  set(name: string, dueMs: number): void {
    this.due.set(name, dueMs);
    this.arm();
  }

  remove(name: string): void {
    this.due.delete(name);
    this.arm();
  }

  /** When a role is next due (ms), if scheduled. */
  dueAt(name: string): number | undefined {
    return this.due.get(name);
  }

  /** Stop the timer and wait for a run in progress (unmount, seal). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running;
  }

  private arm(): void {
    // A run in progress re-arms when it ends, with the due times it left behind.
    if (this.stopped || this.running !== undefined) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    let next = Infinity;
    for (const at of this.due.values()) next = Math.min(next, at);
    if (next === Infinity) return;
    const delay = Math.min(Math.max(0, Math.max(next, this.notBefore) - this.clock.now()), MAX_TIMER_MS);
    this.cancelTimer = this.clock.setTimer(delay, () => {
      this.cancelTimer = undefined;
      this.running = this.runDue().finally(() => {
        this.running = undefined;
        this.arm();
      });
    });
  }

  private async runDue(): Promise<void> {
    const now = this.clock.now();
    if (this.paused()) {
      this.notBefore = now + PAUSED_RECHECK_MS;
      return;
    }
    this.notBefore = 0;
    const names = [...this.due].filter(([, at]) => at <= now).map(([name]) => name);
    for (const name of names) {
      if (this.stopped) return;
      try {
        const next = await this.rotate(name);
        if (next === undefined) this.due.delete(name);
        else this.due.set(name, next);
      } catch (err) {
        // Only if the role was not deleted meanwhile.
        if (this.due.has(name)) {
          this.due.set(name, this.clock.now() + ROTATION_RETRY_MS);
          this.failed(name, err);
        }
      }
    }
  }
}
