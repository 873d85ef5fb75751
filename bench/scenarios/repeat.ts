/** Runs a load repetition `reps` times and folds the results into medians. */
import { runLoad } from '../lib/load-driver.js';
import type { LoadResult, LoadSpec } from '../lib/load-spec.js';
import type { Child } from '../lib/child.js';
import { median } from '../lib/stats.js';
import type { BenchContext, Figures } from './types.js';

export async function repeat(ctx: BenchContext, label: string, once: (rep: number) => Promise<LoadResult>): Promise<{ runs: LoadResult[]; median: Figures }> {
  const runs: LoadResult[] = [];
  for (let rep = 0; rep < ctx.settings.reps; rep++) {
    const r = await once(rep);
    const cpu = r.cpuUsPerRequest === undefined ? '' : ` cpu ${r.cpuUsPerRequest.toFixed(0)} us/req`;
    ctx.log(`  ${label} #${rep + 1}: ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms${cpu}` +
      (r.non2xx + r.errors + r.timeouts > 0 ? ` (non2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})` : ''));
    runs.push(r);
  }
  return { runs, median: medianFigures(runs) };
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

/** The connections every HTTP scenario uses (the write target is stated at 64). */
export const CONNECTIONS = 64;

export type TargetSpec = Omit<LoadSpec, 'warmupSeconds' | 'durationSeconds' | 'maxRequests' | 'connections'>;

/**
 * Drives `reps` measured load runs from a separate worker process against a server child,
 * after one unmeasured warm-up run, and charges the server's CPU time to each measured run.
 */
export async function measureLoad(ctx: BenchContext, label: string, server: Child, target: TargetSpec): Promise<{ runs: LoadResult[]; median: Figures }> {
  const s = ctx.settings;
  const spec: LoadSpec = { ...target, connections: CONNECTIONS, warmupSeconds: 0, durationSeconds: s.durationSeconds, maxRequests: s.maxRequests };
  if (s.warmupSeconds > 0) await runLoad({ ...spec, durationSeconds: s.warmupSeconds });
  return repeat(ctx, label, async () => {
    const before = server.cpuSeconds();
    const r = await runLoad(spec);
    const cpu = server.cpuSeconds() - before;
    return r.ok > 0 ? { ...r, cpuUsPerRequest: (cpu * 1e6) / r.ok } : r;
  });
}
