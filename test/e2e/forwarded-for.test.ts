/**
 * X-Forwarded-For against a real server process whose listener trusts 127.0.0.1: the client
 * address the header names is the one a token's bound CIDRs are checked against, and a
 * listener that rejects requests without the header does so with 400.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const cfg = writeServerConfig({ storage: 'inmem' });
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  cfg.cleanup();
});

test('the forwarded client address is the one token_bound_cidrs see; a required header is enforced', async () => {
  const path = join(cfg.dir, 'xff.hcl');
  writeFileSync(
    path,
    [
      'storage "inmem" {}',
      'listener "tcp" {',
      '  address = "127.0.0.1:0"',
      '  tls_disable = true',
      '  x_forwarded_for_authorized_addrs = "127.0.0.1/32"',
      '}',
      'disable_mlock = true',
      '',
    ].join('\n'),
  );
  server = await startServerProcess([`-config=${path}`]);
  const url = server.url;
  const init = (await api(url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } })).body;
  await api(url, 'PUT', 'sys/unseal', { body: { key: init.keys[0] } });
  const root = init.root_token as string;
  assert.equal((await api(url, 'POST', 'auth/token/roles/edge', { token: root, body: { token_bound_cidrs: ['203.0.113.0/24'] } })).status, 204);
  const bound = (await api(url, 'POST', 'auth/token/create/edge', { token: root, body: { ttl: '1h' } })).body.auth.client_token as string;

  const lookup = (headers: Record<string, string>) => api(url, 'GET', 'auth/token/lookup-self', { token: bound, headers });
  assert.equal((await lookup({ 'X-Forwarded-For': '203.0.113.7' })).status, 200, 'the client the proxy names is inside the bound CIDRs');
  assert.equal((await lookup({ 'X-Forwarded-For': '198.51.100.1, 203.0.113.9' })).status, 200, 'the last hop of the chain is the client');
  assert.equal((await lookup({ 'X-Forwarded-For': '198.51.100.1' })).status, 403, 'a client outside them is refused');
  assert.equal((await lookup({})).status, 403, 'without the header the connection address (127.0.0.1) is the client');
  const bad = await lookup({ 'X-Forwarded-For': 'garbage' });
  assert.deepEqual([bad.status, bad.body], [400, { errors: ['error parsing client address "garbage" from x-forwarded-for'] }]);
});
