/** The dispatcher in-process: everything that needs no server. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runWith } from '../../src/cli/main.js';
import { encodeRootToken } from '../../src/cli/root-token.js';
import { CaptureUi } from './capture-ui.js';
import { ROOT, removeDir, tempDir } from './cli-process.js';

const HOME = tempDir('arca-cli-main-');
const DEAD = 'http://127.0.0.1:1';

after(() => removeDir(HOME));

async function cli(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number; out: string; err: string }> {
  const ui = new CaptureUi(opts.stdin ?? '');
  const code = await runWith(argv, { ui, env: { HOME, ...opts.env } });
  return { code, out: ui.stdout, err: ui.stderr };
}

test('version, -v, -version and --version print "Arca v<package.json version>"', async () => {
  const version = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;
  for (const argv of [['version'], ['-v'], ['-version'], ['--version']]) {
    assert.deepEqual(await cli(argv), { code: 0, out: `Arca v${version}\n`, err: '' }, argv.join(' '));
  }
});

test('no command: usage on stderr, exit 127; -h: usage on stdout, exit 0', async () => {
  const none = await cli([]);
  assert.equal(none.code, 127);
  assert.match(none.err, /^Usage: arca <command> \[args\]/);
  assert.match(none.err, /Common commands:\n {4}read/);
  const help = await cli(['-h']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Other commands:[\s\S]*operator/);
  assert.equal((await cli(['bogus'])).code, 127);
});

test('a group without a subcommand prints its help and exits 1 (0 with -h)', async () => {
  const r = await cli(['operator']);
  assert.equal(r.code, 1);
  assert.match(r.err, /Usage: arca operator <subcommand>/);
  assert.match(r.err, /generate-root +Generates a new root token/);
  assert.equal((await cli(['kv', 'metadata', '-h'])).code, 0);
  assert.match((await cli(['kv'])).err, /metadata +Interact with the KV metadata/);
});

test('command help with -h/-help anywhere before "--" exits 0 and lists flags', async () => {
  const r = await cli(['kv', 'put', 'secret/foo', '-help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage: arca kv put \[options\] KEY \[DATA\]/);
  assert.match(r.out, /HTTP Options:\n\n {2}-address=<string>/);
  assert.match(r.out, /Command Options:\n\n {2}-mount=<string>/);
  assert.match(r.out, /\n {2}-cas=<int>\n/);
});

test('usage errors exit 1 with Vault\'s messages', async () => {
  assert.deepEqual(await cli(['read']), { code: 1, out: '', err: 'Not enough arguments (expected 1, got 0)\n' });
  assert.deepEqual(await cli(['status', 'extra']), { code: 1, out: '', err: 'Too many arguments (expected 0, got 1)\n' });
  assert.deepEqual(await cli(['operator', 'unseal', 'a', 'b']), { code: 1, out: '', err: 'Too many arguments (expected 0-1, got 2)\n' });
  assert.deepEqual(await cli(['read', '-nope', 'x']), { code: 1, out: '', err: 'flag provided but not defined: -nope\n' });
  assert.deepEqual(await cli(['write', '-address', DEAD, 'secret/foo']), { code: 1, out: '', err: 'Must supply data or use -force\n' });
  assert.deepEqual(await cli(['kv', 'put', '-address', DEAD, 'secret/foo']), { code: 1, out: '', err: 'Must supply data\n' });
  assert.equal((await cli(['read', '-format=xml', 'secret/foo'])).err, 'Invalid output format: xml\n');
  assert.equal((await cli(['read', 'secret/foo'], { env: { VAULT_FORMAT: 'xml' } })).code, 1);
  assert.match((await cli(['kv', 'undelete', 'secret/foo'])).err, /No versions provided, use the "-versions" flag/);
  assert.match((await cli(['kv', 'patch', '-method=post', 'secret/foo', 'a=b'])).err, /Unsupported method provided to -method flag: post/);
  assert.match((await cli(['write', 'secret/foo', 'novalue'])).err, /^Failed to parse K=V data: format must be key=value/);
  assert.match((await cli(['operator', 'generate-root', '-init', '-cancel'])).err, /Only one of/);
});

test('an unreachable server is a remote error (2); status reports errors as 1', async () => {
  const env = { VAULT_ADDR: DEAD, VAULT_TOKEN: 't' };
  const read = await cli(['read', 'secret/foo'], { env });
  assert.equal(read.code, 2);
  assert.equal(read.err, `Error reading secret/foo: Get "${DEAD}/v1/secret/foo": dial tcp 127.0.0.1:1: connect: connection refused\n`);
  const status = await cli(['status'], { env });
  assert.equal(status.code, 1);
  assert.match(status.err, /^Error checking seal status: Get /);
  assert.equal((await cli(['operator', 'init', '-status'], { env })).code, 1);
  // -address beats the environment.
  const flagged = await cli(['read', '-address=http://127.0.0.1:2', 'secret/foo'], { env });
  assert.match(flagged.err, /127\.0\.0\.1:2/);
  assert.equal((await cli(['read', 'x'], { env: { VAULT_ADDR: 'ftp://x' } })).err, 'Error initializing client: unsupported protocol scheme "ftp" in address\n');
});

test('generate-root -decode works offline, from the flag or stdin', async () => {
  const token = 's.AbCdEfGhIjKlMnOpQrStUvWx';
  const otp = 'Z'.repeat(token.length);
  const encoded = encodeRootToken(token, otp);
  assert.deepEqual(await cli(['operator', 'generate-root', `-decode=${encoded}`, `-otp=${otp}`]), { code: 0, out: `${token}\n`, err: '' });
  assert.deepEqual(await cli(['operator', 'generate-root', '-decode=-', '-otp', otp], { stdin: `${encoded}\n` }), { code: 0, out: `${token}\n`, err: '' });
  const noOtp = await cli(['operator', 'generate-root', `-decode=${encoded}`]);
  assert.equal(noOtp.code, 1);
  assert.match(noOtp.err, /Missing -otp/);
  const bad = await cli(['operator', 'generate-root', '-decode=@@@', `-otp=${otp}`]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /Error decoding root token: encoded token is not valid base64/);
});
