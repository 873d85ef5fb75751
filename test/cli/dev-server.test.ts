/**
 * The real bin/arca against a real dev server (`arca server -dev`), both as child processes.
 * No VAULT_TOKEN is set: the dev server writes ~/.vault-token (HOME is a temp dir) and the CLI
 * must pick it up through the token helper, as Vault's does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, removeDir, runCli, startServer, tempDir, type CliResult, type RunningServer } from './cli-process.js';

let server: RunningServer | undefined;
let home = '';
let env: Record<string, string> = {};

before(async () => {
  home = tempDir('arca-cli-dev-');
  server = await startServer(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:0'], home);
  env = cleanEnv(home, { VAULT_ADDR: server.addr });
});

after(async () => {
  await server?.stop();
  removeDir(home);
});

function arca(args: string[], input?: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { ...env, ...extraEnv }, input);
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await arca(args, input);
  assert.equal(r.code, 0, `arca ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function json(text: string): Record<string, any> {
  return JSON.parse(text) as Record<string, any>;
}

test('status: exit 0 when unsealed, table and json', async () => {
  const table = await ok(['status']);
  assert.match(table, /^Key +Value\n--- +-----\nSeal Type +shamir\nInitialized +true\nSealed +false\n/);
  assert.match(table, /HA Enabled +false/);
  assert.doesNotMatch(table, /Unseal Progress/);
  const status = json(await ok(['status', '-format=json']));
  assert.equal(status['sealed'], false);
  assert.equal(status['initialized'], true);
  assert.equal(status['ha_enabled'], false);
});

test('token: the helper file is used; ARCA_TOKEN beats VAULT_TOKEN', async () => {
  assert.equal(env['VAULT_TOKEN'], undefined);
  assert.equal(readFileSync(join(home, '.vault-token'), 'utf8').trim(), 'root');
  await ok(['secrets', 'list']);
  const denied = await arca(['secrets', 'list'], undefined, { VAULT_TOKEN: 'bogus' });
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /^Error listing secrets engines: Error making API request\.\n\nURL: GET http:\/\/127\.0\.0\.1:\d+\/v1\/sys\/mounts\nCode: 403\. Errors:\n\n\* /);
  const overridden = await arca(['secrets', 'list'], undefined, { VAULT_TOKEN: 'bogus', ARCA_TOKEN: 'root' });
  assert.equal(overridden.code, 0, overridden.stderr);
});

test('kv v2: put, get (table, json, -field, -version), patch, cas', async () => {
  const put = await ok(['kv', 'put', 'secret/app/db', 'user=admin', 'pass=s3cret']);
  assert.match(put, /^=== Secret Path ===\nsecret\/data\/app\/db\n\n=+ Metadata =+\nKey +Value\n--- +-----\ncreated_time +\S+\ncustom_metadata +<nil>\ndeletion_time +n\/a\ndestroyed +false\nversion +1\n$/);

  const get = await ok(['kv', 'get', 'secret/app/db']);
  assert.match(get, /^=== Secret Path ===\nsecret\/data\/app\/db\n\n=+ Metadata =+\n/);
  assert.match(get, /\n\n==== Data ====\nKey +Value\n--- +-----\npass +s3cret\nuser +admin\n$/);

  assert.equal(await ok(['kv', 'get', '-field=pass', 'secret/app/db']), 's3cret');
  const full = json(await ok(['kv', 'get', '-format=json', 'secret/app/db']));
  assert.deepEqual(full['data']['data'], { user: 'admin', pass: 's3cret' });
  assert.equal(full['data']['metadata']['version'], 1);

  const patched = await ok(['kv', 'patch', '-mount=secret', 'app/db', 'pass=n3w']);
  assert.match(patched, /version +2\n$/);
  assert.deepEqual(json(await ok(['kv', 'get', '-format=json', '-mount=secret', 'app/db']))['data']['data'], { user: 'admin', pass: 'n3w' });

  const rw = await ok(['kv', 'patch', '-method=rw', '-format=json', 'secret/app/db', 'extra=1']);
  assert.equal(json(rw)['data']['version'], 3);
  assert.equal(await ok(['kv', 'get', '-version=1', '-field=pass', 'secret/app/db']), 's3cret');

  const cas = await arca(['kv', 'put', '-cas=1', 'secret/app/db', 'user=x']);
  assert.equal(cas.code, 2);
  assert.match(cas.stderr, /^Error writing data to secret\/data\/app\/db: Error making API request\.\n\nURL: PUT .*\/v1\/secret\/data\/app\/db\nCode: 400\. Errors:\n\n\* /);

  const missing = await arca(['kv', 'patch', 'secret/nope', 'a=b']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'No value found at secret/data/nope\n');
});

test('kv put reads values from files and stdin', async () => {
  const file = join(home, 'cert.pem');
  writeFileSync(file, 'PEM-CONTENTS');
  await ok(['kv', 'put', 'secret/files', `cert=@${file}`, 'note=-'], 'from-stdin');
  const data = json(await ok(['kv', 'get', '-format=json', 'secret/files']))['data']['data'];
  assert.deepEqual(data, { cert: 'PEM-CONTENTS', note: 'from-stdin' });
});

test('kv list, delete, undelete, destroy and metadata', async () => {
  assert.equal(await ok(['kv', 'list', 'secret/']), 'Keys\n----\napp/\nfiles\n');
  assert.equal(await ok(['kv', 'list', 'secret/app']), 'Keys\n----\ndb\n');
  assert.deepEqual(JSON.parse(await ok(['kv', 'list', '-format=json', '-mount=secret'])), ['app/', 'files']);
  const none = await arca(['kv', 'list', 'secret/empty/']);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, 'No value found at secret/metadata/empty/\n');

  assert.equal(await ok(['kv', 'delete', 'secret/app/db']), 'Success! Data deleted (if it existed) at: secret/data/app/db\n');
  const deleted = await ok(['kv', 'get', 'secret/app/db']);
  assert.match(deleted, /deletion_time +\d{4}-/);
  assert.doesNotMatch(deleted, /Data =/);

  assert.equal(await ok(['kv', 'undelete', '-versions=3', 'secret/app/db']), 'Success! Data written to: secret/undelete/app/db\n');
  assert.equal(await ok(['kv', 'get', '-field=extra', 'secret/app/db']), '1');

  assert.equal(await ok(['kv', 'delete', '-versions=2', 'secret/app/db']), 'Success! Data deleted (if it existed) at: secret/data/app/db\n');
  assert.equal(await ok(['kv', 'destroy', '-versions=1', 'secret/app/db']), 'Success! Data written to: secret/destroy/app/db\n');
  assert.equal(json(await ok(['kv', 'get', '-version=1', '-format=json', 'secret/app/db']))['data']['metadata']['destroyed'], true);

  const meta = await ok(['kv', 'metadata', 'get', 'secret/app/db']);
  assert.match(meta, /^==== Metadata Path ====\nsecret\/metadata\/app\/db\n\n=+ Metadata =+\nKey +Value\n--- +-----\ncas_required +false\n/);
  assert.match(meta, /current_version +3\n/);
  assert.match(meta, /\n\n=+ Version 1 =+\nKey +Value\n--- +-----\ncreated_time +\S+\ndeletion_time +n\/a\ndestroyed +true\n/);
  assert.match(meta, /\n\n=+ Version 2 =+\n[\s\S]*deletion_time +\d{4}-/);

  assert.equal(await ok(['kv', 'metadata', 'put', '-max-versions=7', '-custom-metadata=owner=ops', '-custom-metadata=tier=1', 'secret/app/db']), 'Success! Data written to: secret/metadata/app/db\n');
  const m = json(await ok(['kv', 'metadata', 'get', '-format=json', 'secret/app/db']))['data'];
  assert.equal(m['max_versions'], 7);
  assert.deepEqual(m['custom_metadata'], { owner: 'ops', tier: '1' });

  assert.equal(await ok(['kv', 'metadata', 'delete', '-mount=secret', 'app/db']), 'Success! Data deleted (if it existed) at: secret/metadata/app/db\n');
  const gone = await arca(['kv', 'get', 'secret/app/db']);
  assert.equal(gone.code, 2);
  assert.equal(gone.stderr, 'No value found at secret/data/app/db\n');
});

test('read, write, list, delete on a KV v1 mount; kv commands on v1', async () => {
  assert.equal(await ok(['secrets', 'enable', '-path=kv1', '-description=first version', 'kv']), 'Success! Enabled the kv secrets engine at: kv1/\n');
  const file = join(home, 'value.txt');
  writeFileSync(file, 'from a file');
  assert.equal(await ok(['write', 'kv1/x', 'a=b', `c=@${file}`]), 'Success! Data written to: kv1/x\n');
  assert.equal(await ok(['write', 'kv1/y', '-'], '{"n": 5, "list": ["p", "q"]}'), 'Success! Data written to: kv1/y\n');

  const read = await ok(['read', 'kv1/x']);
  assert.match(read, /^Key +Value\n--- +-----\n(refresh_interval +\S+\n)?a +b\nc +from a file\n$/);
  assert.equal(await ok(['read', '-field=c', 'kv1/x']), 'from a file');
  const y = json(await ok(['read', '-format=json', 'kv1/y']));
  assert.deepEqual(y['data'], { n: 5, list: ['p', 'q'] });
  assert.match(await ok(['read', 'kv1/y']), /list +\[p q\]\nn +5\n$/);
  assert.match(await ok(['read', '-format=yaml', 'kv1/y']), /^data:\n {2}list:\n {4}- p\n {4}- q\n {2}"n": 5\n/m);

  assert.equal(await ok(['list', 'kv1']), 'Keys\n----\nx\ny\n');
  assert.deepEqual(JSON.parse(await ok(['list', '-format=json', 'kv1/'])), ['x', 'y']);

  assert.equal(await ok(['delete', 'kv1/x']), 'Success! Data deleted (if it existed) at: kv1/x\n');
  const gone = await arca(['read', 'kv1/x']);
  assert.deepEqual([gone.code, gone.stderr], [2, 'No value found at kv1/x\n']);

  assert.equal(await ok(['kv', 'put', 'kv1/z', 'k=v']), 'Success! Data written to: kv1/z\n');
  assert.equal(await ok(['kv', 'get', 'kv1/z']), '=== Data ===\nKey    Value\n---    -----\nk      v\n');
  const meta = await arca(['kv', 'metadata', 'get', 'kv1/z']);
  assert.deepEqual([meta.code, meta.stderr], [1, 'Metadata not supported on KV Version 1\n']);
  const undel = await arca(['kv', 'undelete', '-versions=1', 'kv1/z']);
  assert.deepEqual([undel.code, undel.stderr], [1, 'Undelete not supported on KV Version 1\n']);
  assert.equal(await ok(['kv', 'delete', 'kv1/z']), 'Success! Data deleted (if it existed) at: kv1/z\n');
});

test('secrets enable, list, tune, move, disable', async () => {
  assert.equal(await ok(['secrets', 'enable', '-path=team', '-description=team store', '-version=2', 'kv']), 'Success! Enabled the kv secrets engine at: team/\n');
  const list = await ok(['secrets', 'list']);
  assert.match(list, /^Path +Type +Accessor +Description\n---- +---- +-------- +-----------\n/);
  assert.match(list, /\nteam\/ +kv +kv_\S+ +team store\n/);
  assert.match(list, /\nsecret\/ +kv +/);
  const mounts = json(await ok(['secrets', 'list', '-format=json']));
  assert.equal(mounts['team/']['options']['version'], '2');
  assert.equal(mounts['team/']['description'], 'team store');

  const again = await arca(['secrets', 'enable', '-path=team', 'kv']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^Error enabling kv: Error making API request\.\n\nURL: POST .*\/v1\/sys\/mounts\/team\/\nCode: 400\. Errors:\n\n\* /);

  assert.equal(await ok(['secrets', 'tune', '-default-lease-ttl=1h', '-max-lease-ttl=2h', '-description=tuned', 'team']), 'Success! Tuned the secrets engine at: team/\n');
  const tune = json(await ok(['read', '-format=json', 'sys/mounts/team/tune']))['data'];
  assert.equal(tune['default_lease_ttl'], 3600);
  assert.equal(tune['max_lease_ttl'], 7200);
  assert.equal(tune['description'], 'tuned');
  assert.match(await ok(['secrets', 'list', '-detailed']), /\nteam\/ +kv +kv_\S+ +1h +2h +false +replicated +false +map\[version:2\] +tuned +\S+\n/);

  await ok(['kv', 'put', 'team/a', 'x=1']);
  const move = await ok(['secrets', 'move', 'team', 'moved']);
  assert.match(move, /^(Started moving secrets engine team\/ to moved\/, with migration ID \S+\nSuccess! Finished moving secrets engine team\/ to moved\/, with migration ID \S+|Success! Moved secrets engine team\/ to: moved\/)\n$/);
  assert.equal(await ok(['kv', 'get', '-field=x', 'moved/a']), '1');
  const afterMove = json(await ok(['secrets', 'list', '-format=json']));
  assert.ok(afterMove['moved/'] !== undefined && afterMove['team/'] === undefined);

  assert.equal(await ok(['secrets', 'disable', 'moved/']), 'Success! Disabled the secrets engine (if it existed) at: moved/\n');
  assert.equal(json(await ok(['secrets', 'list', '-format=json']))['moved/'], undefined);
});

test('path-help prints the backend help text', async () => {
  const help = await ok(['path-help', 'secret/data/foo']);
  assert.ok(help.trim().length > 0);
  assert.equal(typeof json(await ok(['path-help', '-format=json', 'secret/data/foo']))['help'], 'string');
});

test('operator key-status and rotate', async () => {
  const before = json(await ok(['operator', 'key-status', '-format=json']));
  assert.match(await ok(['operator', 'key-status']), /^Key Term +\d+\nInstall Time +\d\d [A-Z][a-z]{2} \d\d \d\d:\d\d UTC\n/);
  const rotated = await ok(['operator', 'rotate']);
  assert.match(rotated, new RegExp(`^Success! Rotated key\\n\\nKey Term +${Number(before['term']) + 1}\\n`));
  // write -force sends an empty body where no data is expected.
  assert.equal(await ok(['write', '-force', 'sys/rotate']), 'Success! Data written to: sys/rotate\n');
  assert.equal(json(await ok(['operator', 'key-status', '-format=json']))['term'], Number(before['term']) + 2);
});

test('operator step-down names the address it talked to', async () => {
  assert.equal(await ok(['operator', 'step-down']), `Success! Stepped down: ${server!.addr}\n`);
  assert.equal((await arca(['status'])).code, 0);
});

test('exit codes and error text for failures', async () => {
  const notFound = await arca(['read', 'secret/data/nope']);
  assert.deepEqual([notFound.code, notFound.stdout, notFound.stderr], [2, '', 'No value found at secret/data/nope\n']);

  const noMount = await arca(['write', 'nope/x', 'a=b']);
  assert.equal(noMount.code, 2);
  assert.match(noMount.stderr, /^Error writing data to nope\/x: Error making API request\.\n\nURL: PUT http:\/\/127\.0\.0\.1:\d+\/v1\/nope\/x\nCode: 404\. Errors:\n\n\* .+\n$/);

  const usage = await arca(['kv', 'get']);
  assert.deepEqual([usage.code, usage.stderr], [1, 'Not enough arguments (expected 1, got 0)\n']);
  const field = await arca(['kv', 'get', '-field=nope', 'secret/files']);
  assert.deepEqual([field.code, field.stderr], [1, 'Field "nope" not present in secret\n']);
});
