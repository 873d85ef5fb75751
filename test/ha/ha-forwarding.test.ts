/**
 * Request forwarding from a standby to the active node over the cluster port (in-process nodes
 * over one real PostgreSQL): the answer is the active node's own (status, headers, body), the
 * request runs with the client's token and address (CIDR-bound tokens, audit), the channel is
 * mutual TLS with the cluster's HA identity only, and a standby that cannot forward redirects.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HA_SERVER_NAME } from '../../src/ha/client-hello.js';
import type { RunningNode } from '../../src/server/node.js';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';
import { api } from '../helpers/server-process.js';
import { cleanEnv, removeDir, runCli, tempDir } from '../cli/cli-process.js';
import { activeIndex, initAndUnseal, rawFetch, startHaNode, waitFor } from './harness.js';

const cluster = await startPostgresOrSkip();

/** One request from a chosen local address (Linux routes all of 127/8 to loopback). */
function fromAddress(url: string, localAddress: string, method: string, path: string, token: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/${path}`, { method, localAddress, headers: { 'X-Vault-Token': token } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether an HTTP/2 request over TLS to the cluster port gets any answer without our identity. */
function probeWithoutIdentity(clusterAddr: string): Promise<string> {
  const { hostname, port } = new URL(clusterAddr);
  let session: http2.ClientHttp2Session | undefined;
  return new Promise<string>((resolve) => {
    session = http2.connect(`https://${hostname}:${port}`, { servername: HA_SERVER_NAME, rejectUnauthorized: false });
    session.on('error', (err) => resolve(`refused: ${err.message}`));
    const req = session.request({ ':method': 'POST', ':path': '/arca/ha/v1/request' });
    req.on('error', (err) => resolve(`refused: ${err.message}`));
    req.on('response', (h) => resolve(`answered ${String(h[':status'])}`));
    req.end('{}');
    setTimeout(() => resolve('refused: no answer'), 3000).unref();
  }).finally(() => session?.destroy());
}

if (typeof cluster === 'string') {
  test('HA request forwarding', (t) => t.skip(cluster));
} else {
  const c: PostgresCluster = cluster;
  const started: RunningNode[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'arca-ha-fwd-'));
  after(async () => {
    for (const n of started) await n.close().catch(() => undefined);
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a standby forwards to the active node: same answers, client token and address, audit on the active node; mTLS only; 307 when it cannot forward', async () => {
    const tables = { table: c.freshTable('kv'), haTable: c.freshTable('ha') };
    const ns = [await startHaNode(c, tables), await startHaNode(c, tables)];
    started.push(...ns);
    const urls = ns.map((n) => n.apiAddr);
    const { root } = await initAndUnseal(urls);
    const a = await activeIndex(urls);
    const active = urls[a]!;
    const standby = urls[1 - a]!;
    const auditFile = join(dir, 'audit.log');
    assert.equal((await api(active, 'PUT', 'sys/audit/file', { token: root, body: { type: 'file', options: { file_path: auditFile } } })).status, 204);
    assert.equal((await api(active, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);

    // Writes and reads through the standby, answered by the active node.
    const put = await api(standby, 'PUT', 'kv/fwd', { token: root, body: { v: 'through-standby' } });
    assert.equal(put.status, 204);
    const direct = await api(active, 'GET', 'kv/fwd', { token: root });
    const viaStandby = await rawFetch(standby, 'GET', 'kv/fwd', root);
    assert.equal(viaStandby.status, 200);
    assert.equal(viaStandby.headers.get('content-type'), 'application/json');
    assert.equal(viaStandby.headers.get('cache-control'), 'no-store');
    const body = (await viaStandby.json()) as Record<string, unknown>;
    assert.deepEqual({ ...body, request_id: '' }, { ...direct.body, request_id: '' });
    // Vault's opt-out header asks a standby for the 307 instead of forwarding (a write: a
    // performance standby may answer reads itself).
    const optOut = await fetch(`${standby}/v1/kv/opt-out`, {
      method: 'PUT',
      redirect: 'manual',
      headers: { 'X-Vault-Token': root, 'X-Vault-No-Request-Forwarding': 'true', 'Content-Type': 'application/json' },
      body: JSON.stringify({ v: 'never-written' }),
    });
    await optOut.arrayBuffer();
    assert.equal(optOut.status, 307);
    assert.equal(optOut.headers.get('location'), `${active}/v1/kv/opt-out`);
    assert.equal((await api(active, 'GET', 'kv/opt-out', { token: root })).status, 404);
    // Errors come back as the active node rendered them.
    const missing = await rawFetch(standby, 'GET', 'kv/nothing-here', root);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { errors: [] });
    const denied = await api(standby, 'GET', 'kv/fwd', { token: 's.not-a-real-token-at-all1' });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body.errors, ['permission denied']);
    // Response wrapping is done by the active node too.
    const wrapped = await api(standby, 'GET', 'kv/fwd', { token: root, headers: { 'X-Vault-Wrap-TTL': '60' } });
    assert.equal(wrapped.status, 200);
    const unwrapped = await api(standby, 'PUT', 'sys/wrapping/unwrap', { token: wrapped.body.wrap_info.token });
    assert.equal(unwrapped.body.data.v, 'through-standby');

    // The client's own address reaches the active node: a token bound to 127.0.0.2 works only from there.
    assert.equal((await api(active, 'POST', 'auth/token/roles/bound', { token: root, body: { token_bound_cidrs: ['127.0.0.2/32'] } })).status, 204);
    const bound: string = (await api(active, 'POST', 'auth/token/create/bound', { token: root, body: { ttl: '1h' } })).body.auth.client_token;
    assert.equal((await fromAddress(standby, '127.0.0.2', 'GET', 'auth/token/lookup-self', bound)).status, 200);
    assert.equal((await fromAddress(standby, '127.0.0.1', 'GET', 'auth/token/lookup-self', bound)).status, 403);

    // The active node audited the forwarded request with the client's address.
    const entries = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; request: { path: string; remote_address?: string } });
    const seen = entries.filter((e) => e.type === 'request' && e.request.path === 'auth/token/lookup-self').map((e) => e.request.remote_address);
    assert.deepEqual(seen.sort(), ['127.0.0.1', '127.0.0.2']);

    // The forwarding channel is mutual TLS with the cluster's identity: nothing else gets an answer.
    const clusterAddr: string = (await api(standby, 'GET', 'sys/leader')).body.leader_cluster_address;
    assert.match(clusterAddr, /^https:\/\/127\.0\.0\.1:[1-9]/);
    assert.match(await probeWithoutIdentity(clusterAddr), /^refused/);
    const { hostname, port } = new URL(clusterAddr);
    const plain = await new Promise<string>((resolve) => {
      const s = net.connect(Number(port), hostname, () => s.write('POST /arca/ha/v1/request HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'));
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    assert.doesNotMatch(plain, /HTTP\/1\.1 2/);

    // `arca status` shows the HA rows as `vault status` does.
    const home = tempDir('arca-ha-status-');
    try {
      const onActive = await runCli(['status'], cleanEnv(home, { VAULT_ADDR: active }));
      assert.equal(onActive.code, 0, onActive.stderr);
      assert.match(onActive.stdout, /HA Enabled +true\nHA Cluster +https:\/\/127\.0\.0\.1:\d+\nHA Mode +active\nActive Since +\S+/);
      assert.doesNotMatch(onActive.stdout, /Active Node Address|Performance Standby/);
      const onStandby = await runCli(['status'], cleanEnv(home, { VAULT_ADDR: standby }));
      assert.equal(onStandby.code, 0, onStandby.stderr);
      assert.match(onStandby.stdout, new RegExp(`HA Cluster +${clusterAddr}\nHA Mode +standby\nActive Node Address +${active}\n`));
      assert.doesNotMatch(onStandby.stdout, /Active Since|Performance Standby/);
    } finally {
      removeDir(home);
    }

    // The active node's cluster port stops answering HA peers: the standby falls back to a 307.
    ns[a]!.ha!.attachCluster(undefined);
    const redirected = await waitFor('a redirect from the standby', async () => {
      const r = await rawFetch(standby, 'GET', 'kv/fwd?x=1', root);
      return r.status === 307 ? r : undefined;
    });
    assert.equal(redirected.headers.get('location'), `${active}/v1/kv/fwd?x=1`);
  });
}
