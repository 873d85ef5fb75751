/**
 * Memory: resident set size of a server process holding N KV v2 entries (1,000,000; 50,000 in
 * quick mode), written through the in-process pipeline in that process. Measured for SQLite
 * (the durable default: data on disk, RSS is the node's own working set) and for inmem (the
 * dev store: every entry's ciphertext lives in the heap).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHostedNode } from '../lib/node-host-client.js';
import type { BenchContext, Scenario, ScenarioResult, TargetCheck } from './types.js';

export const FULL_ENTRIES = 1_000_000;
export const QUICK_ENTRIES = 10_000;
const GIB = 1024 ** 3;
/** Let the prefill's garbage settle before reading RSS. */
const SETTLE_MS = 1000;

async function measure(ctx: BenchContext, name: string, storage: 'inmem' | 'sqlite'): Promise<ScenarioResult> {
  const entries = ctx.settings.quick ? QUICK_ENTRIES : FULL_ENTRIES;
  const dir = mkdtempSync(join(tmpdir(), 'arca-bench-mem-'));
  try {
    const node = await startHostedNode({
      storage,
      ...(storage === 'sqlite' ? { dbPath: join(dir, 'arca.db') } : {}),
      prefill: entries,
      prefillTimeoutMs: 600_000,
    });
    try {
      await sleep(SETTLE_MS);
      const rssBytes = node.child.rss();
      ctx.log(`  ${name}: ${entries} entries in ${node.prefillMs} ms, RSS ${(rssBytes / 2 ** 20).toFixed(0)} MiB`);
      return {
        name,
        title: `RSS holding ${entries.toLocaleString('en-US')} KV v2 entries (${storage})`,
        runs: [],
        memory: { rssBytes, entries, storage },
        notes: [
          `written through the in-process pipeline in ${node.prefillMs} ms (${Math.round(entries / (node.prefillMs / 1000))} writes/s)`,
          ...(ctx.settings.quick ? [`quick mode: ${QUICK_ENTRIES.toLocaleString('en-US')} entries, not 1,000,000 (target not judged)`] : []),
        ],
      };
    } finally {
      await node.child.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function under1GiB(result: ScenarioResult): TargetCheck | undefined {
  const m = result.memory;
  if (m === undefined || m.entries < FULL_ENTRIES) return undefined;
  return { text: '1,000,000 KV entries with RSS <= 1 GiB', met: m.rssBytes <= GIB };
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
