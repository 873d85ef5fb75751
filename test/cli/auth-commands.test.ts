/**
 * End to end: the real bin/arca against a real dev server, both child processes. An operator
 * (root token from the dev server's token helper) writes and formats a policy, enables
 * userpass and creates a user; the user logs in with a private HOME (the token helper file
 * is written there) and works with its token; tokens are created, renewed, revoked and
 * asked about; a wrapped response is unwrapped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, removeDir, runCli, startServer, tempDir, type CliResult, type RunningServer } from './cli-process.js';

let server: RunningServer | undefined;
let rootHome = '';
let bobHome = '';
let rootEnv: Record<string, string> = {};
let bobEnv: Record<string, string> = {};

const POLICY_MESSY = `# what the team may do
path "secret/data/team/*" {capabilities=["read","list"]}  # team data
path "secret/metadata/team/*" {
      capabilities = ["list"]
}
`;
const POLICY_FORMATTED = `# what the team may do
path "secret/data/team/*" {
  capabilities = ["read", "list"]
} # team data

path "secret/metadata/team/*" {
  capabilities = ["list"]
}
`;

before(async () => {
  rootHome = tempDir('arca-cli-auth-root-');
  bobHome = tempDir('arca-cli-auth-bob-');
  server = await startServer(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:0'], rootHome);
  rootEnv = cleanEnv(rootHome, { VAULT_ADDR: server.addr });
  bobEnv = cleanEnv(bobHome, { VAULT_ADDR: server.addr });
});

after(async () => {
  await server?.stop();
  removeDir(rootHome);
  removeDir(bobHome);
});

function asRoot(args: string[], input?: string): Promise<CliResult> {
  return runCli(args, rootEnv, input);
}

function asBob(args: string[], input?: string): Promise<CliResult> {
  return runCli(args, bobEnv, input);
}

function ok(r: CliResult, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function bobToken(): string {
  return readFileSync(join(bobHome, '.vault-token'), 'utf8').trim();
}

test('policy fmt, write, read, list', async () => {
  const file = join(rootHome, 'team.hcl');
  writeFileSync(file, POLICY_MESSY);
  assert.equal(ok(await asRoot(['policy', 'fmt', file]), 'policy fmt'), `Success! Formatted policy: ${file}\n`);
  assert.equal(readFileSync(file, 'utf8'), POLICY_FORMATTED);

  assert.equal(ok(await asRoot(['policy', 'write', 'team', file]), 'policy write'), 'Success! Uploaded policy: team\n');
  assert.equal(ok(await asRoot(['policy', 'read', 'team']), 'policy read'), POLICY_FORMATTED);
  assert.equal(JSON.parse(ok(await asRoot(['policy', 'read', '-format=json', 'team']), 'policy read json'))['policy'], POLICY_FORMATTED);
  const list = ok(await asRoot(['policy', 'list']), 'policy list').split('\n');
  assert.ok(list.includes('team') && list.includes('default'), list.join(','));
  assert.deepEqual(ok(await asRoot(['policies']), 'policies').split('\n'), list);

  const missing = await asRoot(['policy', 'read', 'nobody']);
  assert.deepEqual([missing.code, missing.stderr], [2, 'No policy named: nobody\n']);
  const invalid = await asRoot(['policy', 'write', 'bad', '-'], 'path "x" { capabilities = ["fly"] }');
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /^Error uploading policy: Error making API request\.[\s\S]*Code: 400\. Errors:\n\n\* .*invalid capability "fly"/);

  writeFileSync(join(rootHome, 'broken.hcl'), 'path "x" {\n  capabilities = ["fly"]\n}\n');
  const broken = await asRoot(['policy', 'fmt', join(rootHome, 'broken.hcl')]);
  assert.deepEqual([broken.code, broken.stderr], [2, 'failed to parse policy: path "x": invalid capability "fly" on line 2\n']);
});

test('auth enable userpass, auth list, and a user', async () => {
  assert.equal(ok(await asRoot(['auth', 'enable', '-description=people', 'userpass']), 'auth enable'), 'Success! Enabled userpass auth method at: userpass/\n');
  const list = ok(await asRoot(['auth', 'list']), 'auth list');
  assert.match(list, /^Path +Type +Accessor +Description\n/);
  assert.match(list, /\nuserpass\/ +userpass +\S+ +people\n/);
  assert.match(list, /\ntoken\/ +token +/);
  assert.equal(JSON.parse(ok(await asRoot(['auth', 'list', '-format=json']), 'auth list json'))['userpass/']['type'], 'userpass');
  assert.equal(ok(await asRoot(['auth', 'tune', '-default-lease-ttl=2h', 'userpass/']), 'auth tune'), 'Success! Tuned the auth method at: userpass/\n');
  assert.match(ok(await asRoot(['auth', 'list', '-detailed']), 'auth list -detailed'), /\nuserpass\/ +userpass +\S+ +2h +/);

  const again = await asRoot(['auth', 'enable', 'userpass']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^Error enabling userpass auth: Error making API request\./);

  assert.equal(ok(await asRoot(['write', 'auth/userpass/users/bob', 'password=b0b-s3cret', 'policies=team']), 'write user'), 'Success! Data written to: auth/userpass/users/bob\n');
});

test('login -method=userpass stores the token in the user\'s HOME', async () => {
  const bad = await asBob(['login', '-method=userpass', 'username=bob', 'password=wrong']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^Error authenticating: Error making API request\.\n\nURL: PUT .*\/v1\/auth\/userpass\/login\/bob\nCode: 400\. Errors:\n\n\* invalid username or password\n$/);

  const out = ok(await asBob(['login', '-method=userpass', 'username=bob', 'password=b0b-s3cret']), 'login');
  assert.match(out, /^Success! You are now authenticated\. The token information displayed below is\n/);
  assert.match(out, /\n\nKey +Value\n--- +-----\ntoken +s\.\S+\ntoken_accessor +\S+\ntoken_duration +2h\ntoken_renewable +true\ntoken_policies +\["default" "team"\]\nidentity_policies +\[\]\npolicies +\["default" "team"\]\ntoken_meta_username +bob\n$/);
  const token = bobToken();
  assert.match(out, new RegExp(`\\ntoken +${token}\\n`));
  assert.equal(readFileSync(join(rootHome, '.vault-token'), 'utf8').trim(), 'root', 'the operator\'s token is untouched');
});

test('token lookup and capabilities with the stored token', async () => {
  const lookup = ok(await asBob(['token', 'lookup']), 'token lookup');
  assert.match(lookup, /\ndisplay_name +userpass-bob\n/);
  assert.match(lookup, /\npolicies +\[default team\]\n/);
  assert.match(lookup, /\npath +auth\/userpass\/login\/bob\n/);
  assert.equal(JSON.parse(ok(await asBob(['token', 'lookup', '-format=json']), 'lookup json'))['data']['id'], bobToken());

  assert.equal(ok(await asBob(['token', 'capabilities', 'secret/data/team/app']), 'capabilities self'), 'list, read\n');
  assert.equal(ok(await asBob(['token', 'capabilities', 'secret/data/other']), 'capabilities deny'), 'deny\n');
  assert.equal(ok(await asRoot(['token', 'capabilities', bobToken(), 'secret/metadata/team/x']), 'capabilities of token'), 'list\n');
  assert.deepEqual(JSON.parse(ok(await asRoot(['token', 'capabilities', '-format=json', 'sys/mounts']), 'capabilities json')), ['root']);

  const denied = await asBob(['secrets', 'list']);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /Code: 403\. Errors:\n\n\* permission denied/);
});

test('token create, lookup, renew, revoke', async () => {
  const created = JSON.parse(ok(await asRoot(['token', 'create', '-policy=team', '-ttl=1h', '-display-name=ci', '-metadata=owner=ops', '-format=json']), 'token create'));
  const child = created['auth']['client_token'] as string;
  const accessor = created['auth']['accessor'] as string;
  assert.match(child, /^s\./);
  assert.deepEqual(created['auth']['policies'], ['default', 'team']);
  assert.equal(created['auth']['lease_duration'], 3600);
  assert.deepEqual(created['auth']['metadata'], { owner: 'ops' });

  const table = ok(await asRoot(['token', 'create', '-policy=team', '-ttl=10m']), 'token create table');
  assert.match(table, /^Key +Value\n--- +-----\ntoken +s\.\S+\ntoken_accessor +\S+\ntoken_duration +10m\ntoken_renewable +true\ntoken_policies +\["default" "team"\]\n/);
  assert.match(ok(await asRoot(['token', 'create', '-field=token', '-policy=team']), 'token create -field'), /^s\.\S+$/);

  const lookup = JSON.parse(ok(await asRoot(['token', 'lookup', '-format=json', child]), 'lookup child'))['data'];
  assert.equal(lookup['display_name'], 'token-ci');
  assert.equal(lookup['accessor'], accessor);
  assert.deepEqual(lookup['meta'], { owner: 'ops' });
  assert.equal(JSON.parse(ok(await asRoot(['token', 'lookup', '-format=json', '-accessor', accessor]), 'lookup accessor'))['data']['display_name'], 'token-ci');

  const renewed = ok(await asRoot(['token', 'renew', '-increment=30m', child]), 'renew');
  assert.match(renewed, /\ntoken_duration +30m\n/);
  assert.match(ok(await runCli(['token', 'renew'], { ...rootEnv, VAULT_TOKEN: child }), 'renew-self'), /\ntoken_renewable +true\n/);

  // The token method of login checks the token and can leave the helper alone.
  const login = await runCli(['login', '-no-store', child], bobEnv);
  assert.match(ok(login, 'login token'), /\ntoken +s\.\S+\n/);
  assert.match(login.stderr, /^The token was not stored in token helper\./);

  assert.equal(ok(await asRoot(['token', 'revoke', child]), 'revoke'), 'Success! Revoked token (if it existed)\n');
  const gone = await asRoot(['token', 'lookup', child]);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /^Error looking up token: Error making API request\./);

  const other = JSON.parse(ok(await asRoot(['token', 'create', '-format=json', '-policy=team']), 'create for accessor revoke'))['auth'];
  assert.equal(ok(await asRoot(['token', 'revoke', '-accessor', other['accessor']]), 'revoke -accessor'), 'Success! Revoked token (if it existed)\n');
  assert.equal((await asRoot(['token', 'lookup', other['client_token']])).code, 2);

  const selfToken = JSON.parse(ok(await asRoot(['token', 'create', '-format=json', '-policy=team']), 'create for self revoke'))['auth']['client_token'];
  assert.equal(ok(await runCli(['token', 'revoke', '-self'], { ...rootEnv, VAULT_TOKEN: selfToken }), 'revoke -self'), 'Success! Revoked token (if it existed)\n');
  assert.equal((await asRoot(['token', 'lookup', selfToken])).code, 2);
});

test('-wrap-ttl wraps a response and unwrap returns it', async () => {
  ok(await asRoot(['kv', 'put', 'secret/team/app', 'db=pg-pass']), 'kv put');
  const wrapped = ok(await asRoot(['read', '-wrap-ttl=5m', 'secret/data/team/app']), 'wrapped read');
  assert.match(wrapped, /^Key +Value\n--- +-----\nwrapping_token: +s\.\S+\nwrapping_accessor: +\S+\nwrapping_token_ttl: +5m\nwrapping_token_creation_time: +\S+\nwrapping_token_creation_path: +secret\/data\/team\/app\n$/);
  const token = /wrapping_token: +(\S+)/.exec(wrapped)![1]!;
  const unwrapped = JSON.parse(ok(await asRoot(['unwrap', '-format=json', token]), 'unwrap'));
  assert.deepEqual(unwrapped['data']['data'], { db: 'pg-pass' });
  const again = await asRoot(['unwrap', token]);
  assert.equal(again.code, 2, 'a wrapping token is single-use');
  assert.match(again.stderr, /^Error unwrapping: Error making API request\./);

  const wrappedToken = ok(await asRoot(['token', 'create', '-wrap-ttl=2m', '-policy=team', '-field=wrapping_token']), 'wrapped token create');
  const inner = ok(await asRoot(['unwrap', '-field=token', wrappedToken]), 'unwrap token');
  assert.match(inner, /^s\.\S+$/);
  assert.match(ok(await asRoot(['token', 'lookup', inner]), 'lookup unwrapped'), /\npolicies +\[default team\]\n/);

  // A wrapped login is unwrapped by the CLI and stored as usual.
  const login = ok(await asBob(['login', '-wrap-ttl=1m', '-method=userpass', 'username=bob', 'password=b0b-s3cret']), 'wrapped login');
  assert.match(login, /\ntoken_meta_username +bob\n$/);
  assert.match(login, new RegExp(`\\ntoken +${bobToken()}\\n`));
});
