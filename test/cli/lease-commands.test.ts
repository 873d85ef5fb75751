/** `arca lease ...` in-process against a scripted server: requests sent, output, exit codes. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedServer, runCapture, type CliRun } from './scripted-server.js';
import { removeDir, tempDir } from './cli-process.js';

let server: ScriptedServer;
const HOME = tempDir('arca-cli-lease-');
const LEASE = 'database/creds/ro/abc123';

before(async () => {
  server = await ScriptedServer.start();
});
after(async () => {
  await server.close();
  removeDir(HOME);
});
beforeEach(() => {
  server.requests.length = 0;
  server.route = (req) => {
    if (req.path === 'sys/leases/lookup') {
      return { status: 200, body: { data: { id: LEASE, issue_time: '2026-11-26T00:00:00Z', expire_time: '2026-11-26T01:00:00Z', last_renewal: null, renewable: true, ttl: 3599 } } };
    }
    if (req.path === 'sys/leases/renew') return { status: 200, body: { request_id: 'r', lease_id: LEASE, renewable: true, lease_duration: 1800, data: null } };
    if (req.path.startsWith('sys/leases/revoke')) return { status: 204 };
    return undefined;
  };
});

function arca(argv: string[]): Promise<CliRun> {
  return runCapture(argv, { HOME, VAULT_ADDR: server.addr, VAULT_TOKEN: 's.mine' });
}

test('lease lookup sends the lease id in the body and prints the lease', async () => {
  const r = await arca(['lease', 'lookup', LEASE]);
  assert.equal(r.code, 0, r.err);
  const req = server.last();
  assert.deepEqual([req.method, req.path, req.body], ['PUT', 'sys/leases/lookup', { lease_id: LEASE }]);
  assert.match(r.out, /ttl\s+59m59s/);
  const field = await arca(['lease', 'lookup', '-field=ttl', LEASE]);
  assert.equal(field.out.trim(), '3599');
});

test('lease renew sends the increment in seconds and prints the new lease', async () => {
  const r = await arca(['lease', 'renew', '-increment=30m', LEASE]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(server.last().body, { lease_id: LEASE, increment: 1800 });
  assert.match(r.out, /lease_duration\s+30m/);
});

test('lease revoke: single, -prefix, -force -prefix, -sync; -force alone is a usage error', async () => {
  let r = await arca(['lease', 'revoke', LEASE]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual([server.last().path, server.last().body], ['sys/leases/revoke', { lease_id: LEASE, sync: false }]);
  assert.match(r.out, /All revocation operations queued successfully!/);

  r = await arca(['lease', 'revoke', '-sync', LEASE]);
  assert.match(r.out, new RegExp(`Success! Revoked lease: ${LEASE}`));

  r = await arca(['lease', 'revoke', '-prefix', 'database/creds']);
  assert.equal(server.last().path, 'sys/leases/revoke-prefix/database/creds');

  r = await arca(['lease', 'revoke', '-force', '-prefix', 'database/creds']);
  assert.equal(server.last().path, 'sys/leases/revoke-force/database/creds');
  assert.match(r.out, /Success! Force revoked any leases with prefix: database\/creds/);

  const n = server.requests.length;
  r = await arca(['lease', 'revoke', '-force', LEASE]);
  assert.equal(r.code, 1);
  assert.match(r.err, /Specifying -force requires also specifying -prefix/);
  assert.equal(server.requests.length, n, 'nothing sent');
  r = await arca(['lease', 'lookup']);
  assert.equal(r.code, 1);
  assert.match(r.err, /Not enough arguments/);
});
