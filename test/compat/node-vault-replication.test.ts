/** node-vault (npm) activates performance replication between two real clusters through its generic write/read. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { eventually, generateRoot, startCluster, type Cluster } from '../e2e/replication-harness.js';

const require = createRequire(import.meta.url);
// node-vault is CommonJS without types.
const nodeVault = require('node-vault') as (opts: { apiVersion?: string; endpoint: string; token?: string }) => any;
const PERF = 'sys/replication/performance';

const clusters: Cluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

test('node-vault: enable primary, secondary-token, enable secondary, replicated read', async () => {
  const [p, s] = await Promise.all([startCluster('primary'), startCluster('secondary')]);
  clusters.push(p, s);
  const primary = nodeVault({ apiVersion: 'v1', endpoint: p.url, token: p.root });
  const secondary = nodeVault({ apiVersion: 'v1', endpoint: s.url, token: s.root });

  await primary.mount({ mount_point: 'secret', type: 'kv', options: { version: '2' } });
  await primary.write(`${PERF}/primary/enable`, {});
  const tokenResp = await primary.write(`${PERF}/primary/secondary-token`, { id: 'nv-secondary' });
  assert.equal(tokenResp.wrap_info.ttl, 1800, 'default ttl is 30m');
  await assert.rejects(secondary.write(`${PERF}/secondary/enable`, { token: `${tokenResp.wrap_info.token}x` }), (e: any) => {
    assert.equal(e.response?.statusCode, 400);
    return true;
  });
  await secondary.write(`${PERF}/secondary/enable`, { token: tokenResp.wrap_info.token });
  assert.equal((await secondary.status()).sealed, true);
  await secondary.unseal({ key: p.unsealKey });
  secondary.token = await generateRoot(s.url, p.unsealKey);

  await primary.write('secret/data/shared', { data: { v: 'from the primary' } });
  const got = await eventually('replicated secret', async () => (await secondary.read('secret/data/shared')).data.data as Record<string, unknown>);
  assert.deepEqual(got, { v: 'from the primary' });
  const st = await secondary.read(`${PERF}/status`);
  assert.equal(st.data.mode, 'secondary');
  assert.equal((await secondary.health()).replication_performance_mode, 'secondary');
});
