/** `arca policy ...` and `arca policies` in-process against a scripted server. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScriptedServer, runCapture, type CliRun } from './scripted-server.js';
import { removeDir, tempDir } from './cli-process.js';

let server: ScriptedServer;
const HOME = tempDir('arca-cli-policy-');
const RULES = 'path "secret/*" {\n  capabilities = ["read"]\n}\n';

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
    if (req.path === 'sys/policies/acl' && req.query.get('list') === 'true') return { status: 200, body: { data: { keys: ['default', 'dev', 'root'] } } };
    if (req.path === 'sys/policies/acl/dev' && req.method === 'GET') return { status: 200, body: { name: 'dev', policy: RULES, data: { name: 'dev', policy: RULES } } };
    if (req.path.startsWith('sys/policies/acl/') && (req.method === 'PUT' || req.method === 'DELETE')) return { status: 204 };
    if (req.path.startsWith('sys/policies/acl/')) return { status: 404, body: { errors: [] } };
    return undefined;
  };
});

function arca(argv: string[], stdin?: string): Promise<CliRun> {
  return runCapture(argv, { HOME, VAULT_ADDR: server.addr, VAULT_TOKEN: 's.root' }, { stdin: stdin ?? '' });
}

test('policy write: from a file or stdin, name lower-cased, body {"policy": rules}', async () => {
  const file = join(HOME, 'dev.hcl');
  writeFileSync(file, RULES);
  assert.deepEqual(await arca(['policy', 'write', ' Dev ', file]), { code: 0, out: 'Success! Uploaded policy: dev\n', err: '' });
  assert.deepEqual([server.last().method, server.last().path, server.last().body], ['PUT', 'sys/policies/acl/dev', { policy: RULES }]);
  assert.equal((await arca(['policy', 'write', 'ops', '-'], 'path "x" {}')).code, 0);
  assert.deepEqual(server.last().body, { policy: 'path "x" {}' });

  const missing = await arca(['policy', 'write', 'dev', join(HOME, 'nope.hcl')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^Error opening policy file: /);
  assert.deepEqual(await arca(['policy', 'write', 'dev']), { code: 1, out: '', err: 'Not enough arguments (expected 2, got 1)\n' });
});

test('policy write: a server refusal exits 2 with "Error uploading policy"', async () => {
  server.route = () => ({ status: 400, body: { errors: ['failed to parse policy: invalid capability "x" on line 2'] } });
  const r = await arca(['policy', 'write', 'dev', '-'], 'path "a" {\n capabilities = ["x"]\n}');
  assert.equal(r.code, 2);
  assert.match(r.err, /^Error uploading policy: Error making API request\.[\s\S]*\* failed to parse policy: invalid capability "x" on line 2\n$/);
});

test('policy read: the rules trimmed, json {"policy": ...}, and "No policy named" for 404', async () => {
  assert.deepEqual(await arca(['policy', 'read', 'DEV']), { code: 0, out: `${RULES.trim()}\n`, err: '' });
  assert.deepEqual(JSON.parse((await arca(['policy', 'read', '-format=json', 'dev'])).out), { policy: RULES });
  assert.deepEqual(await arca(['policy', 'read', 'ghost']), { code: 2, out: '', err: 'No policy named: ghost\n' });
  assert.deepEqual(await arca(['policies', 'dev']), { code: 0, out: `${RULES.trim()}\n`, err: '' });
});

test('policy list and the "policies" alias: one name per line, or a json array', async () => {
  const expected = { code: 0, out: 'default\ndev\nroot\n', err: '' };
  assert.deepEqual(await arca(['policy', 'list']), expected);
  assert.deepEqual(await arca(['policies']), expected);
  assert.equal(server.last().method, 'GET');
  assert.deepEqual(JSON.parse((await arca(['policy', 'list', '-format=json'])).out), ['default', 'dev', 'root']);
  assert.deepEqual(await arca(['policy', 'list', 'x']), { code: 1, out: '', err: 'Too many arguments (expected 0, got 1)\n' });
});

test('policy delete', async () => {
  assert.deepEqual(await arca(['policy', 'delete', 'dev']), { code: 0, out: 'Success! Deleted policy: dev\n', err: '' });
  assert.deepEqual([server.last().method, server.last().path], ['DELETE', 'sys/policies/acl/dev']);
  server.route = () => ({ status: 400, body: { errors: ['cannot delete "root" policy'] } });
  const r = await arca(['policy', 'delete', 'root']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^Error deleting root: Error making API request\./);
});

test('policy fmt: rewrites the file in place; invalid input exits 2 and leaves it alone', async () => {
  const file = join(HOME, 'messy.hcl');
  writeFileSync(file, 'path "a" {capabilities=["read","list"]}');
  assert.deepEqual(await arca(['policy', 'fmt', file]), { code: 0, out: `Success! Formatted policy: ${file}\n`, err: '' });
  assert.equal(readFileSync(file, 'utf8'), 'path "a" {\n  capabilities = ["read", "list"]\n}\n');

  const bad = join(HOME, 'bad.hcl');
  writeFileSync(bad, 'path "a" {\n  capabilities = ["fly"]\n}');
  const r = await arca(['policy', 'fmt', bad]);
  assert.deepEqual(r, { code: 2, out: '', err: 'failed to parse policy: path "a": invalid capability "fly" on line 2\n' });
  assert.equal(readFileSync(bad, 'utf8'), 'path "a" {\n  capabilities = ["fly"]\n}');

  writeFileSync(join(HOME, 'home.hcl'), 'path "h" {}');
  assert.equal((await arca(['policy', 'fmt', '~/home.hcl'])).code, 0);
  assert.equal(readFileSync(join(HOME, 'home.hcl'), 'utf8'), 'path "h" {}\n');
  assert.match((await arca(['policy', 'fmt', join(HOME, 'absent.hcl')])).err, /^Error opening policy file: /);
  assert.equal(server.requests.length, 0, 'fmt is local');
});
