/**
 * One node's metrics: a prom-client Registry (one per node, so several in-process nodes never
 * share series) holding Vault's metric names, rendered as Prometheus text or in Vault's JSON
 * shape by sys/metrics.
 *
 * The request path pays for a timer and one histogram observation (`requestStarted` /
 * `requestFinished`, called by the pipeline), plus an in-flight map entry and a client-count
 * set insert of strings the request already holds. Token and lease counts are read from
 * storage when metrics are scraped, not maintained per request.
 *
 * Names: dotted Vault names ("vault.core.handle_request") become Prometheus names by replacing
 * dots with underscores ("vault_core_handle_request"). Unless `disable_hostname` is set,
 * gauges carry the host name after "vault." as Vault's do ("vault.<host>.token.count").
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { TelemetryConfig } from '../config/server-config-types.js';
import { isArcaError } from '../errors.js';
import type { Request, Response } from '../logical/request.js';
import { ActivityTracker } from './activity.js';
import { RouteTimer, Timer } from './fast-histogram.js';
import { vaultJson, type JsonMetric, type VaultMetricsJson } from './json-format.js';

export type StorageOp = 'get' | 'put' | 'delete' | 'list' | 'batch';
export type StorageTimers = Readonly<Record<StorageOp, Timer>>;

/** The replication engineer's handle on the replication gauges (all registered at 0). */
export interface ReplicationMetrics {
  /** vault.replication.wal.last_wal: the newest WAL index this cluster wrote (primary). */
  setLastWal(index: number): void;
  /** vault.replication.fsm.last_remote_wal: the newest primary WAL index applied (secondary). */
  setLastRemoteWal(index: number): void;
  /** vault.replication.lag_ms: how far behind the primary's clock the applied state is. */
  setLagMs(ms: number): void;
  /** vault.replication.state{mode,state} = 1 for the current state, e.g. ("performance", "stream-wals"). */
  setState(mode: string, state: string): void;
}

export interface TelemetryOptions {
  readonly config: TelemetryConfig;
  readonly storageType: string;
  readonly clock: Clock;
  /** Defaults to the OS host name. */
  readonly hostname?: string;
}

const STORAGE_OPS: readonly StorageOp[] = ['get', 'put', 'delete', 'list', 'batch'];

/** Storage metric prefixes as Vault's backends name themselves. */
const STORAGE_NAMES: Readonly<Record<string, string>> = { postgresql: 'postgres' };

export function promName(dotted: string): string {
  return dotted.replace(/[^a-zA-Z0-9_:]/g, '_');
}

function statusOf(req: Request, resp: Response | undefined, err: unknown): number {
  if (err !== undefined) return isArcaError(err) ? err.status : 500;
  if (resp === undefined) return req.operation === 'read' || req.operation === 'list' ? 404 : 204;
  return resp.raw?.status ?? resp.statusCode ?? 200;
}

export class Telemetry {
  readonly registry = new Registry();
  readonly config: TelemetryConfig;
  readonly activity: ActivityTracker;
  readonly barrierTimers: StorageTimers;
  readonly storageTimers: StorageTimers;
  readonly replication: ReplicationMetrics;
  private readonly clock: Clock;
  private readonly host: string;
  /** Prometheus name -> Vault's dotted name, for the JSON format. */
  private readonly dotted = new Map<string, string>();
  private readonly handleRequest: RouteTimer;
  private readonly handleLoginRequest: RouteTimer;
  private readonly tokenCount: Gauge;
  private readonly numLeases: Gauge;
  private readonly auditRequestFailures: Counter;
  private readonly auditResponseFailures: Counter;
  /** Requests in the pipeline now (sys/in-flight-req), in reusable slots: no per-request allocation. */
  private readonly inFlight = new InFlightSlots();

  constructor(opts: TelemetryOptions) {
    this.config = opts.config;
    this.clock = opts.clock;
    this.host = (opts.hostname ?? hostname()).replace(/[^a-zA-Z0-9_]/g, '_');
    this.activity = new ActivityTracker(opts.clock);

    this.handleRequest = this.histogram(new RouteTimer(this.name('vault.core.handle_request'), 'Time to handle a request, ms, by mount, operation and status.'));
    this.handleLoginRequest = this.histogram(new RouteTimer(this.name('vault.core.handle_login_request'), 'Time to handle a login request, ms, by mount, operation and status.'));
    this.barrierTimers = this.timers('vault.barrier', 'Barrier (encrypting storage layer)');
    this.storageTimers = this.timers(`vault.${STORAGE_NAMES[opts.storageType] ?? opts.storageType}`, `Physical storage (${opts.storageType})`);

    this.tokenCount = this.gauge('vault.token.count', 'Number of service tokens.', ['namespace']);
    this.tokenCount.set({ namespace: 'root' }, 0);
    this.numLeases = this.gauge('vault.expire.num_leases', 'Number of leases.');
    this.numLeases.set(0);
    const inFlight = this.inFlight;
    this.gauge('vault.core.in_flight_requests', 'Requests being handled now.', [], function (this: Gauge) {
      this.set(inFlight.count);
    });
    this.gauge('vault.runtime.alloc_bytes', 'Heap bytes in use.', [], function (this: Gauge) {
      this.set(process.memoryUsage().heapUsed);
    });
    this.gauge('vault.runtime.sys_bytes', 'Resident set size of the process.', [], function (this: Gauge) {
      this.set(process.memoryUsage().rss);
    });
    this.auditRequestFailures = this.counter('vault.audit.log_request_failure', 'Request entries no audit device could record.');
    this.auditResponseFailures = this.counter('vault.audit.log_response_failure', 'Response entries no audit device could record.');
    this.replication = this.replicationGauges();
  }

  /** Unauthenticated sys/metrics is configured (served before the token step, not audited). */
  get unauthenticatedMetrics(): boolean {
    return this.config.unauthenticatedMetricsAccess;
  }

  /** Prometheus output is enabled when retention is positive, as in Vault. */
  get prometheusEnabled(): boolean {
    return this.config.prometheusRetentionTime > 0;
  }

  /** Pipeline: a request entered. Returns the handle to give back to requestFinished. */
  requestStarted(req: Request): number {
    return this.inFlight.enter(req, performance.now());
  }

  /** Pipeline: the request is answered (resp) or failed (err). */
  requestFinished(req: Request, handle: number, resp: Response | undefined, err: unknown): void {
    const ms = performance.now() - this.inFlight.leave(handle);
    const timer = req.auth === undefined && req.path.startsWith('auth/') ? this.handleLoginRequest : this.handleRequest;
    timer.observe(req.mountPoint ?? '', req.operation, statusOf(req, resp, err), ms);
    if (req.auth !== undefined) this.activity.record(req.auth);
  }

  /** sys/in-flight-req: Vault's map of request id -> what is known about it. */
  inFlightRequests(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    // Start times are kept on the monotonic clock; the wall-clock start is now minus the age.
    const wallNow = this.clock.now();
    const perfNow = performance.now();
    for (const [req, started] of this.inFlight.entries()) {
      out[req.id] = {
        start_time: new Date(wallNow - (perfNow - started)).toISOString(),
        client_remote_address: req.remoteAddr,
        request_path: `/v1/${req.path}`,
        request_method: METHODS[req.operation] ?? 'POST',
        client_id: req.auth?.entityId ?? '',
      };
    }
    return out;
  }

  auditFailed(type: 'request' | 'response'): void {
    (type === 'request' ? this.auditRequestFailures : this.auditResponseFailures).inc();
  }

  /** Vault's vault.cache.hit/miss/write counters, read from the barrier's read cache at each scrape. */
  readCacheCounters(stats: () => Readonly<{ hits: number; misses: number; writes: number }>): void {
    const counts: [string, string, 'hits' | 'misses' | 'writes'][] = [
      ['vault.cache.hit', 'Storage reads answered by the read cache.', 'hits'],
      ['vault.cache.miss', 'Storage reads the read cache could not answer.', 'misses'],
      ['vault.cache.write', 'Entries put in the read cache.', 'writes'],
    ];
    for (const [dotted, help, field] of counts) {
      new Counter({
        name: this.name(dotted),
        help,
        registers: [this.registry],
        collect(this: Counter) {
          this.reset();
          this.inc(stats()[field]);
        },
      });
    }
  }

  /** Usage gauges, refreshed by sys/metrics from storage before it renders. */
  setUsage(usage: { tokens: number; leases: number }): void {
    this.tokenCount.set({ namespace: 'root' }, usage.tokens);
    this.numLeases.set(usage.leases);
  }

  async prometheus(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  async json(): Promise<VaultMetricsJson> {
    // prom-client's MetricType is an enum of the same strings.
    const metrics = (await this.registry.getMetricsAsJSON()) as unknown as JsonMetric[];
    return vaultJson(metrics, this.dotted, this.clock.now());
  }

  private name(dotted: string, gauge = false): string {
    const full = gauge && !this.config.disableHostname && dotted.startsWith('vault.') ? `vault.${this.host}.${dotted.slice(6)}` : dotted;
    const prom = promName(full);
    this.dotted.set(prom, full);
    return prom;
  }

  private histogram<T extends Timer | RouteTimer>(h: T): T {
    // Duck-typed: the registry reads name/help/type and get() from any metric object.
    this.registry.registerMetric(h as never);
    return h;
  }

  private timers(prefix: string, what: string): StorageTimers {
    const out = {} as Record<StorageOp, Timer>;
    for (const op of STORAGE_OPS) out[op] = this.histogram(new Timer(this.name(`${prefix}.${op}`), `${what} ${op} latency, ms.`));
    return out;
  }

  private gauge(dotted: string, help: string, labelNames: string[] = [], collect?: (this: Gauge) => void): Gauge {
    return new Gauge({ name: this.name(dotted, true), help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  private counter(dotted: string, help: string): Counter {
    return new Counter({ name: this.name(dotted), help, registers: [this.registry] });
  }

  private replicationGauges(): ReplicationMetrics {
    const lastWal = this.gauge('vault.replication.wal.last_wal', 'Newest WAL index written on this primary.');
    const lastRemoteWal = this.gauge('vault.replication.fsm.last_remote_wal', 'Newest primary WAL index applied on this secondary.');
    const lag = this.gauge('vault.replication.lag_ms', 'Replication lag behind the primary, ms.');
    const state = this.gauge('vault.replication.state', 'Replication state: 1 for the current (mode, state).', ['mode', 'state']);
    lastWal.set(0);
    lastRemoteWal.set(0);
    lag.set(0);
    const current = new Map<string, string>([['performance', 'disabled']]);
    state.set({ mode: 'performance', state: 'disabled' }, 1);
    return {
      setLastWal: (i) => lastWal.set(i),
      setLastRemoteWal: (i) => lastRemoteWal.set(i),
      setLagMs: (ms) => lag.set(ms),
      setState: (mode, s) => {
        const previous = current.get(mode);
        if (previous !== undefined) state.remove({ mode, state: previous });
        current.set(mode, s);
        state.set({ mode, state: s }, 1);
      },
    };
  }
}

/**
 * Requests in flight in an array of slots with a free list: entering and leaving is a few
 * array writes, and the start time lives in a typed array, so the request path allocates
 * nothing here (the arrays grow by doubling, rarely).
 */
class InFlightSlots {
  private requests: (Request | undefined)[] = new Array<Request | undefined>(64).fill(undefined);
  private started = new Float64Array(64);
  private free: number[] = Array.from({ length: 64 }, (_, i) => 63 - i);
  count = 0;

  enter(req: Request, at: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      const size = this.requests.length;
      this.requests.length = size * 2;
      this.requests.fill(undefined, size);
      const started = new Float64Array(size * 2);
      started.set(this.started);
      this.started = started;
      for (let i = size * 2 - 1; i > size; i--) this.free.push(i);
      slot = size;
    }
    this.requests[slot] = req;
    this.started[slot] = at;
    this.count++;
    return slot;
  }

  /** Frees the slot; returns the start time given to enter. */
  leave(slot: number): number {
    this.requests[slot] = undefined;
    this.free.push(slot);
    this.count--;
    return this.started[slot]!;
  }

  *entries(): Iterable<[Request, number]> {
    for (let i = 0; i < this.requests.length; i++) {
      const req = this.requests[i];
      if (req !== undefined) yield [req, this.started[i]!];
    }
  }
}

const METHODS: Readonly<Record<string, string>> = { read: 'GET', list: 'LIST', delete: 'DELETE', create: 'POST', update: 'POST', patch: 'PATCH', help: 'GET' };
