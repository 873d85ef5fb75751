/**
 * Dynamic-lease creation, with few and with 100,000 live leases already held by the node
 * (quick mode: 2,000). A "lease" here is a service token with a 768 h TTL created by
 * `POST /v1/auth/token/create`: it is stored (local storage) and enters the expiration
 * manager's deadline queue, the same structure every secret lease goes through. The engine
 * that issues secret leases (database) needs a PostgreSQL per credential, which would measure
 * PostgreSQL's CREATE ROLE rather than Arca (bench/README.md).
 *
 * Both run on one SQLite node (the durable default): lease-create-few first, then 100,000 leases
 * are created through the in-process pipeline inside the server process, then lease-create-100k.
 * RSS is read before and after each load. Each request adds a lease, so the second scenario
 * also holds what the first one created (the notes give the counts).
 */
import { type HostedNode, startHostedNode } from '../lib/node-host-client.js';
import { LEASE_TTL } from '../lib/host-spec.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { BenchContext, Scenario, ScenarioResult } from './types.js';

export const FULL_LIVE_LEASES = 100_000;
export const QUICK_LIVE_LEASES = 2_000;
const MIB = 2 ** 20;

/** One SQLite node serves both scenarios: few leases first, then the prefill, then 100,000. */
function leaseNode(ctx: BenchContext): Promise<HostedNode> {
  return ctx.shared('lease-node', () => startHostedNode({ storage: 'sqlite', prefill: 0, prefillTimeoutMs: 300_000 }));
}

async function leaseCreation(ctx: BenchContext, name: string, live: number): Promise<ScenarioResult> {
  const node = await leaseNode(ctx);
  const notes: string[] = [];
  if (live > 0) {
    const ms = await node.prefill('leases', live, 300_000);
    ctx.log(`  ${live} live leases created in ${ms} ms`);
    notes.push(`${live.toLocaleString('en-US')} leases prefilled through the in-process pipeline in ${ms} ms`);
  }
  const rssBefore = node.child.rss();
  const { runs, median } = await measureLoad(ctx, name, node.child, {
    url: node.url,
    path: '/v1/auth/token/create',
    method: 'POST',
    headers: { 'X-Vault-Token': node.token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ policies: ['default'], ttl: LEASE_TTL }),
  });
  const rssAfter = node.child.rss();
  const added = runs.reduce((n, r) => n + r.ok, 0);
  return {
    name,
    title: `lease creation (token with ${LEASE_TTL} TTL) with ${live.toLocaleString('en-US')} more live leases (SQLite)`,
    runs,
    median,
    measurements: [
      { name: 'RSS before', value: Math.round(rssBefore / MIB), unit: 'MiB' },
      { name: 'RSS after', value: Math.round(rssAfter / MIB), unit: 'MiB' },
    ],
    notes: [...failureNotes(runs), ...notes, `the measured runs created ${added.toLocaleString('en-US')} leases (plus the warm-up's)`],
  };
}

export const leaseCreateFew: Scenario = {
  name: 'lease-create-few',
  run: (ctx) => leaseCreation(ctx, 'lease-create-few', 0),
};

/** Runs after lease-create-few on the same node, so it holds what that run created plus these. */
export const leaseCreate100k: Scenario = {
  name: 'lease-create-100k',
  baseline: 'lease-create-few',
  run: (ctx) => leaseCreation(ctx, 'lease-create-100k', ctx.settings.quick ? QUICK_LIVE_LEASES : FULL_LIVE_LEASES),
};
