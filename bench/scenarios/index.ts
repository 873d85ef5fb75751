/** Every scenario, in run order: baselines before the scenarios divided by them. */
import { httpBaseline } from './http-baseline.js';
import { kvReadHot } from './kv-read-hot.js';
import { kvReadMany } from './kv-read-many.js';
import { kvWrite } from './kv-write.js';
import { memoryInmem, memorySqlite } from './memory.js';
import { sqliteRawGrouped, sqliteRawSingle } from './sqlite-raw.js';
import type { Scenario } from './types.js';

export const SCENARIOS: readonly Scenario[] = [
  httpBaseline,
  kvReadHot,
  kvReadMany,
  sqliteRawSingle,
  sqliteRawGrouped,
  kvWrite,
  memorySqlite,
  memoryInmem,
];

/** The named scenarios plus the baselines they are divided by, in run order. */
export function selectScenarios(only: readonly string[]): Scenario[] {
  if (only.length === 0) return [...SCENARIOS];
  const known = new Set(SCENARIOS.map((s) => s.name));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  const wanted = new Set(only);
  for (const s of SCENARIOS) if (wanted.has(s.name) && s.baseline !== undefined) wanted.add(s.baseline);
  return SCENARIOS.filter((s) => wanted.has(s.name));
}
