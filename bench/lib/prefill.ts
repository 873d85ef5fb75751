/**
 * Fills a node through the in-process request pipeline (no HTTP), with a bounded number of
 * requests in flight so SQLite's group commit batches them: KV v2 secrets, and live leases
 * (TTL'd service tokens). Used inside a server process the bench spawns; the load itself still
 * comes from another process.
 */
import type { Pipeline } from '../../src/core/pipeline.js';
import type { Request } from '../../src/logical/request.js';
import { LEASE_TTL } from './host-spec.js';
import { KV_MOUNT, SECRET, manyKey } from './payload.js';

export interface PrefillOptions {
  readonly count: number;
  /** Index of the first KV key (a later prefill continues where an earlier one stopped). */
  readonly first?: number;
  readonly token: string;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Give up (throw) after this long; the loop is bounded in time as well as count. */
  readonly timeoutMs: number;
}

async function prefill(pipeline: Pipeline, opts: PrefillOptions, request: (i: number) => Request): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.count) {
      if (Date.now() > deadline) throw new Error(`prefill: ${next} of ${opts.count} after ${opts.timeoutMs} ms`);
      await pipeline.handle(request(next++));
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, worker));
}

function internalRequest(id: string, path: string, data: Record<string, unknown>, token: string): Request {
  return { id, operation: 'update', path, data, clientToken: token, headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
}

export function prefillKv(pipeline: Pipeline, opts: PrefillOptions): Promise<void> {
  const first = opts.first ?? 0;
  return prefill(pipeline, opts, (i) => internalRequest(`prefill-${first + i}`, `${KV_MOUNT}/data/${manyKey(first + i)}`, { data: SECRET }, opts.token));
}

/** Live leases: service tokens with LEASE_TTL, created as `auth/token/create` does over HTTP. */
export function prefillLeases(pipeline: Pipeline, opts: PrefillOptions): Promise<void> {
  return prefill(pipeline, opts, (i) => internalRequest(`lease-${i}`, 'auth/token/create', { policies: ['default'], ttl: LEASE_TTL }, opts.token));
}
