/** Runs a load repetition `reps` times and folds the results into medians. */
import { runLoad } from '../lib/load-driver.js';
import type { LoadResult, LoadSpec } from '../lib/load-spec.js';
import { median } from '../lib/stats.js';
import type { BenchContext, Figures } from './types.js';

export async function repeat(ctx: BenchContext, label: string, once: (rep: number) => Promise<LoadResult>): Promise<{ runs: LoadResult[]; median: Figures }> {
  const runs: LoadResult[] = [];
  for (let rep = 0; rep < ctx.settings.reps; rep++) {
    const r = await once(rep);
    ctx.log(`  ${label} #${rep + 1}: ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms` +
      (r.non2xx + r.errors + r.timeouts > 0 ? ` (non2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})` : ''));
    runs.push(r);
  }
  return { runs, median: medianFigures(runs) };
}

export function medianFigures(runs: readonly LoadResult[]): Figures {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
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

/** Drives `reps` load runs from a separate worker process, warming up before the first. */
export function measureLoad(ctx: BenchContext, label: string, target: TargetSpec): Promise<{ runs: LoadResult[]; median: Figures }> {
  const s = ctx.settings;
  return repeat(ctx, label, (rep) =>
    runLoad({
      ...target,
      connections: CONNECTIONS,
      warmupSeconds: rep === 0 ? s.warmupSeconds : 0,
      durationSeconds: s.durationSeconds,
      maxRequests: s.maxRequests,
    }),
  );
}
