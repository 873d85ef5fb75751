/**
 * Performance replication between real server processes (SQLite files, loopback): activation
 * through the sys/replication endpoints, a KV write at the primary read at the secondary, the
 * status fields on both sides, and revoke-secondary stopping the stream at once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { api, ARCA_BIN } from '../helpers/server-process.js';
import { activate, enablePrimary, eventually, readWhenReplicated, startCluster, status, type Cluster } from './replication-harness.js';

/** `arca replication status` against a cluster (no token needed). */
function cli(c: Cluster, ...extra: string[]): { status: number | null; out: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VAULT_') && !k.startsWith('ARCA_')));
  const r = spawnSync(process.execPath, [ARCA_BIN, 'replication', 'status', `-address=${c.url}`, ...extra], { env, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

let primary: Cluster;
let secondary: Cluster;

before(async () => {
  [primary, secondary] = await Promise.all([startCluster('primary'), startCluster('secondary')]);
});

after(async () => {
  await Promise.all([primary?.stop(), secondary?.stop()]);
});

describe('performance replication, two real clusters', () => {
  it('reports disabled before anything is enabled', async () => {
    const r = await api(primary.url, 'GET', 'sys/replication/status');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, { dr: { mode: 'disabled' }, performance: { mode: 'disabled' } });
    const h = await api(primary.url, 'GET', 'sys/health');
    assert.equal(h.body.replication_performance_mode, 'disabled');
  });

  it('activates a secondary and streams a KV write to it', async () => {
    let r = await api(primary.url, 'POST', 'sys/mounts/secret', { token: primary.root, body: { type: 'kv', options: { version: '2' } } });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    r = await api(primary.url, 'POST', 'secret/data/before', { token: primary.root, body: { data: { written: 'before activation' } } });
    assert.equal(r.status, 200);
    await enablePrimary(primary);

    const p = await status(primary);
    assert.equal(p.mode, 'primary');
    assert.equal(p.state, 'running');
    assert.match(p.cluster_id, /^[0-9a-f-]{36}$/);
    assert.match(p.primary_cluster_addr, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(typeof p.last_wal, 'number');
    assert.equal((await api(primary.url, 'GET', 'sys/health')).body.replication_performance_mode, 'primary');

    // The secondary has data of its own that activation must wipe.
    r = await api(secondary.url, 'POST', 'sys/policy/mine', { token: secondary.root, body: { policy: 'path "x" { capabilities = ["read"] }' } });
    assert.equal(r.status, 204);
    await activate(primary, secondary, 'us-east');

    // Written before activation: arrives by Merkle catch-up. Written after: by the WAL stream.
    assert.deepEqual(await readWhenReplicated(secondary, 'before'), { written: 'before activation' });
    r = await api(primary.url, 'POST', 'secret/data/after', { token: primary.root, body: { data: { written: 'after activation' } } });
    assert.equal(r.status, 200);
    assert.deepEqual(await readWhenReplicated(secondary, 'after'), { written: 'after activation' });
    r = await api(secondary.url, 'GET', 'sys/policy/mine', { token: secondary.root });
    assert.equal(r.status, 404, 'the secondary\'s own replicated data was wiped');

    const s = await eventually('secondary streaming', async () => {
      const st = await status(secondary);
      return st.state === 'stream-wals' && st.lag_entries === 0 ? st : undefined;
    });
    const p2 = await status(primary);
    assert.equal(s.mode, 'secondary');
    assert.equal(s.cluster_id, p2.cluster_id);
    assert.equal(s.secondary_id, 'us-east');
    assert.equal(s.connection_state, 'ready');
    assert.equal(s.primary_cluster_addr, p2.primary_cluster_addr);
    assert.equal(typeof s.last_remote_wal, 'number');
    assert.equal(s.merkle_root, p2.merkle_root, 'both sides index the same replicated keyspace');
    assert.equal((await api(secondary.url, 'GET', 'sys/health')).body.replication_performance_mode, 'secondary');
    assert.deepEqual(p2.known_secondaries, ['us-east']);
    const sec = p2.secondaries.find((x: { node_id: string }) => x.node_id === 'us-east');
    assert.equal(sec.connection_status, 'connected');
    assert.equal(typeof sec.clock_skew_ms, 'string');
    assert.match(sec.last_heartbeat, /^\d{4}-\d\d-\d\dT/);

    // The CLI's readable view: this cluster's role and state, one row per secondary with its lag.
    const pv = cli(primary);
    assert.equal(pv.status, 0, pv.out);
    assert.match(pv.out, /Mode\s+primary/);
    assert.match(pv.out, /Known Secondaries\s+1/);
    assert.match(pv.out, /us-east\s+connected\s+\S+\s+\d+\s+0\s/);
    const sv = cli(secondary);
    assert.equal(sv.status, 0, sv.out);
    assert.match(sv.out, /State\s+stream-wals/);
    assert.match(sv.out, /Lag \(entries\)\s+0/);
    assert.match(sv.out, /Lag \(ms\)\s+\d+/);
    const json = cli(secondary, '-format=json');
    assert.equal(JSON.parse(json.out).secondary_id, 'us-east');

    // Both status endpoints agree, and sys/replication/status nests it under "performance".
    const both = await api(secondary.url, 'GET', 'sys/replication/status');
    assert.equal(both.body.data.performance.mode, 'secondary');
    assert.deepEqual(both.body.data.dr, { mode: 'disabled' });
  });

  it('a restarted secondary reconnects with its stored credentials once unsealed', async () => {
    await secondary.restart();
    let r = await api(secondary.url, 'GET', 'sys/seal-status');
    assert.equal(r.body.sealed, true);
    r = await api(secondary.url, 'PUT', 'sys/unseal', { body: { key: primary.unsealKey } });
    assert.equal(r.body.sealed, false, JSON.stringify(r.body));
    r = await api(primary.url, 'POST', 'secret/data/after-restart', { token: primary.root, body: { data: { n: 3 } } });
    assert.equal(r.status, 200);
    assert.deepEqual(await readWhenReplicated(secondary, 'after-restart'), { n: 3 });
    // What was replicated before the restart is still served.
    r = await api(secondary.url, 'GET', 'secret/data/after', { token: secondary.root });
    assert.deepEqual(r.body.data.data, { written: 'after activation' });
  });

  it('revoke-secondary stops the stream at once', async () => {
    let r = await api(primary.url, 'POST', 'sys/replication/performance/primary/revoke-secondary', { token: primary.root, body: { id: 'us-east' } });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    r = await api(primary.url, 'POST', 'secret/data/revoked', { token: primary.root, body: { data: { v: 'never replicated' } } });
    assert.equal(r.status, 200);
    // Give a connected secondary ample time: it would have the write in milliseconds.
    await new Promise((res) => setTimeout(res, 2500));
    r = await api(secondary.url, 'GET', 'secret/data/revoked', { token: secondary.root });
    assert.equal(r.status, 404);
    const p = await status(primary);
    assert.deepEqual(p.known_secondaries, []);
    assert.match(primary.server.output(), /rpc refused.*secondary_id=us-east.*(revoked|not known)/);
    const s = await status(secondary);
    assert.notEqual(s.state, 'stream-wals');
    // Revoking again is a clear error that changes nothing.
    r = await api(primary.url, 'POST', 'sys/replication/performance/primary/revoke-secondary', { token: primary.root, body: { id: 'us-east' } });
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0], /no secondary with id "us-east"/);
  });
});
