/**
 * Storage baselines: raw better-sqlite3 writes (own process) with Arca's durability, one
 * transaction per write and 64 writes per transaction (what group commit gives 64 clients).
 */
import { fileURLToPath } from 'node:url';
import { runNode } from '../lib/child.js';
import type { LoadResult } from '../lib/load-spec.js';
import type { WriterSpec } from '../lib/sqlite-writer.js';
import { WRITE_KEYS } from './kv-write.js';
import { repeat } from './repeat.js';
import type { BenchContext, Scenario, ScenarioResult } from './types.js';

const WRITER = fileURLToPath(new URL('../lib/sqlite-writer.js', import.meta.url));

async function rawWrites(ctx: BenchContext, name: string, group: number): Promise<ScenarioResult> {
  const s = ctx.settings;
  const spec: WriterSpec = { group, seconds: s.durationSeconds, maxWrites: s.maxRequests, keyCount: WRITE_KEYS };
  const { runs, median } = await repeat(ctx, name, async () => {
    const out = await runNode(WRITER, [JSON.stringify(spec)], s.durationSeconds * 1000 + 20_000);
    return JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult;
  });
  const title = group === 1 ? 'raw better-sqlite3, one transaction per write' : `raw better-sqlite3, ${group} writes per transaction`;
  return { name, title, runs, median, notes: ['one write = two upserts (metadata + version), WAL, synchronous=FULL; latency = wait for commit'] };
}

export const sqliteRawSingle: Scenario = {
  name: 'sqlite-raw-single',
  run: (ctx) => rawWrites(ctx, 'sqlite-raw-single', 1),
};

export const sqliteRawGrouped: Scenario = {
  name: 'sqlite-raw-grouped',
  run: (ctx) => rawWrites(ctx, 'sqlite-raw-grouped', 64),
};
