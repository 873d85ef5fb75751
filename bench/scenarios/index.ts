/** Every scenario, in run order: baselines before the scenarios divided by them. */
import { httpBaseline } from './http-baseline.js';
import { kvReadHot, kvReadHotAcl } from './kv-read-hot.js';
import { kvReadMany } from './kv-read-many.js';
import { kvWrite } from './kv-write.js';
import { leaseCreate100k, leaseCreateFew } from './leases.js';
import { loginApprole, loginUserpass } from './logins.js';
import { memoryInmem, memorySqlite } from './memory.js';
import { REPLICATION_SCENARIOS } from './replication.js';
import { sqliteRawGrouped, sqliteRawSingle } from './sqlite-raw.js';
import { tokenLookupSelf } from './token-lookup.js';
import { transitEncrypt } from './transit.js';
import type { Scenario } from './types.js';
import { writeFloor } from './write-floor.js';

export const SCENARIOS: readonly Scenario[] = [
  httpBaseline,
  // On the run's shared dev server, reads before the scenarios that add tokens.
  kvReadHot,
  kvReadHotAcl,
  tokenLookupSelf,
  transitEncrypt,
  loginApprole,
  loginUserpass,
  kvReadMany,
  sqliteRawSingle,
  sqliteRawGrouped,
  writeFloor,
  kvWrite,
  leaseCreateFew,
  leaseCreate100k,
  memorySqlite,
  memoryInmem,
  // Replication (issue 8): added by the replication work, see replication.ts.
  ...REPLICATION_SCENARIOS,
];

/** The named scenarios plus the baselines they are divided by, in run order. */
export function selectScenarios(only: readonly string[]): Scenario[] {
  if (only.length === 0) return [...SCENARIOS];
  const known = new Set(SCENARIOS.map((s) => s.name));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  const wanted = new Set(only);
  // A baseline may itself have one: follow the chain (and companions, for their context).
  for (let added = true; added; ) {
    added = false;
    for (const s of SCENARIOS) {
      if (!wanted.has(s.name)) continue;
      for (const other of [...(s.baseline === undefined ? [] : [s.baseline]), ...(s.companions ?? [])]) {
        if (wanted.has(other)) continue;
        wanted.add(other);
        added = true;
      }
    }
  }
  return SCENARIOS.filter((s) => wanted.has(s.name));
}
