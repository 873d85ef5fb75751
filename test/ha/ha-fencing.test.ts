/**
 * Fencing with real processes: the active node is paused (SIGSTOP) in the middle of a write
 * load aimed at it alone. Its lease lapses, a standby takes over and writes. When the paused
 * node resumes (SIGCONT), nothing it still had in flight may land on top of the new active
 * node's writes, and it must notice it lost the lock and step down to standby.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';
import { api } from '../helpers/server-process.js';
import { activeIndex, initAndUnseal, waitFor } from './harness.js';
import { startHaProcesses } from './process-cluster.js';

const cluster = await startPostgresOrSkip();

if (typeof cluster === 'string') {
  test('HA fencing', (t) => t.skip(cluster));
} else {
  const c: PostgresCluster = cluster;
  let stopNodes: (() => Promise<void>) | undefined;
  after(async () => {
    await stopNodes?.();
    await c.stop();
  });

  test('a paused active node cannot write once it lost the lock, and steps down when it resumes', { timeout: 120_000 }, async (t) => {
    const { nodes, stop } = await startHaProcesses(c, 3);
    stopNodes = stop;
    const urls = nodes.map((n) => n.url);
    const { root } = await initAndUnseal(urls);
    const a = await activeIndex(urls, 20_000);
    const paused = nodes[a]!;
    assert.equal((await api(urls[a]!, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
    assert.equal((await api(urls[a]!, 'PUT', 'kv/fence', { token: root, body: { by: 'A', n: -1 } })).status, 204);

    // Sixteen writers hammer the active node directly, neither following redirects nor letting
    // the node forward (Vault's X-Vault-No-Request-Forwarding): a write sent to the old node must
    // never end up anywhere else, even once it knows it is a standby.
    const statuses = new Map<number, number>();
    let running = true;
    let n = 0;
    const writer = async (): Promise<void> => {
      while (running) {
        let status = 0;
        try {
          const res = await fetch(`${urls[a]}/v1/kv/fence`, {
            method: 'PUT',
            redirect: 'manual',
            headers: { 'X-Vault-Token': root, 'Content-Type': 'application/json', 'X-Vault-No-Request-Forwarding': 'true' },
            body: JSON.stringify({ by: 'A', n: n++ }),
            signal: AbortSignal.timeout(60_000),
          });
          await res.arrayBuffer();
          status = res.status;
        } catch {
          status = 0;
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 204) await sleep(50);
      }
    };
    const writers = Array.from({ length: 16 }, writer);
    await waitFor('writes flowing', async () => ((statuses.get(204) ?? 0) >= 50 ? true : undefined));

    const pausedAt = Date.now();
    paused.server.proc.kill('SIGSTOP');
    const others = urls.map((u, i) => (i === a ? undefined : u));
    // The lease (15 s, renewed every 5 s) lapses, then a standby takes over within a second.
    const b = await activeIndex(others, 30_000);
    t.diagnostic(`standby took over ${Date.now() - pausedAt} ms after the pause`);
    running = false;
    assert.equal((await api(urls[b]!, 'PUT', 'kv/fence', { token: root, body: { by: 'B' } })).status, 204);
    assert.equal((await api(urls[b]!, 'PUT', 'kv/after', { token: root, body: { by: 'B' } })).status, 204);

    paused.server.proc.kill('SIGCONT');
    // Let everything the paused node had queued run out.
    await Promise.all(writers);
    await sleep(1000);
    t.diagnostic(`answers from the paused node: ${JSON.stringify([...statuses])}`);

    // Nothing the old node had in flight landed after the takeover.
    assert.deepEqual((await api(urls[b]!, 'GET', 'kv/fence', { token: root })).body.data, { by: 'B' });
    // It knows it is a standby now, and who is active.
    const health = await waitFor('the resumed node standing by', async () => {
      const r = await api(urls[a]!, 'GET', 'sys/health');
      return r.status === 429 ? r : undefined;
    }, 10_000);
    assert.equal(health.body.standby, true);
    const leader = await waitFor('the resumed node knowing the new leader', async () => {
      const r = await api(urls[a]!, 'GET', 'sys/leader');
      return r.body.leader_address === urls[b] ? r.body : undefined;
    }, 10_000);
    assert.equal(leader.is_self, false);
    const lost = /lost the lock: [^\n]*/.exec(paused.server.output());
    assert.ok(lost, 'the resumed node logs that it lost the lock');
    t.diagnostic(lost[0]);
    // And it forwards to the new active node now rather than serving from its own state.
    const res = await fetch(`${urls[a]}/v1/kv/after`, { redirect: 'manual', headers: { 'X-Vault-Token': root } });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { data: unknown }).data, { by: 'B' });
  });
}
