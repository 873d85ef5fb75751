/** The contract between the orchestrator (bench/run.ts) and each scenario. */
import type { HostedNode } from '../lib/node-host-client.js';
import type { LoadResult } from '../lib/load-spec.js';

export interface RunSettings {
  readonly quick: boolean;
  /** Measured repetitions per load scenario; the report shows their medians. */
  readonly reps: number;
  /** Warm-up before the first repetition (unmeasured), seconds. */
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** Upper bound on requests in one measured repetition. */
  readonly maxRequests: number;
}

export interface BenchContext {
  readonly settings: RunSettings;
  /** Byte size of a KV v2 read response for the standard secret (measured once per run). */
  kvReadBytes(): Promise<number>;
  /**
   * The run's shared dev node (inmem, root token "root", KV v2 at secret/; lib/node-host.ts),
   * started on first use. Scenarios that only need mounts and auth methods set theirs up on it
   * under their own paths, which saves a server start each (quick mode must stay short).
   */
  devServer(): Promise<HostedNode>;
  /**
   * A resource several scenarios share (a server), started by the first caller of `key` and
   * stopped by the orchestrator at the end of the run, whatever happened.
   */
  shared<T extends { stop(): Promise<void> }>(key: string, start: () => Promise<T>): Promise<T>;
  /** Progress line on stderr (results go to stdout). */
  log(msg: string): void;
}

/** Medians over the repetitions. */
export interface Figures {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Server CPU microseconds per request, where measured. */
  readonly cpuUs?: number;
}

export interface Measurement {
  readonly name: string;
  readonly value: number;
  /** "ms", "s", "MiB", ... */
  readonly unit: string;
}

export interface TargetCheck {
  readonly text: string;
  readonly met: boolean;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  /** Load scenarios: every repetition, then the medians. */
  readonly runs: readonly LoadResult[];
  readonly median?: Figures;
  /** Memory scenarios: resident set size in bytes and what it holds. */
  readonly memory?: { readonly rssBytes: number; readonly entries: number; readonly leases?: number; readonly storage: string };
  /**
   * Figures that are not a load run (replication lag percentiles, catch-up time, RSS next to a
   * load run...): shown in the report's "other" column and kept in the JSON.
   */
  readonly measurements?: readonly Measurement[];
  readonly notes: readonly string[];
}

export interface Scenario {
  readonly name: string;
  /** Scenario whose median throughput this one is divided by (same run). */
  readonly baseline?: string;
  /** Scenarios selected with this one (by --only) for context, though not divided by. */
  readonly companions?: readonly string[];
  run(ctx: BenchContext): Promise<ScenarioResult>;
  /**
   * The issue-8 target, judged against this run's figures (and its baseline's); undefined when
   * this run cannot judge it (e.g. quick mode measured fewer entries than the target names).
   */
  target?(result: ScenarioResult, baseline: ScenarioResult | undefined): TargetCheck | undefined;
}
