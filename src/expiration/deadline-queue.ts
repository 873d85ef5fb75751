/**
 * One timer for any number of deadlines: a binary min-heap of (time, key) with lazy
 * deletion, driving a single clock timer set for the earliest live deadline. Rescheduling a
 * key pushes a new heap node and the old one is skipped when it surfaces, so every operation
 * is O(log n) and 100,000 pending deadlines cost one timer.
 */
import type { Clock } from '../clock.js';

interface Node {
  readonly at: number;
  readonly key: string;
}

export class DeadlineQueue {
  private heap: Node[] = [];
  /** The live deadline per key; heap nodes that disagree are stale. */
  private readonly due = new Map<string, number>();
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    /** Called for each key whose deadline passed, in deadline order. */
    private readonly fire: (key: string) => void,
  ) {}

  get size(): number {
    return this.due.size;
  }

  has(key: string): boolean {
    return this.due.has(key);
  }

  /** Set or move the deadline of `key` (ms since the epoch). */
  schedule(key: string, at: number): void {
    if (this.stopped) return;
    this.due.set(key, at);
    this.push({ at, key });
    if (at < this.timerAt) this.arm();
  }

  unschedule(key: string): void {
    this.due.delete(key);
  }

  /** Drop everything and never fire again (seal). */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.heap = [];
    this.due.clear();
  }

  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    const top = this.peekLive();
    if (top === undefined) return;
    this.timerAt = top.at;
    // Timers are capped so a far deadline does not overflow setTimeout's 32-bit delay.
    const delay = Math.min(Math.max(0, top.at - this.clock.now()), 2 ** 30);
    this.cancelTimer = this.clock.setTimer(delay, () => this.run());
  }

  private run(): void {
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (;;) {
      const top = this.peekLive();
      if (top === undefined || top.at > now || this.stopped) break;
      this.pop();
      this.due.delete(top.key);
      this.fire(top.key);
    }
    if (!this.stopped) this.arm();
  }

  /** The earliest node that is still live, discarding stale ones. */
  private peekLive(): Node | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return undefined;
      if (this.due.get(top.key) === top.at) return top;
      this.pop();
    }
  }

  private push(node: Node): void {
    const h = this.heap;
    h.push(node);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= node.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = node;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
