/**
 * HOOK for the replication engineers: the issue-8 replication scenarios go here, and are listed
 * in REPLICATION_SCENARIOS (index.ts runs them after the single-node scenarios, and
 * `--only=<name>` selects them like any other). Nothing here is measured until they exist;
 * nothing is faked meanwhile.
 *
 * What issue 8 asks for, and how each fits the contract in types.ts:
 *
 *  - `replication-lag`: a primary and a secondary (each its own process, loopback, ephemeral
 *    ports; see lib/arca-server.ts and lib/node-host.ts for starting servers), a sustained
 *    1,000 writes/s on the primary, and for each write the ms between its acknowledgement on
 *    the primary and its visibility on the secondary. Report p50/p99 as `measurements`
 *    ({ name: 'lag p50', value, unit: 'ms' }, ...); target: p99 < 10 ms.
 *  - `replication-forwarded-write`: KV v2 writes sent to the secondary (forwarded to the
 *    primary) as a load run (measureLoad in repeat.ts, like kv-write.ts), with
 *    `baseline: 'kv-write-direct'` (the same writes sent to the primary); target: p50 at most
 *    the direct write's p50 + 2 ms (a `target` that reads both results).
 *  - `replication-merkle-catchup`: 100,000 keys on the primary, a new secondary, seconds until
 *    it has caught up by Merkle comparison, as a measurement ({ unit: 's' }).
 *
 * Keep load in a separate process (lib/load-driver.ts), bound every wait in time, and stop every
 * child in a finally, as the other scenarios do.
 */
import type { Scenario } from './types.js';

export const REPLICATION_SCENARIOS: readonly Scenario[] = [];
