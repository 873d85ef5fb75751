/** `arca login` in-process against a scripted server: methods, token helper, flags, wrapping. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ScriptedServer, runCapture, type CliRun } from './scripted-server.js';
import { removeDir, tempDir } from './cli-process.js';

let server: ScriptedServer;
const HOME = tempDir('arca-cli-login-');
const TOKEN_FILE = join(HOME, '.vault-token');

const LOGIN_AUTH = { client_token: 's.login', accessor: 'acc-l', policies: ['default', 'dev'], token_policies: ['default', 'dev'], identity_policies: [], metadata: { username: 'bob' }, lease_duration: 2764800, renewable: true };

before(async () => {
  server = await ScriptedServer.start();
});
after(async () => {
  await server.close();
  removeDir(HOME);
});
beforeEach(() => {
  server.requests.length = 0;
  rmSync(TOKEN_FILE, { force: true });
  server.route = (req) => {
    if (req.path === 'auth/token/lookup-self') {
      if (req.headers['x-vault-token'] !== 's.good') return { status: 403, body: { errors: ['permission denied'] } };
      return { status: 200, body: { data: { id: 's.good', accessor: 'acc-g', policies: ['root'], ttl: 0, renewable: false, meta: null } } };
    }
    if (/^auth\/[^/]+\/login(\/|$)/.test(req.path)) {
      if (req.headers['x-vault-wrap-ttl'] !== undefined) {
        return { status: 200, body: { wrap_info: { token: 's.wrapping', accessor: 'wacc', ttl: 300, creation_time: '2024-01-01T00:00:00Z', creation_path: req.path, wrapped_accessor: 'acc-l' } } };
      }
      return { status: 200, body: { auth: LOGIN_AUTH } };
    }
    if (req.path === 'sys/wrapping/unwrap') {
      if (req.headers['x-vault-token'] !== 's.wrapping' || req.headers['x-vault-wrap-ttl'] !== undefined) return { status: 400, body: { errors: ['wrapping token is not valid or does not exist'] } };
      return { status: 200, body: { auth: LOGIN_AUTH } };
    }
    return undefined;
  };
});

function arca(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return runCapture(argv, { HOME, VAULT_ADDR: server.addr, ...opts.env }, { stdin: opts.stdin ?? '' });
}

function stored(): string | undefined {
  return existsSync(TOKEN_FILE) ? readFileSync(TOKEN_FILE, 'utf8') : undefined;
}

test('token method: looks the token up, prints Vault\'s success text and table, stores it (0600)', async () => {
  const r = await arca(['login', 's.good']);
  assert.equal(r.code, 0, r.err);
  assert.equal(server.last().path, 'auth/token/lookup-self');
  assert.equal(server.last().headers['x-vault-token'], 's.good');
  assert.equal(
    r.out,
    [
      'Success! You are now authenticated. The token information displayed below is',
      'already stored in the token helper. You do NOT need to run "arca login" again.',
      'Future requests will automatically use this token.',
      '',
      'Key                  Value',
      '---                  -----',
      'token                s.good',
      'token_accessor       acc-g',
      'token_duration       ∞',
      'token_renewable      false',
      'token_policies       ["root"]',
      'identity_policies    []',
      'policies             ["root"]',
      '',
    ].join('\n'),
  );
  assert.equal(r.err, '');
  assert.equal(stored(), 's.good');
  assert.equal(statSync(TOKEN_FILE).mode & 0o777, 0o600);
});

test('token method: "-" reads stdin; token=K=V form; lookup=false skips the lookup', async () => {
  assert.equal((await arca(['login', '-'], { stdin: 's.good\n' })).code, 0);
  assert.equal(stored(), 's.good');
  assert.equal((await arca(['login', 'token=s.good'])).code, 0);
  server.requests.length = 0;
  const r = await arca(['login', '-field=token', 'token=s.unchecked', 'lookup=false']);
  assert.deepEqual([r.code, r.out], [0, 's.unchecked']);
  assert.equal(server.requests.length, 0);
  assert.equal(stored(), 's.unchecked');
});

test('token method: no token and no terminal is an error without a prompt; a bad token exits 2', async () => {
  const none = await arca(['login']);
  assert.equal(none.code, 2);
  assert.match(none.err, /^Error authenticating: An error occurred attempting to ask for a token\. .*pass "-" as the argument to read from stdin/);
  assert.equal(server.requests.length, 0);
  const bad = await arca(['login', 's.bad']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^Error authenticating: error looking up token: Error making API request\.\n\nURL: GET .*\/v1\/auth\/token\/lookup-self\nCode: 403\. Errors:\n\n\* permission denied\n$/);
  assert.equal(stored(), undefined);
  const empty = await arca(['login', '-'], { stdin: '  \n' });
  assert.match(empty.err, /a token must be passed to auth/);
});

test('userpass: posts the password without a client token to auth/<path>/login/<user>', async () => {
  const r = await arca(['login', '-method=userpass', 'username=bob', 'password=pw'], { env: { VAULT_TOKEN: 's.stale' } });
  assert.equal(r.code, 0, r.err);
  const req = server.last();
  assert.deepEqual([req.method, req.path, req.body], ['PUT', 'auth/userpass/login/bob', { password: 'pw' }]);
  assert.equal(req.headers['x-vault-token'], undefined);
  assert.match(r.out, /token_meta_username +bob\n$/);
  assert.equal(stored(), 's.login');
  // VAULT_TOKEN would shadow the stored token: Vault warns about it.
  assert.match(r.err, /^WARNING! The VAULT_TOKEN environment variable is set! The value of this\nvariable will take precedence/);

  await arca(['login', '-method=userpass', '-path=people/', 'username=bob', 'password=pw']);
  assert.equal(server.last().path, 'auth/people/login/bob');
  await arca(['login', '-method=userpass', 'username=bob'], { stdin: 'from-stdin\n' });
  assert.deepEqual(server.last().body, { password: 'from-stdin' });
  const noUser = await arca(['login', '-method=userpass', 'password=pw']);
  assert.deepEqual([noUser.code, noUser.err], [2, "Error authenticating: 'username' must be specified\n"]);
});

test('approle: role_id and secret_id to auth/<path>/login', async () => {
  const r = await arca(['login', '-method=approle', '-path=machines', 'role_id=r-1', 'secret_id=s-1']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual([server.last().path, server.last().body], ['auth/machines/login', { role_id: 'r-1', secret_id: 's-1' }]);
  await arca(['login', '-method=approle', 'role_id=r-2']);
  assert.deepEqual([server.last().path, server.last().body], ['auth/approle/login', { role_id: 'r-2' }]);
  assert.match((await arca(['login', '-method=approle', 'secret_id=s'])).err, /'role_id' must be specified/);
});

test('-no-store, -token-only, -no-print, -format', async () => {
  const noStore = await arca(['login', '-no-store', 's.good']);
  assert.equal(noStore.code, 0);
  assert.equal(stored(), undefined);
  assert.match(noStore.err, /^The token was not stored in token helper\./);
  assert.match(noStore.out, /token +s\.good\n/);

  const only = await arca(['login', '-token-only', '-method=userpass', 'username=bob', 'password=pw']);
  assert.deepEqual(only, { code: 0, out: 's.login', err: '' });
  assert.equal(stored(), undefined);

  const quiet = await arca(['login', '-no-print', 's.good']);
  assert.deepEqual(quiet, { code: 0, out: '', err: '' });
  assert.equal(stored(), 's.good');

  const json = JSON.parse((await arca(['login', '-format=json', 's.good'])).out);
  assert.equal(json.auth.client_token, 's.good');
  assert.deepEqual(json.auth.token_policies, ['root']);
});

test('usage errors exit 1 before any request', async () => {
  assert.deepEqual(await arca(['login', '-no-store', '-no-print', 's.good']), { code: 1, out: '', err: '-no-store and -no-print cannot be used together\n' });
  const unknown = await arca(['login', '-method=github', 'token=x']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /^Unknown auth method: github\. Use "arca auth list" to see the complete list of/);
  assert.match((await arca(['login', '-method=userpass', 'novalue'])).err, /^Error parsing configuration: /);
  assert.equal(server.requests.length, 0);
});

test('-wrap-ttl: the wrapped login is unwrapped and stored; -token-only prints the wrapping token', async () => {
  const r = await arca(['login', '-wrap-ttl=5m', '-method=userpass', 'username=bob', 'password=pw']);
  assert.equal(r.code, 0, r.err);
  assert.equal(server.last('auth/userpass/login/bob').headers['x-vault-wrap-ttl'], '300');
  assert.equal(server.last().path, 'sys/wrapping/unwrap');
  assert.equal(stored(), 's.login');

  rmSync(TOKEN_FILE);
  const only = await arca(['login', '-wrap-ttl=5m', '-token-only', '-method=userpass', 'username=bob', 'password=pw']);
  assert.deepEqual(only, { code: 0, out: 's.wrapping', err: '' });
  const details = await arca(['login', '-wrap-ttl=5m', '-no-store', '-method=userpass', 'username=bob', 'password=pw']);
  assert.match(details.out, /wrapping_token: +s\.wrapping\n[\s\S]*wrapped_accessor: +acc-l\n$/);
  assert.equal(stored(), undefined);
});
