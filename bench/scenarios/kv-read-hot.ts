/**
 * KV v2 read of one hot key through the full HTTP path on the shared dev server (inmem):
 * with the root token (no ACL evaluation), and with a token whose policy grants the read, so
 * the token lookup, the policy set's compiled ACL and its evaluation run on every request.
 */
import { apiOk } from '../lib/http-client.js';
import { HOT_KEY, KV_MOUNT, SECRET, kvDataPath } from '../lib/payload.js';
import { policyToken } from '../lib/setup.js';
import { ratio } from '../lib/stats.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { BenchContext, Scenario, ScenarioResult, TargetCheck } from './types.js';

async function hotRead(ctx: BenchContext, name: string, withPolicy: boolean): Promise<ScenarioResult> {
  const server = await ctx.devServer();
  await apiOk(server.url, 'POST', kvDataPath(HOT_KEY), { token: server.token, body: { data: SECRET } });
  const token = withPolicy
    ? await policyToken(server.url, server.token, 'bench-kv-reader', `path "${KV_MOUNT}/data/app/*" {\n  capabilities = ["read"]\n}\n`)
    : server.token;
  const { runs, median } = await measureLoad(ctx, name, server.child, {
    url: server.url,
    path: kvDataPath(HOT_KEY),
    method: 'GET',
    headers: { 'X-Vault-Token': token },
  });
  const title = withPolicy ? 'KV v2 read, one hot key, token with an ACL policy (dev server)' : 'KV v2 read, one hot key, root token (dev server, inmem)';
  return { name, title, runs, median, notes: failureNotes(runs) };
}

function halfOfBaseline(result: ScenarioResult, baseline: ScenarioResult | undefined): TargetCheck {
  const r = ratio(result.median?.rps ?? 0, baseline?.median?.rps ?? 0);
  return { text: 'throughput >= 0.5x bare node:http', met: r >= 0.5 };
}

export const kvReadHot: Scenario = {
  name: 'kv-read-hot',
  baseline: 'http-baseline',
  run: (ctx) => hotRead(ctx, 'kv-read-hot', false),
  target: halfOfBaseline,
};

export const kvReadHotAcl: Scenario = {
  name: 'kv-read-hot-acl',
  baseline: 'http-baseline',
  run: (ctx) => hotRead(ctx, 'kv-read-hot-acl', true),
  target: halfOfBaseline,
};
