/** Runs a load repetition `reps` times and folds the results into medians. */
import { runLoad } from '../lib/load-driver.js';
import type { LoadResult, LoadSpec } from '../lib/load-spec.js';
import type { Child } from '../lib/child.js';
import { median } from '../lib/stats.js';
import type { BenchContext, Figures, RunSettings } from './types.js';

export async function repeat(ctx: BenchContext, label: string, once: (rep: number) => Promise<LoadResult>): Promise<{ runs: LoadResult[]; median: Figures }> {
  const runs: LoadResult[] = [];
  for (let rep = 0; rep < ctx.settings.reps; rep++) {
    const r = await once(rep);
    const cpu = r.cpuUsPerRequest === undefined ? '' : ` cpu ${fixed(r.cpuUsPerRequest, 0)} us/req`;
    ctx.log(`  ${label} #${rep + 1}: ${fixed(r.rps, 0)} req/s p50 ${fixed(r.p50, 2)} ms p99 ${fixed(r.p99, 2)} ms${cpu}` +
      (r.non2xx + r.errors + r.timeouts > 0 ? ` (non2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})` : ''));
    runs.push(r);
  }
  return { runs, median: medianFigures(runs) };
}

/** A figure for the log; NaN (JSON null: no successful request) prints as "-". */
function fixed(v: number | null | undefined, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';
}

export function medianFigures(runs: readonly LoadResult[]): Figures {
  const cpu = runs.flatMap((r) => (r.cpuUsPerRequest === undefined ? [] : [r.cpuUsPerRequest]));
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    ...(cpu.length > 0 ? { cpuUs: median(cpu) } : {}),
  };
}

/** Failed requests make a throughput figure meaningless: say so next to it. */
export function failureNotes(runs: readonly LoadResult[]): string[] {
  const bad = runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
  return bad > 0 ? [`${bad} failed requests (non-2xx, errors or timeouts) across repetitions`] : [];
}

/** Says so when a scenario's measured runs are longer than the header's. */
export function runLengthNotes(s: RunSettings, target: Pick<TargetSpec, 'measuredSeconds'>): string[] {
  const seconds = measuredSeconds(s, target);
  return seconds === s.durationSeconds ? [] : [`measured runs of ${seconds} s, not ${s.durationSeconds}: its target is a p99 under sustained load (bench/README.md "Method")`];
}

/** The connections every HTTP scenario uses (the write target is stated at 64). */
export const CONNECTIONS = 64;

export type TargetSpec = Omit<LoadSpec, 'warmupSeconds' | 'durationSeconds' | 'maxRequests' | 'connections'> & {
  /** Only where 64 clients would just queue (scrypt logins); the report says so. */
  readonly connections?: number;
  /**
   * Length of each measured run in full mode, where longer than the run's default: for the
   * scenarios judged by a p99 under sustained load. Every run opens its 64 connections anew,
   * and with wrk the requests of that start-up take up to ~0.5 s whatever the server (a bare
   * node:http server at 5,000 req/s: p99 181-194 ms over 5 s runs, 71 ms over 10 s, 16 ms
   * over 20 s; README "Method"). Longer runs keep that transient from deciding the p99.
   */
  readonly measuredSeconds?: number;
};

/** Measured run length of a load scenario under these settings (quick mode keeps its own). */
export function measuredSeconds(s: RunSettings, target: Pick<TargetSpec, 'measuredSeconds'>): number {
  return s.quick ? s.durationSeconds : Math.max(s.durationSeconds, target.measuredSeconds ?? 0);
}

/**
 * Drives `reps` measured load runs from the load worker process against a server child (the
 * first preceded by an unmeasured warm-up), and charges the server's CPU time over each
 * measured part to that run.
 */
export async function measureLoad(ctx: BenchContext, label: string, server: Child, target: TargetSpec): Promise<{ runs: LoadResult[]; median: Figures }> {
  const s = ctx.settings;
  const { measuredSeconds: _length, ...load } = target;
  const spec: LoadSpec = { ...load, connections: target.connections ?? CONNECTIONS, warmupSeconds: 0, durationSeconds: measuredSeconds(s, target), maxRequests: s.maxRequests };
  return repeat(ctx, label, async (rep) => {
    let before = Number.NaN;
    const r = await runLoad({ ...spec, warmupSeconds: rep === 0 ? s.warmupSeconds : 0 }, () => (before = server.cpuSeconds()));
    const cpu = server.cpuSeconds() - before;
    return r.ok > 0 && Number.isFinite(cpu) ? { ...r, cpuUsPerRequest: (cpu * 1e6) / r.ok } : r;
  });
}
