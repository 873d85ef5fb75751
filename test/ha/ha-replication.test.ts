/**
 * WAL continuity across an HA failover on a replication primary: three `bin/arca server`
 * processes on one PostgreSQL form the primary cluster, a SQLite process is its secondary. The
 * secondary dials a standby's cluster address (any node relays the replication channel to the
 * active one). After SIGKILL of the active node under a write load, the new active node must
 * continue the same WAL: the secondary stays in stream-wals, never falls back to a Merkle sync,
 * and every acknowledged write arrives.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';
import { api } from '../helpers/server-process.js';
import { activate, startCluster, status, type Cluster } from '../e2e/replication-harness.js';
import { activeIndex, initAndUnseal, waitFor } from './harness.js';
import { clusterRequest, startHaProcesses } from './process-cluster.js';

const cluster = await startPostgresOrSkip();

/** Log lines of a secondary that mean it fell back to a Merkle catch-up. */
function merkleSyncs(output: string): number {
  return output.split('\n').filter((l) => l.includes('merkle sync finished') || l.includes('asks for a merkle sync')).length;
}

if (typeof cluster === 'string') {
  test('HA replication primary failover', (t) => t.skip(cluster));
} else {
  const c: PostgresCluster = cluster;
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    await c.stop();
  });

  test('SIGKILL of the active node of a primary: the new active node continues the WAL stream, no resync, no lost write', { timeout: 90_000 }, async (t) => {
    const { nodes, stop } = await startHaProcesses(c, 3);
    cleanups.push(stop);
    const urls = nodes.map((n) => n.url);
    const { key, root } = await initAndUnseal(urls);
    const first = await activeIndex(urls, 20_000);
    // The secondary dials this standby, which is never killed: it relays to whichever node is active.
    const relay = (first + 1) % 3;
    const active = urls[first]!;
    assert.equal((await api(active, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
    const enable = await api(active, 'POST', 'sys/replication/performance/primary/enable', { token: root, body: { primary_cluster_addr: nodes[relay]!.clusterAddr } });
    assert.equal(enable.status, 200, JSON.stringify(enable.body));

    const secondary = await startCluster('secondary');
    cleanups.push(() => secondary.stop());
    const primary = { name: 'primary', url: active, root, unsealKey: key } as unknown as Cluster;
    await activate(primary, secondary, 'sec-1');
    await waitFor('the secondary streaming', async () => ((await status(secondary)).state === 'stream-wals' ? true : undefined), 30_000);

    const acked = new Map<string, string>();
    let running = true;
    let seq = 0;
    const writer = async (w: number): Promise<void> => {
      while (running) {
        const k = `w${w}-${seq++}`;
        const r = await clusterRequest(urls, 'PUT', `kv/${k}`, { token: root, body: { value: k }, start: (first + w) % 3 });
        if (r.status === 204) acked.set(k, k);
        else await sleep(100);
      }
    };
    const writers = [0, 1, 2].map(writer);
    await waitFor('writes flowing', async () => (acked.size >= 30 ? true : undefined));
    const lastBefore = [...acked.keys()].at(-1)!;
    await waitFor('writes arriving at the secondary', async () => ((await api(secondary.url, 'GET', `kv/${lastBefore}`, { token: secondary.root })).status === 200 ? true : undefined));
    const syncsBefore = merkleSyncs(secondary.server.output());
    assert.ok(syncsBefore >= 1, 'a new secondary starts with a merkle sync (and this test sees its log line)');

    await nodes[first]!.server.kill('SIGKILL');
    const next = await activeIndex(urls.map((u, i) => (i === first ? undefined : u)), 10_000);
    const atTakeover = acked.size;
    await waitFor('writes flowing on the new active node', async () => (acked.size >= atTakeover + 30 ? true : undefined), 20_000);
    running = false;
    await Promise.all(writers);

    const lastKey = [...acked.keys()].at(-1)!;
    await waitFor('the last acknowledged write at the secondary', async () => ((await api(secondary.url, 'GET', `kv/${lastKey}`, { token: secondary.root })).status === 200 ? true : undefined), 30_000);
    const missing: string[] = [];
    for (const [k, v] of acked) {
      const r = await api(secondary.url, 'GET', `kv/${k}`, { token: secondary.root });
      if (r.status !== 200 || r.body.data.value !== v) missing.push(k);
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged writes missing at the secondary`);
    const s = await status(secondary);
    assert.equal(s.state, 'stream-wals');
    assert.equal(merkleSyncs(secondary.server.output()), syncsBefore, 'the secondary fell back to a merkle sync after the failover');
    const p = (await api(urls[next]!, 'GET', 'sys/replication/performance/status')).body.data;
    assert.equal(p.mode, 'primary');
    assert.equal(s.last_remote_wal, p.last_wal);
    t.diagnostic(`${acked.size} writes acknowledged (${acked.size - atTakeover} after the takeover); WAL at ${p.last_wal}`);
  });
}
