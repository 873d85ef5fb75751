/** Runs one load run in a separate worker process (load-worker.js) and returns its result. */
import { fileURLToPath } from 'node:url';
import { runNode } from './child.js';
import { type LoadResult, type LoadSpec, assertLoopback } from './load-spec.js';

const WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));
/** Beyond the run's own duration: process start, connection setup, the last responses. */
const GRACE_MS = 20_000;

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.url);
  const budgetMs = (spec.warmupSeconds + spec.durationSeconds) * 1000 + GRACE_MS;
  const out = await runNode(WORKER, [JSON.stringify(spec)], budgetMs);
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as LoadResult;
}
