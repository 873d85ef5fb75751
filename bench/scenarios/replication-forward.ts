/**
 * direct-write / forwarded-write: the same KV v2 write (payload, keys, concurrency) sent to the
 * primary, and to the secondary, which forwards it over the cluster channel and answers once it
 * has applied the write's WAL index (read-your-writes). Same pair as replication-lag; load from
 * the autocannon worker process. CPU/req is the receiving server's only.
 */
import { KV_WRITE_BODY, kvDataPath } from '../lib/payload.js';
import { failureNotes, measureLoad } from './repeat.js';
import { pair } from './replication-lag.js';
import type { Scenario } from './types.js';

/** Below saturation, so latency is the path's and not the queue's (64 would queue at the primary). */
export const FORWARD_CONNECTIONS = 8;

function writeScenario(name: 'direct-write' | 'forwarded-write'): Scenario {
  const forwarded = name === 'forwarded-write';
  return {
    name,
    ...(forwarded ? { baseline: 'direct-write' } : {}),
    async run(ctx) {
      const { primary, secondary } = await pair(ctx);
      const node = forwarded ? secondary : primary;
      const { runs, median } = await measureLoad(ctx, name, node.child, {
        url: node.url,
        path: kvDataPath(`${forwarded ? 'fwd' : 'direct'}/k{i}`),
        method: 'POST',
        headers: { 'X-Vault-Token': node.token, 'Content-Type': 'application/json' },
        body: KV_WRITE_BODY,
        keyCount: 10_000,
        connections: FORWARD_CONNECTIONS,
      });
      const title = forwarded ? 'KV v2 write at a secondary, forwarded to the primary' : 'KV v2 write at the primary (replicating to a secondary)';
      return { name, title, runs, median, notes: [`${FORWARD_CONNECTIONS} connections`, ...failureNotes(runs)] };
    },
    ...(forwarded
      ? {
          target(result, base) {
            const f = result.median?.p50;
            const d = base?.median?.p50;
            if (f === undefined || d === undefined || !Number.isFinite(f) || !Number.isFinite(d)) return undefined;
            return { text: `forwarded p50 <= direct p50 + 2 ms (${f.toFixed(2)} vs ${d.toFixed(2)}: +${(f - d).toFixed(2)} ms)`, met: f <= d + 2 };
          },
        }
      : {}),
  };
}

export const directWrite = writeScenario('direct-write');
export const forwardedWrite = writeScenario('forwarded-write');
