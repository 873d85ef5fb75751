/**
 * Client counting for sys/internal/counters/activity, Vault's basics: distinct entities and
 * distinct non-entity tokens that made requests in the current month, kept in memory on this
 * node (reset at the month boundary and on seal). Recording is one Set insert of a string the
 * request already holds; the month boundary is a clock timer, so recording reads no clock.
 */
import type { Clock } from '../clock.js';
import { formatTime } from '../framework/time-format.js';
import type { CallerAuth } from '../logical/request.js';

const DAY_MS = 24 * 3600 * 1000;

function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextMonthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export class ActivityTracker {
  private entities = new Set<string>();
  private tokens = new Set<string>();
  private periodStart = 0;
  private periodEnd = 0;
  private cancelTimer: (() => void) | undefined;

  constructor(private readonly clock: Clock) {
    this.rollover(clock.now());
  }

  record(auth: CallerAuth): void {
    if (auth.entityId !== '') this.entities.add(auth.entityId);
    else this.tokens.add(auth.accessor);
  }

  reset(): void {
    this.rollover(this.clock.now());
  }

  /** Vault's response shape for the current period (the only one this node keeps). */
  report(): Record<string, unknown> {
    const now = this.clock.now();
    if (now >= this.periodEnd) this.rollover(now);
    const counts = {
      acme_clients: 0,
      clients: this.entities.size + this.tokens.size,
      distinct_entities: this.entities.size,
      entity_clients: this.entities.size,
      non_entity_clients: this.tokens.size,
      non_entity_tokens: this.tokens.size,
      secret_syncs: 0,
    };
    return {
      by_namespace: [{ namespace_id: 'root', namespace_path: '', counts, mounts: [] }],
      end_time: formatTime(now),
      months: [],
      start_time: formatTime(this.periodStart),
      total: counts,
    };
  }

  private rollover(now: number): void {
    this.entities = new Set();
    this.tokens = new Set();
    this.periodStart = monthStart(now);
    this.periodEnd = nextMonthStart(now);
    this.schedule();
  }

  /** Wake at the month's end, in steps of at most a day (timers cannot span a month). */
  private schedule(): void {
    this.cancelTimer?.();
    const wait = Math.min(this.periodEnd - this.clock.now(), DAY_MS);
    this.cancelTimer = this.clock.setTimer(Math.max(wait, 0), () => {
      this.cancelTimer = undefined;
      const now = this.clock.now();
      if (now >= this.periodEnd) this.rollover(now);
      else this.schedule();
    });
  }
}
