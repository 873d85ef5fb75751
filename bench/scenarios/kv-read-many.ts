/**
 * KV v2 reads spread uniformly over 100,000 keys (quick: 5,000) on the shared dev node. The keys
 * are written through the in-process pipeline inside the server's own process (fast, bounded),
 * then read over HTTP from the load process.
 */
import { MANY_KEY_TEMPLATE, kvDataPath } from '../lib/payload.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { Scenario } from './types.js';

export const MANY_KEYS = 100_000;
/** Quick mode keeps the prefill short (a 100,000-key prefill alone takes 13-24 s here). */
export const QUICK_KEYS = 5_000;

export const kvReadMany: Scenario = {
  name: 'kv-read-100k',
  baseline: 'http-baseline',
  async run(ctx) {
    const keys = ctx.settings.quick ? QUICK_KEYS : MANY_KEYS;
    const node = await ctx.devServer();
    const prefillMs = await node.prefill('kv', keys, 120_000);
    ctx.log(`  prefilled ${keys} keys in ${prefillMs} ms`);
    const { runs, median } = await measureLoad(ctx, 'kv-read-100k', node.child, {
      url: node.url,
      path: kvDataPath(MANY_KEY_TEMPLATE),
      method: 'GET',
      headers: { 'X-Vault-Token': node.token },
      keyCount: keys,
    });
    return {
      name: this.name,
      title: `KV v2 read, uniform over ${keys} keys (dev node, inmem)`,
      runs,
      median,
      notes: [
        ...failureNotes(runs),
        `prefill of ${keys} keys through the in-process pipeline: ${prefillMs} ms`,
        ...(ctx.settings.quick ? [`quick mode: ${QUICK_KEYS} keys, not ${MANY_KEYS}`] : []),
      ],
    };
  },
};
