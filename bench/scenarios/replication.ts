/**
 * The issue-8 replication scenarios (index.ts runs them after the single-node ones; `--only`
 * selects them like any other). Each runs its servers as their own processes on 127.0.0.1:
 * - replication-lag (replication-lag.ts): ack -> visible at the secondary, p50/p99, 1,000 writes/s;
 * - direct-write / forwarded-write (replication-forward.ts): KV v2 write latency at the primary
 *   and forwarded from a secondary, same payload and concurrency;
 * - merkle-catchup (replication-catchup.ts): a new secondary catching up 100,000 secrets by Merkle diff.
 * The first three share one primary/secondary pair (ctx.shared), stopped at the end of the run.
 */
import { merkleCatchup } from './replication-catchup.js';
import { directWrite, forwardedWrite } from './replication-forward.js';
import { replicationLag } from './replication-lag.js';
import type { Scenario } from './types.js';

export const REPLICATION_SCENARIOS: readonly Scenario[] = [replicationLag, directWrite, forwardedWrite, merkleCatchup];
