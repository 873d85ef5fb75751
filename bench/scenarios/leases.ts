/**
 * Dynamic-lease creation, with few and with 100,000 live leases already held by the node
 * (quick mode: 5,000). A "lease" here is a service token with a 768 h TTL created by
 * `POST /v1/auth/token/create`: it is stored (local storage) and enters the expiration
 * manager's deadline queue, the same structure every secret lease goes through. The engine
 * that issues secret leases (database) needs a PostgreSQL per credential, which would measure
 * PostgreSQL's CREATE ROLE rather than Arca (bench/README.md).
 *
 * Both run on SQLite (the durable default). The 100,000 prefilled leases are created through
 * the in-process pipeline inside the server process; RSS is read after the prefill and after
 * the load. The load itself adds a lease per request to both nodes alike.
 */
import { startHostedNode } from '../lib/node-host-client.js';
import { LEASE_TTL } from '../lib/host-spec.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { BenchContext, Scenario, ScenarioResult } from './types.js';

export const FULL_LIVE_LEASES = 100_000;
export const QUICK_LIVE_LEASES = 5_000;
const MIB = 2 ** 20;

async function leaseCreation(ctx: BenchContext, name: string, live: number): Promise<ScenarioResult> {
  const node = await startHostedNode({ storage: 'sqlite', prefill: 0, leases: live, prefillTimeoutMs: 300_000 });
  try {
    const rssBefore = node.child.rss();
    if (live > 0) ctx.log(`  ${live} live leases created in ${node.leasesMs} ms, RSS ${(rssBefore / MIB).toFixed(0)} MiB`);
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
      title: `lease creation (token with ${LEASE_TTL} TTL) with ${live.toLocaleString('en-US')} live leases (SQLite)`,
      runs,
      median,
      measurements: [
        { name: 'RSS before', value: Math.round(rssBefore / MIB), unit: 'MiB' },
        { name: 'RSS after', value: Math.round(rssAfter / MIB), unit: 'MiB' },
      ],
      notes: [
        ...failureNotes(runs),
        ...(live > 0 ? [`${live.toLocaleString('en-US')} leases prefilled through the in-process pipeline in ${node.leasesMs} ms`] : []),
        `the measured runs created ${added.toLocaleString('en-US')} more leases (plus the warm-up's)`,
      ],
    };
  } finally {
    await node.stop();
  }
}

export const leaseCreateFew: Scenario = {
  name: 'lease-create-few',
  run: (ctx) => leaseCreation(ctx, 'lease-create-few', 0),
};

export const leaseCreate100k: Scenario = {
  name: 'lease-create-100k',
  baseline: 'lease-create-few',
  run: (ctx) => leaseCreation(ctx, 'lease-create-100k', ctx.settings.quick ? QUICK_LIVE_LEASES : FULL_LIVE_LEASES),
};
