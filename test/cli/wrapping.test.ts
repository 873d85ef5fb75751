/** -wrap-ttl (X-Vault-Wrap-TTL on requests, Vault's wrapping table) and `arca unwrap`. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClientSettings } from '../../src/cli/client-config.js';
import { ClientConfigError } from '../../src/cli/client-config.js';
import { ScriptedServer, runCapture, type CliRun } from './scripted-server.js';
import { removeDir, tempDir } from './cli-process.js';

let server: ScriptedServer;
const HOME = tempDir('arca-cli-wrap-');

const WRAP_INFO = {
  token: 's.wrap',
  accessor: 'wrap-acc',
  ttl: 300,
  creation_time: '2024-05-01T10:00:00.000Z',
  creation_path: 'secret/foo',
  wrapped_accessor: '',
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
    if (req.path.startsWith('sys/internal/ui/mounts/')) return { status: 200, body: { data: { path: 'secret/', type: 'kv', options: { version: '1' } } } };
    if (req.path === 'sys/wrapping/unwrap') {
      const wrapping = req.body?.token ?? req.headers['x-vault-token'];
      if (wrapping === 's.empty') return { status: 204 };
      if (wrapping === 's.list') return { status: 200, body: { data: { keys: ['a', 'b/'] } } };
      if (wrapping !== 's.wrap') return { status: 400, body: { errors: ['wrapping token is not valid or does not exist'] } };
      return { status: 200, body: { request_id: 'u', data: { foo: 'bar' } } };
    }
    if (req.path === 'secret/foo') {
      if (req.headers['x-vault-wrap-ttl'] !== undefined) return { status: 200, body: { request_id: '', wrap_info: WRAP_INFO } };
      return { status: 200, body: { data: { foo: 'bar' } } };
    }
    return undefined;
  };
});

function arca(argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCapture(argv, { HOME, VAULT_ADDR: server.addr, VAULT_TOKEN: 's.mine', ...env });
}

test('-wrap-ttl sends X-Vault-Wrap-TTL (seconds) and prints Vault\'s wrapping table', async () => {
  const r = await arca(['read', '-wrap-ttl=5m', 'secret/foo']);
  assert.equal(r.code, 0, r.err);
  assert.equal(server.last().headers['x-vault-wrap-ttl'], '300');
  assert.equal(
    r.out,
    [
      'Key                              Value',
      '---                              -----',
      'wrapping_token:                  s.wrap',
      'wrapping_accessor:               wrap-acc',
      'wrapping_token_ttl:              5m',
      'wrapping_token_creation_time:    2024-05-01T10:00:00.000Z',
      'wrapping_token_creation_path:    secret/foo',
      '',
    ].join('\n'),
  );
  assert.equal((await arca(['write', '-wrap-ttl=1m', '-field=wrapping_token', 'secret/foo', 'a=b'])).out, 's.wrap');
  assert.equal(server.last().headers['x-vault-wrap-ttl'], '60');
  // Without the flag nothing is wrapped.
  await arca(['read', 'secret/foo']);
  assert.equal(server.last().headers['x-vault-wrap-ttl'], undefined);
});

test('VAULT_WRAP_TTL / ARCA_WRAP_TTL apply; the flag beats them; a bad value is a config error', async () => {
  await arca(['read', 'secret/foo'], { VAULT_WRAP_TTL: '2m' });
  assert.equal(server.last().headers['x-vault-wrap-ttl'], '120');
  await arca(['read', '-wrap-ttl=30s', 'secret/foo'], { VAULT_WRAP_TTL: '2m', ARCA_WRAP_TTL: '3m' });
  assert.equal(server.last().headers['x-vault-wrap-ttl'], '30');
  assert.equal(resolveClientSettings({}, { ARCA_WRAP_TTL: '3m', VAULT_WRAP_TTL: '2m' }).wrapTTL, 180);
  assert.throws(() => resolveClientSettings({}, { VAULT_WRAP_TTL: 'soon' }), ClientConfigError);
  assert.equal((await arca(['read', '-wrap-ttl=soon', 'secret/foo'])).code, 1);
});

test('kv: the mount preflight is never wrapped, the real call is', async () => {
  const r = await arca(['kv', 'get', '-wrap-ttl=5m', 'secret/foo']);
  assert.equal(r.code, 0, r.err);
  assert.equal(server.last('sys/internal/ui/mounts/secret/foo').headers['x-vault-wrap-ttl'], undefined);
  assert.equal(server.last('secret/foo').headers['x-vault-wrap-ttl'], '300');
  assert.match(r.out, /wrapping_token: +s\.wrap\n/);
});

test('unwrap: a token argument goes in the body; none means the client\'s own token', async () => {
  const r = await arca(['unwrap', 's.wrap']);
  assert.deepEqual(r, { code: 0, out: 'Key    Value\n---    -----\nfoo    bar\n', err: '' });
  assert.deepEqual([server.last().method, server.last().path, server.last().body], ['PUT', 'sys/wrapping/unwrap', { token: 's.wrap' }]);
  assert.equal(server.last().headers['x-vault-token'], 's.mine');

  await arca(['unwrap'], { VAULT_TOKEN: 's.wrap' });
  assert.deepEqual([server.last().headers['x-vault-token'], server.last().body], ['s.wrap', {}]);

  // With no token configured at all, the wrapping token authenticates the call itself.
  const bare = await runCapture(['unwrap', '-field=foo', 's.wrap'], { HOME, VAULT_ADDR: server.addr });
  assert.deepEqual([bare.code, bare.out], [0, 'bar']);
  assert.deepEqual([server.last().headers['x-vault-token'], server.last().body], ['s.wrap', {}]);
});

test('unwrap: json, lists, empty answers, errors and argument checks', async () => {
  assert.deepEqual(JSON.parse((await arca(['unwrap', '-format=json', 's.wrap'])).out).data, { foo: 'bar' });
  assert.equal((await arca(['unwrap', 's.list'])).out, 'Keys\n----\na\nb/\n');
  assert.deepEqual(await arca(['unwrap', 's.empty']), { code: 0, out: 'Successfully unwrapped. There was no data in the wrapped secret.\n', err: '' });
  const bad = await arca(['unwrap', 's.used']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^Error unwrapping: Error making API request\.\n\nURL: PUT .*\/v1\/sys\/wrapping\/unwrap\nCode: 400\. Errors:\n\n\* wrapping token is not valid or does not exist\n$/);
  assert.deepEqual(await arca(['unwrap', 'a', 'b']), { code: 1, out: '', err: 'Too many arguments (expected 0-1, got 2)\n' });
});
