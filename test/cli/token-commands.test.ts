/** `arca token ...` in-process against a scripted server: requests sent, output, exit codes. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedServer, runCapture, type CliRun } from './scripted-server.js';
import { removeDir, tempDir } from './cli-process.js';

let server: ScriptedServer;
const HOME = tempDir('arca-cli-token-');

const AUTH = {
  client_token: 's.child',
  accessor: 'acc-1',
  policies: ['default', 'team'],
  token_policies: ['default', 'team'],
  identity_policies: [],
  metadata: { owner: 'ops' },
  lease_duration: 3600,
  renewable: true,
};

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
    if (req.path.startsWith('auth/token/create') || req.path.startsWith('auth/token/renew')) return { status: 200, body: { request_id: 'r', auth: AUTH } };
    if (req.path.startsWith('auth/token/lookup')) return { status: 200, body: { data: { id: 's.x', accessor: 'acc-1', policies: ['default'], ttl: 60, creation_ttl: 120 } } };
    if (req.path.startsWith('auth/token/revoke') || req.path.startsWith('sys/leases/revoke-prefix/')) return { status: 204 };
    return undefined;
  };
});

function arca(argv: string[]): Promise<CliRun> {
  return runCapture(argv, { HOME, VAULT_ADDR: server.addr, VAULT_TOKEN: 's.mine' });
}

test('token create: every flag becomes its API field; unset flags are not sent', async () => {
  const r = await arca([
    'token', 'create',
    '-policy=team', '-policy', 'ops,audit', '-metadata=owner=ops', '-metadata', 'tier=1',
    '-ttl=1h', '-explicit-max-ttl=2h', '-period=30m', '-display-name=ci', '-use-limit=3',
    '-no-default-policy', '-id=s.custom', '-entity-alias=bob', '-renewable=false',
  ]);
  assert.equal(r.code, 0, r.err);
  const req = server.last();
  assert.deepEqual([req.method, req.path], ['POST', 'auth/token/create']);
  assert.deepEqual(req.body, {
    id: 's.custom',
    policies: ['team', 'ops', 'audit'],
    meta: { owner: 'ops', tier: '1' },
    no_default_policy: true,
    ttl: '1h0m0s',
    explicit_max_ttl: '2h0m0s',
    period: '30m0s',
    display_name: 'ci',
    num_uses: 3,
    renewable: false,
    entity_alias: 'bob',
  });
  assert.equal(req.headers['x-vault-token'], 's.mine');

  await arca(['token', 'create']);
  assert.deepEqual(server.last().body, { renewable: true });
});

test('token create: -orphan, -role and -type=batch pick endpoint and renewability', async () => {
  await arca(['token', 'create', '-orphan']);
  assert.equal(server.last().path, 'auth/token/create-orphan');
  assert.equal(server.last().body.no_parent, true);
  await arca(['token', 'create', '-role=deploy', '-orphan']);
  assert.equal(server.last().path, 'auth/token/create/deploy');
  await arca(['token', 'create', '-type=batch']);
  assert.deepEqual(server.last().body, { renewable: false, type: 'batch' });
});

test('token create output: Vault\'s auth table, -field and json', async () => {
  const table = await arca(['token', 'create']);
  assert.equal(
    table.out,
    [
      'Key                  Value',
      '---                  -----',
      'token                s.child',
      'token_accessor       acc-1',
      'token_duration       1h',
      'token_renewable      true',
      'token_policies       ["default" "team"]',
      'identity_policies    []',
      'policies             ["default" "team"]',
      'token_meta_owner     ops',
      '',
    ].join('\n'),
  );
  assert.equal((await arca(['token', 'create', '-field=token'])).out, 's.child');
  const json = JSON.parse((await arca(['token', 'create', '-format=json'])).out);
  assert.equal(json.auth.client_token, 's.child');
  assert.deepEqual(Object.keys(json), ['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'warnings', 'auth']);
});

test('token create: a server error exits 2 with Vault\'s prefix; bad flags exit 1', async () => {
  server.route = () => ({ status: 400, body: { errors: ['invalid ttl'] } });
  const r = await arca(['token', 'create', '-ttl=1h']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^Error creating token: Error making API request\.\n\nURL: POST .*\/v1\/auth\/token\/create\nCode: 400\. Errors:\n\n\* invalid ttl\n$/);
  assert.equal((await arca(['token', 'create', '-ttl=soon'])).code, 1);
  assert.deepEqual(await arca(['token', 'create', 'extra']), { code: 1, out: '', err: 'Too many arguments (expected 0, got 1)\n' });
});

test('token lookup: self, token and accessor; argument checks', async () => {
  const self = await arca(['token', 'lookup']);
  assert.equal(self.code, 0);
  assert.deepEqual([server.last().method, server.last().path], ['GET', 'auth/token/lookup-self']);
  assert.match(self.out, /^Key +Value\n--- +-----\naccessor +acc-1\ncreation_ttl +2m\nid +s\.x\npolicies +\[default\]\nttl +1m\n$/);

  await arca(['token', 'lookup', 's.other']);
  assert.deepEqual([server.last().method, server.last().path, server.last().body], ['POST', 'auth/token/lookup', { token: 's.other' }]);
  await arca(['token', 'lookup', '-accessor', 'acc-9']);
  assert.deepEqual([server.last().path, server.last().body], ['auth/token/lookup-accessor', { accessor: 'acc-9' }]);

  assert.deepEqual(await arca(['token', 'lookup', '-accessor']), { code: 1, out: '', err: 'Not enough arguments with -accessor (expected 1, got 0)\n' });
  assert.deepEqual(await arca(['token', 'lookup', 'a', 'b']), { code: 1, out: '', err: 'Too many arguments (expected 0-1, got 2)\n' });
  assert.equal(JSON.parse((await arca(['token', 'lookup', '-format=json'])).out).data.id, 's.x');
});

test('token lookup of an unknown token: 4xx is an error (exit 2)', async () => {
  server.route = () => ({ status: 403, body: { errors: ['bad token'] } });
  const r = await arca(['token', 'lookup', 's.gone']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^Error looking up token: Error making API request\./);
});

test('token renew: self, token, accessor, with -increment in seconds', async () => {
  const r = await arca(['token', 'renew', '-increment=30m']);
  assert.equal(r.code, 0);
  assert.deepEqual([server.last().method, server.last().path, server.last().body], ['PUT', 'auth/token/renew-self', { increment: 1800 }]);
  assert.match(r.out, /token_duration +1h\n/);
  await arca(['token', 'renew', '-i', '90', 's.other']);
  assert.deepEqual([server.last().path, server.last().body], ['auth/token/renew', { token: 's.other', increment: 90 }]);
  await arca(['token', 'renew', '-accessor', 'acc-2']);
  assert.deepEqual([server.last().path, server.last().body], ['auth/token/renew-accessor', { accessor: 'acc-2', increment: 0 }]);
});

test('token revoke: each mode hits its endpoint and prints Vault\'s message', async () => {
  const cases: [string[], string, string, unknown][] = [
    [['s.t'], 'PUT', 'auth/token/revoke', { token: 's.t' }],
    [['-mode=orphan', 's.t'], 'PUT', 'auth/token/revoke-orphan', { token: 's.t' }],
    [['-mode=path', 'auth/userpass/'], 'PUT', 'sys/leases/revoke-prefix/auth/userpass/', undefined],
    [['-accessor', 'acc-3'], 'POST', 'auth/token/revoke-accessor', { accessor: 'acc-3' }],
    [['-self'], 'PUT', 'auth/token/revoke-self', undefined],
  ];
  for (const [args, method, path, body] of cases) {
    const r = await arca(['token', 'revoke', ...args]);
    assert.deepEqual(r, { code: 0, out: 'Success! Revoked token (if it existed)\n', err: '' }, args.join(' '));
    assert.deepEqual([server.last().method, server.last().path, server.last().body], [method, path, body], args.join(' '));
  }
});

test('token revoke: Vault\'s flag and argument checks, before any request', async () => {
  const cases: [string[], string][] = [
    [['-mode=all', 's.t'], 'Invalid mode: all'],
    [['-self', 's.t'], 'Too many arguments with -self (expected 0, got 1)'],
    [[], 'Not enough arguments (expected 1 or -self, got 0)'],
    [['a', 'b'], 'Too many arguments (expected 1 or -self, got 2)'],
    [['-self', '-accessor'], 'Cannot use -self with -accessor!'],
    [['-self', '-mode=orphan'], 'Cannot use -self with -mode!'],
    [['-accessor', '-mode=orphan', 'x'], 'Cannot use -accessor with -mode=orphan!'],
    [['-accessor', '-mode=path', 'x'], 'Cannot use -accessor with -mode=path!'],
  ];
  for (const [args, message] of cases) {
    assert.deepEqual(await arca(['token', 'revoke', ...args]), { code: 1, out: '', err: `${message}\n` }, args.join(' '));
  }
  assert.equal(server.requests.length, 0);
});

test('token capabilities: self and other token, sorted table line, json array', async () => {
  server.route = () => ({ status: 200, body: { capabilities: ['update', 'read'], 'secret/foo': ['update', 'read'], data: { capabilities: ['update', 'read'], 'secret/foo': ['update', 'read'] } } });
  const self = await arca(['token', 'capabilities', 'secret/foo']);
  assert.deepEqual(self, { code: 0, out: 'read, update\n', err: '' });
  assert.deepEqual([server.last().path, server.last().body], ['sys/capabilities-self', { paths: ['secret/foo'] }]);
  await arca(['token', 'capabilities', 's.other', 'secret/foo']);
  assert.deepEqual([server.last().path, server.last().body], ['sys/capabilities', { token: 's.other', paths: ['secret/foo'] }]);
  assert.deepEqual(JSON.parse((await arca(['token', 'capabilities', '-format=json', 'secret/foo'])).out), ['update', 'read']);
  assert.deepEqual(await arca(['token', 'capabilities']), { code: 1, out: '', err: 'Invalid number of arguments (expected 1-2, got 0)\n' });

  server.route = () => ({ status: 200, body: { data: {} } });
  assert.deepEqual(await arca(['token', 'capabilities', 'x']), { code: 1, out: '', err: 'No capabilities found\n' });
});
