/** `arca auth enable|disable|list|tune` in-process against a scripted server. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedServer, runCapture, type CliRun } from './scripted-server.js';
import { removeDir, tempDir } from './cli-process.js';

let server: ScriptedServer;
const HOME = tempDir('arca-cli-auth-');

const AUTH_TABLE = {
  'token/': { type: 'token', accessor: 'auth_token_1', description: 'token based credentials', local: false, seal_wrap: false, options: null, uuid: 'u-1', config: { default_lease_ttl: 0, max_lease_ttl: 0, token_type: 'default-service' } },
  'userpass/': { type: 'userpass', accessor: 'auth_userpass_2', description: '', local: true, seal_wrap: false, options: {}, uuid: 'u-2', config: { default_lease_ttl: 3600, max_lease_ttl: 7200, token_type: 'default-service' } },
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
    if (req.path === 'sys/auth' && req.method === 'GET') return { status: 200, body: { ...AUTH_TABLE, data: AUTH_TABLE } };
    if (req.path.startsWith('sys/auth/')) return { status: 204 };
    return undefined;
  };
});

function arca(argv: string[]): Promise<CliRun> {
  return runCapture(argv, { HOME, VAULT_ADDR: server.addr, VAULT_TOKEN: 's.root' });
}

test('auth enable: path defaults to the type; flags become the mount body', async () => {
  assert.deepEqual(await arca(['auth', 'enable', 'userpass']), { code: 0, out: 'Success! Enabled userpass auth method at: userpass/\n', err: '' });
  assert.deepEqual([server.last().method, server.last().path, server.last().body], [
    'POST',
    'sys/auth/userpass/',
    { type: 'userpass', description: '', local: false, seal_wrap: false, config: {} },
  ]);
  const r = await arca([
    'auth', 'enable', '-path=/people', '-description=humans', '-local', '-default-lease-ttl=1h', '-max-lease-ttl=24h',
    '-listing-visibility=unauth', '-token-type=batch', '-options=k=v', 'userpass',
  ]);
  assert.equal(r.out, 'Success! Enabled userpass auth method at: people/\n');
  assert.deepEqual([server.last().path, server.last().body], [
    'sys/auth/people/',
    {
      type: 'userpass',
      description: 'humans',
      local: true,
      seal_wrap: false,
      config: { default_lease_ttl: '1h0m0s', max_lease_ttl: '24h0m0s', listing_visibility: 'unauth', token_type: 'batch' },
      options: { k: 'v' },
    },
  ]);
  assert.deepEqual(await arca(['auth', 'enable']), { code: 1, out: '', err: 'Not enough arguments (expected 1, got 0)\n' });
});

test('auth enable: a refusal exits 2 with "Error enabling <type> auth"', async () => {
  server.route = () => ({ status: 400, body: { errors: ['path is already in use at userpass/'] } });
  const r = await arca(['auth', 'enable', 'userpass']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^Error enabling userpass auth: Error making API request\.\n\nURL: POST .*\/v1\/sys\/auth\/userpass\/\nCode: 400\. Errors:\n\n\* path is already in use at userpass\/\n$/);
});

test('auth disable', async () => {
  assert.deepEqual(await arca(['auth', 'disable', 'userpass']), { code: 0, out: 'Success! Disabled the auth method (if it existed) at: userpass/\n', err: '' });
  assert.deepEqual([server.last().method, server.last().path], ['DELETE', 'sys/auth/userpass/']);
});

test('auth list: simple and detailed tables, json map', async () => {
  assert.equal(
    (await arca(['auth', 'list'])).out,
    [
      'Path         Type        Accessor           Description',
      '----         ----        --------           -----------',
      'token/       token       auth_token_1       token based credentials',
      'userpass/    userpass    auth_userpass_2    n/a',
      '',
    ].join('\n'),
  );
  const detailed = (await arca(['auth', 'list', '-detailed'])).out;
  assert.match(detailed, /^Path +Plugin +Accessor +Default TTL +Max TTL +Token Type +Replication +Seal Wrap +Options +Description +UUID\n/);
  assert.match(detailed, /\ntoken\/ +token +auth_token_1 +system +system +default-service +replicated +false +<nil> +token based credentials +u-1\n/);
  assert.match(detailed, /\nuserpass\/ +userpass +auth_userpass_2 +1h +2h +default-service +local +false +map\[\] +n\/a +u-2\n$/);
  const json = JSON.parse((await arca(['auth', 'list', '-format=json'])).out);
  assert.deepEqual(Object.keys(json), ['token/', 'userpass/']);
});

test('auth tune: only the given settings are sent, to sys/auth/<path>/tune', async () => {
  assert.deepEqual(await arca(['auth', 'tune', '-default-lease-ttl=72h', '-description=people', 'userpass']), {
    code: 0,
    out: 'Success! Tuned the auth method at: userpass/\n',
    err: '',
  });
  assert.deepEqual([server.last().method, server.last().path, server.last().body], ['POST', 'sys/auth/userpass/tune', { default_lease_ttl: '72h0m0s', description: 'people' }]);
});
