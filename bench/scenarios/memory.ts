/**
 * Memory: resident set size of a server process holding N KV v2 entries (1,000,000; 5,000 in
 * quick mode) and M live leases (100,000; 500 in quick mode), all written through the
 * in-process pipeline in that process. Measured for SQLite (the durable default: data on disk,
 * RSS is the node's own working set) and for inmem (the dev store: every entry's ciphertext
 * lives in the heap).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startHostedNode } from '../lib/node-host-client.js';
import type { BenchContext, Scenario, ScenarioResult, TargetCheck } from './types.js';

export const FULL_ENTRIES = 1_000_000;
export const QUICK_ENTRIES = 5_000;
export const FULL_LEASES = 100_000;
export const QUICK_LEASES = 500;
const GIB = 1024 ** 3;
/** Let the prefill's garbage settle before reading RSS (quick mode: less to settle). */
const SETTLE_MS = 1000;
const QUICK_SETTLE_MS = 300;

async function measure(ctx: BenchContext, name: string, storage: 'inmem' | 'sqlite'): Promise<ScenarioResult> {
  const entries = ctx.settings.quick ? QUICK_ENTRIES : FULL_ENTRIES;
  const leases = ctx.settings.quick ? QUICK_LEASES : FULL_LEASES;
  const node = await startHostedNode({ storage, prefill: entries, leases, prefillTimeoutMs: 600_000 });
  try {
    await sleep(ctx.settings.quick ? QUICK_SETTLE_MS : SETTLE_MS);
    const rssBytes = node.child.rss();
    ctx.log(`  ${name}: ${entries} entries in ${node.prefillMs} ms, ${leases} leases in ${node.leasesMs} ms, RSS ${(rssBytes / 2 ** 20).toFixed(0)} MiB`);
    const rate = (n: number, ms: number): number => Math.round(n / (Math.max(ms, 1) / 1000));
    return {
      name,
      title: `RSS holding ${entries.toLocaleString('en-US')} KV v2 entries and ${leases.toLocaleString('en-US')} leases (${storage})`,
      runs: [],
      memory: { rssBytes, entries, leases, storage },
      notes: [
        `KV written through the in-process pipeline in ${node.prefillMs} ms (${rate(entries, node.prefillMs)} writes/s), leases in ${node.leasesMs} ms (${rate(leases, node.leasesMs)}/s)`,
        ...(ctx.settings.quick ? [`quick mode: ${QUICK_ENTRIES.toLocaleString('en-US')} entries and ${QUICK_LEASES.toLocaleString('en-US')} leases (target not judged)`] : []),
      ],
    };
  } finally {
    await node.stop();
  }
}

function under1GiB(result: ScenarioResult): TargetCheck | undefined {
  const m = result.memory;
  if (m === undefined || m.entries < FULL_ENTRIES || (m.leases ?? 0) < FULL_LEASES) return undefined;
  return { text: '1,000,000 KV entries + 100,000 leases with RSS <= 1 GiB', met: m.rssBytes <= GIB };
}

export const memorySqlite: Scenario = {
  name: 'memory-kv-sqlite',
  run: (ctx) => measure(ctx, 'memory-kv-sqlite', 'sqlite'),
  target: under1GiB,
};

export const memoryInmem: Scenario = {
  name: 'memory-kv-inmem',
  run: (ctx) => measure(ctx, 'memory-kv-inmem', 'inmem'),
  target: under1GiB,
};
