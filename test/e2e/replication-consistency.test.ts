/**
 * Client-controlled consistency over HTTP between real clusters: a client that echoes the
 * X-Vault-Index of its write at the primary reads that write at the secondary at once (the way
 * hvac / the Vault Go client use the header); an index the secondary cannot reach is a 412 with
 * Vault's text; `allow_forwarding_via_header` from the config file enables forward-active-node.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/server-process.js';
import { activate, enablePrimary, eventually, startCluster, status, type Cluster } from './replication-harness.js';

let primary: Cluster;
let secondary: Cluster;

before(async () => {
  [primary, secondary] = await Promise.all([startCluster('primary'), startCluster('secondary', 'replication {\n  allow_forwarding_via_header = true\n}')]);
  const r = await api(primary.url, 'POST', 'sys/mounts/secret', { token: primary.root, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(r.status, 204);
  await enablePrimary(primary);
  await activate(primary, secondary, 'eu-consistency');
  await eventually('secondary streaming', async () => ((await status(secondary)).state === 'stream-wals' ? true : undefined));
});

after(async () => {
  await Promise.all([primary?.stop(), secondary?.stop()]);
});

describe('X-Vault-Index between clusters', () => {
  it('a client echoing the index of its write reads it at the secondary at once', async () => {
    for (let i = 0; i < 15; i++) {
      const w = await api(primary.url, 'POST', 'secret/data/ryw', { token: primary.root, body: { data: { n: i } } });
      assert.equal(w.status, 200);
      const index = w.headers.get('x-vault-index');
      assert.match(index ?? '', /^\d+$/);
      const r = await api(secondary.url, 'GET', 'secret/data/ryw', { token: secondary.root, headers: { 'X-Vault-Index': index! } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.data.data.n, i, `read ${i} at the secondary saw an older write`);
    }
    // A 204 write carries it too.
    const p = await api(primary.url, 'PUT', 'sys/policies/acl/c', { token: primary.root, body: { policy: 'path "x" { capabilities = ["read"] }' } });
    assert.equal(p.status, 204);
    assert.match(p.headers.get('x-vault-index') ?? '', /^\d+$/);
  });

  it('an index the secondary cannot reach: 412 with Vault text, or the primary with forward-active-node', async () => {
    const last = (await status(primary)).last_wal as number;
    const beyond = String(last + 1000);
    const started = Date.now();
    let r = await api(secondary.url, 'GET', 'secret/data/ryw', { token: secondary.root, headers: { 'X-Vault-Index': beyond } });
    assert.equal(r.status, 412);
    assert.deepEqual(r.body, { errors: ['required index state not present'] });
    assert.ok(Date.now() - started >= 1500, 'answered after the bounded wait');
    r = await api(secondary.url, 'GET', 'secret/data/ryw', { token: secondary.root, headers: { 'X-Vault-Index': beyond, 'X-Vault-Inconsistent': 'forward-active-node' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.data.n, 14);
    r = await api(secondary.url, 'GET', 'secret/data/ryw', { token: secondary.root, headers: { 'X-Vault-Index': 'not-an-index' } });
    assert.equal(r.status, 400);
  });
});
