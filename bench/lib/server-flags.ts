/**
 * Arca server processes run as the project recommends for the machine: with the V8 pool size
 * of src/server/node-flags.ts (`--v8-pool-size=1` on two cores). The report's Method section
 * says so; `ARCA_BENCH_NODE_DEFAULTS=1` runs them with Node's defaults instead, for comparison.
 * The baseline servers keep Node's defaults: they have no GC load to speak of.
 */
import { availableParallelism } from 'node:os';
import { recommendedNodeFlags } from '../../src/server/node-flags.js';

export function recommendedServerFlags(): string[] {
  if (process.env.ARCA_BENCH_NODE_DEFAULTS === '1') return [];
  return recommendedNodeFlags(availableParallelism());
}
