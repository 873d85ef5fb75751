/**
 * An in-process PrimaryLink that calls an RpcHandler directly, for tests and the benchmark, with
 * faults a network has: dropped requests or responses, delays, duplicated requests, responses
 * overtaking each other, and partitions. Randomness is seeded, delays use the injected Clock.
 * Bodies and answers go through JSON, as on the wire, so no object is shared between "clusters".
 */
import { systemClock, type Clock } from '../clock.js';
import { RpcError, type PeerIdentity, type PrimaryLink, type RpcHandler, type RpcMethod, type RpcRequest, type RpcResponse } from './transport.js';

export interface SimFaults {
  /** Every call fails (after timeoutMs) until healed. */
  partitioned: boolean;
  /** Probability a request never reaches the primary. */
  dropRequest: number;
  /** Probability the primary handles a request but its answer is lost. */
  dropResponse: number;
  /** Probability a request is delivered twice (the caller gets one answer). */
  duplicate: number;
  /** Probability an answer is held back long enough for later ones to overtake it. */
  reorder: number;
  /** Random one-way delay [min, max] ms. */
  delayMs: readonly [number, number];
  /** How long a lost message takes to surface as a failure. */
  timeoutMs: number;
}

export const NO_FAULTS: SimFaults = { partitioned: false, dropRequest: 0, dropResponse: 0, duplicate: 0, reorder: 0, delayMs: [0, 0], timeoutMs: 20 };

export interface SimStats {
  calls: number;
  droppedRequests: number;
  droppedResponses: number;
  duplicated: number;
  reordered: number;
  partitionedCalls: number;
  /** Calls per method. */
  byMethod: Partial<Record<RpcMethod, number>>;
}

/** mulberry32: a small, fast, seeded PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimLink implements PrimaryLink {
  readonly faults: SimFaults;
  readonly stats: SimStats = { calls: 0, droppedRequests: 0, droppedResponses: 0, duplicated: 0, reordered: 0, partitionedCalls: 0, byMethod: {} };
  private readonly random: () => number;
  private readonly clock: Clock;
  private closed = false;
  private readonly inFlight = new Set<(err: RpcError) => void>();

  constructor(
    private readonly handler: RpcHandler,
    private readonly peer: PeerIdentity,
    opts: { clock?: Clock; seed?: number; faults?: Partial<SimFaults> } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.random = seededRandom(opts.seed ?? 1);
    this.faults = { ...NO_FAULTS, ...(opts.faults ?? {}) };
  }

  /** Clear every fault. */
  heal(): void {
    Object.assign(this.faults, NO_FAULTS, { timeoutMs: this.faults.timeoutMs });
  }

  call<M extends RpcMethod>(method: M, body: RpcRequest[M]): Promise<RpcResponse[M]> {
    if (this.closed) return Promise.reject(new RpcError('unavailable', 'link closed'));
    this.stats.calls++;
    this.stats.byMethod[method] = (this.stats.byMethod[method] ?? 0) + 1;
    return new Promise<RpcResponse[M]>((resolve, reject) => {
      let settled = false;
      const fail = (err: RpcError): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(fail);
        reject(err);
      };
      this.inFlight.add(fail);
      this.deliver(method, body).then(
        (answer) => {
          if (settled) return;
          settled = true;
          this.inFlight.delete(fail);
          resolve(answer as RpcResponse[M]);
        },
        (err: unknown) => fail(err instanceof RpcError ? err : new RpcError('internal', (err as Error).message)),
      );
    });
  }

  close(): void {
    this.closed = true;
    for (const fail of [...this.inFlight]) fail(new RpcError('unavailable', 'link closed'));
  }

  private async deliver(method: RpcMethod, body: unknown): Promise<unknown> {
    const f = this.faults;
    if (f.partitioned) {
      this.stats.partitionedCalls++;
      await this.sleep(f.timeoutMs);
      throw new RpcError('unavailable', 'partitioned');
    }
    await this.sleep(this.delay());
    if (this.chance(f.dropRequest)) {
      this.stats.droppedRequests++;
      await this.sleep(f.timeoutMs);
      throw new RpcError('unavailable', 'request lost');
    }
    const wire = JSON.stringify(body ?? {});
    if (this.chance(f.duplicate)) {
      this.stats.duplicated++;
      // The copy races the original; its answer goes nowhere.
      void this.handler.handle(this.peer, method, JSON.parse(wire)).catch(() => undefined);
    }
    let answer: unknown;
    try {
      answer = await this.handler.handle(this.peer, method, JSON.parse(wire));
    } catch (err) {
      if (err instanceof RpcError) throw new RpcError(err.code, err.message);
      throw new RpcError('internal', 'primary failed to handle the call');
    }
    if (this.faults.partitioned) {
      await this.sleep(f.timeoutMs);
      throw new RpcError('unavailable', 'partitioned');
    }
    if (this.chance(f.dropResponse)) {
      this.stats.droppedResponses++;
      await this.sleep(f.timeoutMs);
      throw new RpcError('unavailable', 'response lost');
    }
    let back = this.delay();
    if (this.chance(f.reorder)) {
      this.stats.reordered++;
      back += f.delayMs[1] * 2 + 1;
    }
    await this.sleep(back);
    return JSON.parse(JSON.stringify(answer ?? null));
  }

  private chance(p: number): boolean {
    return p > 0 && this.random() < p;
  }

  private delay(): number {
    const [min, max] = this.faults.delayMs;
    return max <= min ? min : min + Math.floor(this.random() * (max - min + 1));
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }
}
