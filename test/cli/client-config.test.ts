import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientConfigError, DEFAULT_ADDRESS, envSetting, normalizeAddress, readTokenHelper, resolveClientSettings } from '../../src/cli/client-config.js';

const emptyHome = mkdtempSync(join(tmpdir(), 'arca-cli-home-'));
const made: string[] = [emptyHome];

after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

test('defaults: Vault\'s https://127.0.0.1:8200, no token, verification on, 60 s timeout', () => {
  const s = resolveClientSettings({}, { HOME: emptyHome });
  assert.equal(s.address, DEFAULT_ADDRESS);
  assert.equal(s.token, '');
  assert.equal(s.tlsSkipVerify, false);
  assert.equal(s.caCert, undefined);
  assert.equal(s.timeoutMs, 60_000);
});

test('ARCA_ variables take precedence over VAULT_ ones; flags over both; empty counts as unset', () => {
  const env = {
    HOME: emptyHome,
    VAULT_ADDR: 'http://vault:8200',
    ARCA_ADDR: 'http://arca:8200/',
    VAULT_TOKEN: 'vault-token',
    ARCA_TOKEN: '',
    VAULT_CACERT: '/v.pem',
    ARCA_CACERT: '/a.pem',
    VAULT_SKIP_VERIFY: 'true',
    ARCA_CLIENT_TIMEOUT: '5s',
  };
  const s = resolveClientSettings({}, env);
  assert.equal(s.address, 'http://arca:8200');
  assert.equal(s.token, 'vault-token');
  assert.equal(s.caCert, '/a.pem');
  assert.equal(s.tlsSkipVerify, true);
  assert.equal(s.timeoutMs, 5000);
  const f = resolveClientSettings({ address: 'https://flag:1', caCert: '/f.pem', tlsSkipVerify: false, tlsServerName: 'sni' }, env);
  assert.equal(f.address, 'https://flag:1');
  assert.equal(f.caCert, '/f.pem');
  assert.equal(f.tlsSkipVerify, false);
  assert.equal(f.tlsServerName, 'sni');
  assert.equal(envSetting({ ARCA_FORMAT: '', VAULT_FORMAT: 'json' }, 'FORMAT'), 'json');
});

test('the token helper file ~/.vault-token is used when no token variable is set', () => {
  const home = mkdtempSync(join(tmpdir(), 'arca-cli-home-'));
  made.push(home);
  writeFileSync(join(home, '.vault-token'), '  s.helpertoken\n');
  assert.equal(readTokenHelper({ HOME: home }), 's.helpertoken');
  assert.equal(resolveClientSettings({}, { HOME: home }).token, 's.helpertoken');
  assert.equal(resolveClientSettings({}, { HOME: home, VAULT_TOKEN: 'env' }).token, 'env');
  assert.equal(readTokenHelper({ HOME: emptyHome }), '');
});

test('configuration errors are typed', () => {
  assert.throws(() => resolveClientSettings({}, { HOME: emptyHome, VAULT_SKIP_VERIFY: 'perhaps' }), ClientConfigError);
  assert.throws(() => resolveClientSettings({}, { HOME: emptyHome, VAULT_CLIENT_TIMEOUT: 'soon' }), ClientConfigError);
  assert.throws(() => normalizeAddress('ftp://x'), /unsupported protocol scheme "ftp"/);
  assert.throws(() => normalizeAddress('::not a url'), ClientConfigError);
  assert.equal(normalizeAddress(' http://127.0.0.1:8200/// '), 'http://127.0.0.1:8200');
  assert.equal(normalizeAddress('https://h/prefix/'), 'https://h/prefix');
});
