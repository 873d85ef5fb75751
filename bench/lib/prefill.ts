/**
 * Fills a KV v2 mount through the in-process request pipeline (no HTTP), with a bounded number
 * of writes in flight so SQLite's group commit batches them. Used inside a server process the
 * bench spawns; the load itself still comes from another process.
 */
import type { Pipeline } from '../../src/core/pipeline.js';
import { KV_MOUNT, SECRET, manyKey } from './payload.js';

export interface PrefillOptions {
  readonly count: number;
  readonly token: string;
  /** Writes in flight at once. */
  readonly concurrency: number;
  /** Give up (throw) after this long; the loop is bounded in time as well as count. */
  readonly timeoutMs: number;
}

export async function prefillKv(pipeline: Pipeline, opts: PrefillOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.count) {
      if (Date.now() > deadline) throw new Error(`prefill: ${next} of ${opts.count} keys after ${opts.timeoutMs} ms`);
      const i = next++;
      await pipeline.handle({
        id: `prefill-${i}`,
        operation: 'update',
        path: `${KV_MOUNT}/data/${manyKey(i)}`,
        data: { data: SECRET },
        clientToken: opts.token,
        headers: {},
        wrapTTL: 0,
        remoteAddr: '127.0.0.1',
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, worker));
}
