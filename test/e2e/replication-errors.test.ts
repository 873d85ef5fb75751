/**
 * Bad input to the replication endpoints, against real processes: endpoints called on the wrong
 * kind of cluster, and reused, expired, tampered, foreign or unreachable activation tokens. Each
 * is a clear 400, and the cluster that was asked changes nothing (mode, seal, its own data).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/server-process.js';
import { enablePrimary, secondaryToken, startCluster, status, type Cluster } from './replication-harness.js';

const PERF = 'sys/replication/performance';
let primary: Cluster;
/** Never activated: every refusal must leave it exactly as it was. */
let bystander: Cluster;

before(async () => {
  [primary, bystander] = await Promise.all([startCluster('primary'), startCluster('bystander')]);
  await enablePrimary(primary);
  const r = await api(bystander.url, 'POST', 'sys/policy/own', { token: bystander.root, body: { policy: 'path "own/*" { capabilities = ["read"] }' } });
  assert.equal(r.status, 204);
});

after(async () => {
  await Promise.all([primary?.stop(), bystander?.stop()]);
});

async function expect400(c: Cluster, path: string, body: unknown, message: RegExp): Promise<void> {
  const r = await api(c.url, 'POST', path, { token: c.root, body });
  assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
  assert.match(r.body.errors[0], message, path);
}

/** The bystander is still a disabled, unsealed cluster with its own data. */
async function unchanged(c: Cluster): Promise<void> {
  assert.deepEqual(await status(c), { mode: 'disabled' });
  const seal = await api(c.url, 'GET', 'sys/seal-status');
  assert.equal(seal.body.sealed, false);
  const r = await api(c.url, 'GET', 'sys/policy/own', { token: c.root });
  assert.equal(r.status, 200);
}

function encode(addr: string, token: string): string {
  return Buffer.from(JSON.stringify({ addr, token })).toString('base64url');
}

describe('replication endpoints refuse bad input and change nothing', () => {
  it('on the wrong kind of cluster', async () => {
    for (const path of ['primary/secondary-token', 'primary/revoke-secondary', 'primary/demote', 'primary/disable', 'primary/paths-filter/x']) {
      await expect400(bystander, `${PERF}/${path}`, { id: 'x' }, /not a performance primary \(mode: disabled\)/);
    }
    for (const path of ['secondary/promote', 'secondary/update-primary', 'secondary/disable']) {
      await expect400(primary, `${PERF}/${path}`, { token: 'x' }, /not a performance secondary \(mode: primary\)/);
    }
    await expect400(primary, `${PERF}/primary/enable`, {}, /already a performance primary/);
    await expect400(primary, `${PERF}/secondary/enable`, { token: 'x' }, /this cluster is a performance primary/);
    await expect400(primary, 'sys/replication/recover', {}, /not a performance secondary/);
    await unchanged(bystander);
    assert.equal((await status(primary)).mode, 'primary');
  });

  it('with malformed, tampered, foreign, unreachable or expired tokens', async () => {
    await expect400(bystander, `${PERF}/secondary/enable`, { token: 'not-a-token!' }, /invalid secondary activation token/);
    await expect400(bystander, `${PERF}/secondary/enable`, {}, /missing secondary activation token/);

    const good = await secondaryToken(primary, 'tamper-target');
    const inner = JSON.parse(Buffer.from(good, 'base64url').toString('utf8')) as { addr: string; token: string };
    // Tampered: the outer encoding broken, or the wrapping token inside altered.
    await expect400(bystander, `${PERF}/secondary/enable`, { token: `x${good.slice(1)}` }, /invalid secondary activation token|error looking up/);
    const flipped = inner.token.slice(0, -1) + (inner.token.endsWith('a') ? 'b' : 'a');
    await expect400(bystander, `${PERF}/secondary/enable`, { token: encode(inner.addr, flipped) }, /error looking up secondary activation token.*wrapping token is not valid/);

    // Foreign: a genuine wrapping token, but not one made by secondary-token. It is not even spent.
    const wrapped = await api(primary.url, 'POST', 'sys/wrapping/wrap', { token: primary.root, body: { any: 'thing' }, headers: { 'X-Vault-Wrap-TTL': '5m' } });
    assert.equal(wrapped.status, 200);
    const foreign = wrapped.body.wrap_info.token as string;
    await expect400(bystander, `${PERF}/secondary/enable`, { token: encode(primary.url, foreign) }, /not created by performance\/primary\/secondary-token/);
    const look = await api(primary.url, 'POST', 'sys/wrapping/lookup', { body: { token: foreign } });
    assert.equal(look.status, 200, 'the foreign wrapping token was not consumed');

    // A primary that does not answer.
    await expect400(bystander, `${PERF}/secondary/enable`, { token: encode('http://127.0.0.1:9', inner.token) }, /error contacting the primary/);

    // Expired.
    const short = await secondaryToken(primary, 'short-lived', '1s');
    await new Promise((r) => setTimeout(r, 1600));
    await expect400(bystander, `${PERF}/secondary/enable`, { token: short }, /wrapping token is not valid or does not exist/);

    await unchanged(bystander);
    // The untampered token still works afterwards: the attempts above spent nothing.
    const ok = await api(primary.url, 'POST', 'sys/wrapping/lookup', { body: { token: inner.token } });
    assert.equal(ok.status, 200);
  });

  it('with bad secondary-token and paths-filter input', async () => {
    await expect400(primary, `${PERF}/primary/secondary-token`, {}, /missing "id"/);
    await expect400(primary, `${PERF}/primary/secondary-token`, { id: 'bad id/../x' }, /invalid secondary id/);
    await expect400(primary, `${PERF}/primary/secondary-token`, { id: 'ok', secondary_public_key: 'abc' }, /secondary_public_key is not supported/);
    await expect400(primary, `${PERF}/primary/paths-filter/nobody`, { mode: 'deny', paths: ['secret/'] }, /no secondary with id "nobody"/);
    await secondaryToken(primary, 'filtered');
    await expect400(primary, `${PERF}/primary/paths-filter/filtered`, { mode: 'sideways', paths: ['secret/'] }, /invalid mode "sideways"/);
    let r = await api(primary.url, 'GET', `${PERF}/primary/paths-filter/filtered`, { token: primary.root });
    assert.equal(r.status, 404);
    r = await api(primary.url, 'POST', `${PERF}/primary/paths-filter/filtered`, { token: primary.root, body: { mode: 'deny', paths: ['secret', 'auth/userpass/'] } });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    r = await api(primary.url, 'GET', `${PERF}/primary/paths-filter/filtered`, { token: primary.root });
    assert.deepEqual(r.body.data, { mode: 'deny', paths: ['secret/', 'auth/userpass/'] });
    r = await api(primary.url, 'DELETE', `${PERF}/primary/paths-filter/filtered`, { token: primary.root });
    assert.equal(r.status, 204);
    r = await api(primary.url, 'GET', `${PERF}/primary/paths-filter/filtered`, { token: primary.root });
    assert.equal(r.status, 404);
  });

  it('a token can be redeemed once: reuse on another cluster is refused and changes nothing', async () => {
    const target = await startCluster('target');
    try {
      const token = await secondaryToken(primary, 'once');
      let r = await api(target.url, 'POST', `${PERF}/secondary/enable`, { token: target.root, body: { token } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await expect400(bystander, `${PERF}/secondary/enable`, { token }, /wrapping token is not valid or does not exist/);
      await unchanged(bystander);
      // And an activated secondary refuses a second enable.
      r = await api(target.url, 'PUT', 'sys/unseal', { body: { key: primary.unsealKey } });
      assert.equal(r.body.sealed, false);
      r = await api(target.url, 'GET', `${PERF}/status`);
      assert.equal(r.body.data.mode, 'secondary');
    } finally {
      await target.stop();
    }
  });

  it('secondary-token needs sudo', async () => {
    let r = await api(primary.url, 'POST', 'sys/policy/repl-no-sudo', {
      token: primary.root,
      body: { policy: 'path "sys/replication/*" { capabilities = ["create", "update", "read"] }' },
    });
    assert.equal(r.status, 204);
    r = await api(primary.url, 'POST', 'auth/token/create', { token: primary.root, body: { policies: ['repl-no-sudo'] } });
    const limited = r.body.auth.client_token as string;
    r = await api(primary.url, 'POST', `${PERF}/primary/secondary-token`, { token: limited, body: { id: 'nosudo' } });
    assert.equal(r.status, 403);
    // The unauthenticated status endpoints need no token at all.
    r = await api(primary.url, 'GET', `${PERF}/status`);
    assert.equal(r.status, 200);
    assert.equal(r.body.data.mode, 'primary');
  });
});
