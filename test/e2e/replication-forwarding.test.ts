/**
 * Write forwarding between real clusters: a KV write, a policy write and a userpass user made at
 * the secondary execute on the primary (the secondary's token never leaves it), the client reads
 * its own write at the secondary at once, and a login at the secondary issues a local token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/server-process.js';
import { activate, enablePrimary, eventually, startCluster, status, type Cluster } from './replication-harness.js';

let primary: Cluster;
let secondary: Cluster;

before(async () => {
  [primary, secondary] = await Promise.all([startCluster('primary'), startCluster('secondary')]);
  let r = await api(primary.url, 'POST', 'sys/mounts/secret', { token: primary.root, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(r.status, 204);
  r = await api(primary.url, 'POST', 'sys/auth/userpass', { token: primary.root, body: { type: 'userpass' } });
  assert.equal(r.status, 204);
  await enablePrimary(primary);
  await activate(primary, secondary, 'eu-west');
  await eventually('secondary streaming', async () => ((await status(secondary)).state === 'stream-wals' ? true : undefined));
});

after(async () => {
  await Promise.all([primary?.stop(), secondary?.stop()]);
});

describe('forwarding from a secondary', () => {
  it('a KV write at the secondary lands on the primary and is readable at once where it was made', async () => {
    const w = await api(secondary.url, 'POST', 'secret/data/fwd', { token: secondary.root, body: { data: { from: 'secondary' } } });
    assert.equal(w.status, 200, JSON.stringify(w.body));
    assert.equal(w.body.data.version, 1);
    assert.match(w.headers.get('x-vault-index') ?? '', /^\d+$/);
    const local = await api(secondary.url, 'GET', 'secret/data/fwd', { token: secondary.root });
    assert.equal(local.status, 200, 'read-your-writes at the secondary');
    assert.deepEqual(local.body.data.data, { from: 'secondary' });
    const onPrimary = await api(primary.url, 'GET', 'secret/data/fwd', { token: primary.root });
    assert.deepEqual(onPrimary.body.data.data, { from: 'secondary' });
  });

  it('the secondary token is unknown at the primary: only the request travels', async () => {
    const r = await api(primary.url, 'GET', 'auth/token/lookup-self', { token: secondary.root });
    assert.equal(r.status, 403);
  });

  it('policies and userpass users written at the secondary; a login there issues a local token', async () => {
    let r = await api(secondary.url, 'PUT', 'sys/policies/acl/reader', { token: secondary.root, body: { policy: 'path "secret/data/*" { capabilities = ["read"] }' } });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    r = await api(secondary.url, 'POST', 'auth/userpass/users/ann', { token: secondary.root, body: { password: 'pw-for-ann', token_policies: 'reader' } });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    r = await api(secondary.url, 'POST', 'auth/userpass/login/ann', { body: { password: 'pw-for-ann' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const token: string = r.body.auth.client_token;
    assert.deepEqual(r.body.auth.token_policies, ['default', 'reader']);
    r = await api(secondary.url, 'GET', 'secret/data/fwd', { token });
    assert.equal(r.status, 200, 'the login token works where it was issued');
    r = await api(primary.url, 'GET', 'secret/data/fwd', { token });
    assert.equal(r.status, 403, 'tokens are local to their cluster');
    r = await api(secondary.url, 'POST', 'secret/data/denied', { token, body: { data: { x: 1 } } });
    assert.equal(r.status, 403, 'the ACL applies before anything is forwarded');
  });
});

describe('replication gauges in sys/metrics', () => {
  it('report the last WAL on the primary and the applied index and state on the secondary', async () => {
    const gauge = async (c: Cluster, name: string, labels: Record<string, string> = {}): Promise<number | undefined> => {
      const r = await api(c.url, 'GET', 'sys/metrics', { token: c.root });
      assert.equal(r.status, 200);
      const g = (r.body.Gauges as { Name: string; Value: number; Labels?: Record<string, string> }[]).find(
        // Gauges carry the host name (vault.<host>.replication...) unless disable_hostname is set, as in Vault.
        (x) => x.Name.endsWith(name.slice('vault'.length)) && Object.entries(labels).every(([k, v]) => x.Labels?.[k] === v),
      );
      return g?.Value;
    };
    const last = (await status(primary)).last_wal as number;
    assert.ok(last > 0);
    assert.ok(((await gauge(primary, 'vault.replication.wal.last_wal')) ?? 0) >= last);
    const applied = await eventually('secondary gauge', async () => {
      const v = await gauge(secondary, 'vault.replication.fsm.last_remote_wal');
      return v !== undefined && v >= last ? v : undefined;
    });
    assert.ok(applied >= last);
    assert.equal(await gauge(secondary, 'vault.replication.state', { mode: 'secondary', state: 'stream-wals' }), 1);
  });
});
