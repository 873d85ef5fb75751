/**
 * The secret scan: a real server (SQLite, trace-level JSON logs, a file audit device and a
 * stdout audit device) receives known secrets through many endpoints (KV v1 and v2 writes and
 * patches, cubbyhole, userpass passwords and logins, failed logins, tokens with custom ids,
 * AppRole secret IDs, response wrapping, transit plaintexts, unseal keys, rekeyed shares and the
 * root token).
 * Afterwards no secret string may appear anywhere in the server's stdout/stderr or in the
 * audit file, while the audit file provably holds entries for those requests (by hash).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { api, startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const cfg = writeServerConfig({ storage: 'sqlite', extra: 'log_level = "trace"\nlog_format = "json"\n' });
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  cfg.cleanup();
});

/** Distinctive secret values, each recorded for the scan. */
const secrets = new Map<string, string>();
function secret(label: string): string {
  const v = `${label}-${randomBytes(9).toString('hex')}`;
  secrets.set(label, v);
  return v;
}
function remember(label: string, value: unknown): string {
  assert.equal(typeof value, 'string', `${label} is a string`);
  secrets.set(label, value as string);
  return value as string;
}

test('no secret written through the API appears in logs or audit files', async () => {
  server = await startServerProcess([`-config=${cfg.configPath}`]);
  const url = server.url;
  const ok = async (method: string, path: string, opts: Parameters<typeof api>[3] = {}): Promise<any> => {
    const r = await api(url, method, path, opts);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  const init = await ok('PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
  const root = remember('root token', init.root_token);
  (init.keys as string[]).forEach((k, i) => remember(`unseal key ${i}`, k));
  (init.keys_base64 as string[]).forEach((k, i) => remember(`unseal key b64 ${i}`, k));
  await ok('PUT', 'sys/unseal', { body: { key: init.keys[0] } });
  await ok('PUT', 'sys/unseal', { body: { key: init.keys_base64[1] } });

  const auditFile = join(cfg.dir, 'audit.log');
  await ok('PUT', 'sys/audit/file', { token: root, body: { type: 'file', options: { file_path: auditFile } } });
  await ok('PUT', 'sys/audit/out', { token: root, body: { type: 'file', options: { file_path: 'stdout' } } });

  // KV v2 and v1.
  await ok('POST', 'sys/mounts/secret', { token: root, body: { type: 'kv', options: { version: '2' } } });
  await ok('POST', 'sys/mounts/kv1', { token: root, body: { type: 'kv' } });
  await ok('PUT', 'secret/data/app', { token: root, body: { data: { password: secret('kv2 password'), nested: { key: secret('kv2 nested') } } } });
  await ok('PATCH', 'secret/data/app', { token: root, body: { data: { api_key: secret('kv2 patch') } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  await ok('GET', 'secret/data/app', { token: root });
  await ok('PUT', 'kv1/db', { token: root, body: { conn: secret('kv1 value'), list: [secret('kv1 list item')] } });
  await ok('GET', 'kv1/db', { token: root });
  await ok('PUT', 'cubbyhole/mine', { token: root, body: { note: secret('cubbyhole value') } });
  await ok('GET', 'cubbyhole/mine', { token: root });

  // Userpass: a password, a login, a failed login.
  await ok('POST', 'sys/auth/userpass', { token: root, body: { type: 'userpass' } });
  await ok('PUT', 'auth/userpass/users/dave', { token: root, body: { password: secret('userpass password'), token_policies: 'default' } });
  await ok('PUT', 'auth/userpass/users/dave/password', { token: root, body: { password: secret('userpass new password') } });
  const login = await ok('PUT', 'auth/userpass/login/dave', { body: { password: secrets.get('userpass new password') } });
  const daveToken = remember('userpass token', login.auth.client_token);
  const failed = await api(url, 'PUT', 'auth/userpass/login/dave', { body: { password: secret('wrong password') } });
  assert.ok(failed.status >= 400);
  await ok('GET', 'auth/token/lookup-self', { token: daveToken });

  // Tokens: created, custom id, looked up and revoked by value in bodies.
  const created = await ok('POST', 'auth/token/create', { token: root, body: { policies: ['default'] } });
  const t2 = remember('created token', created.auth.client_token);
  await ok('POST', 'auth/token/create', { token: root, body: { id: secret('custom token id'), policies: ['default'] } });
  await ok('POST', 'auth/token/lookup', { token: root, body: { token: t2 } });
  await ok('POST', 'auth/token/renew', { token: root, body: { token: t2 } });
  await ok('POST', 'auth/token/revoke', { token: root, body: { token: secrets.get('custom token id') } });
  const bad = await api(url, 'GET', 'secret/data/app', { token: secret('unknown token') });
  assert.equal(bad.status, 403);

  // AppRole: a secret ID and a login with it.
  await ok('POST', 'sys/auth/approle', { token: root, body: { type: 'approle' } });
  await ok('POST', 'auth/approle/role/app', { token: root, body: { token_policies: 'default' } });
  const roleId = (await ok('GET', 'auth/approle/role/app/role-id', { token: root })).data.role_id as string;
  const sid = await ok('POST', 'auth/approle/role/app/secret-id', { token: root, body: {} });
  remember('approle secret id', sid.data.secret_id);
  await ok('POST', 'auth/approle/role/app/custom-secret-id', { token: root, body: { secret_id: secret('approle custom secret id') } });
  const appLogin = await ok('POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secrets.get('approle secret id') } });
  remember('approle token', appLogin.auth.client_token);

  // Response wrapping: a wrapped read, sys/wrapping/wrap, lookup and unwrap.
  const wrapped = await ok('GET', 'secret/data/app', { token: root, headers: { 'X-Vault-Wrap-TTL': '300' } });
  const w1 = remember('wrapping token', wrapped.wrap_info.token);
  await ok('POST', 'sys/wrapping/lookup', { token: root, body: { token: w1 } });
  await ok('POST', 'sys/wrapping/unwrap', { token: w1 });
  const w2 = await ok('POST', 'sys/wrapping/wrap', { token: root, body: { payload: secret('wrapped payload') }, headers: { 'X-Vault-Wrap-TTL': '300' } });
  await ok('POST', 'sys/wrapping/unwrap', { token: root, body: { token: remember('wrapping token 2', w2.wrap_info.token) } });

  // Transit: plaintext goes in base64.
  await ok('POST', 'sys/mounts/transit', { token: root, body: { type: 'transit' } });
  await ok('POST', 'transit/keys/k1', { token: root, body: {} });
  const plain = secret('transit plaintext');
  remember('transit plaintext b64', Buffer.from(plain).toString('base64'));
  const enc = await ok('POST', 'transit/encrypt/k1', { token: root, body: { plaintext: Buffer.from(plain).toString('base64') } });
  await ok('POST', 'transit/decrypt/k1', { token: root, body: { ciphertext: enc.data.ciphertext } });

  // Generate-root with a caller-chosen OTP (the OTP is a secret too).
  await ok('PUT', 'sys/generate-root/attempt', { body: {} });
  await ok('DELETE', 'sys/generate-root/attempt');

  // Rekey: the old shares go in, the new shares come out (both are secrets).
  const rekey = await ok('PUT', 'sys/rekey/init', { body: { secret_shares: 2, secret_threshold: 2 } });
  await ok('PUT', 'sys/rekey/update', { body: { key: init.keys[2], nonce: rekey.nonce } });
  const rekeyed = await ok('PUT', 'sys/rekey/update', { body: { key: init.keys_base64[0], nonce: rekey.nonce } });
  assert.equal(rekeyed.complete, true);
  (rekeyed.keys as string[]).forEach((k, i) => remember(`rekeyed key ${i}`, k));
  (rekeyed.keys_base64 as string[]).forEach((k, i) => remember(`rekeyed key b64 ${i}`, k));

  const audit = readFileSync(auditFile, 'utf8');
  const logs = server.output();
  assert.ok(audit.split('\n').length > 50, 'the audit file holds the session');
  const leaks: string[] = [];
  for (const [label, value] of secrets) {
    if (audit.includes(value)) leaks.push(`${label} in the audit file`);
    if (logs.includes(value)) leaks.push(`${label} in the server output`);
  }
  assert.deepEqual(leaks, []);

  // The entries are there, under the device's hashes.
  for (const label of ['kv2 password', 'userpass new password', 'created token', 'approle secret id', 'wrapping token']) {
    const h = await ok('PUT', 'sys/audit-hash/file', { token: root, body: { input: secrets.get(label) } });
    assert.ok(audit.includes(h.data.hash as string), `${label} is in the audit file as its hash`);
  }
  // The stdout device and the JSON logs are both in the output.
  assert.ok(logs.includes('"type":"response"'), 'stdout audit entries');
  assert.ok(logs.split('\n').some((l) => l.startsWith('{"@level":"')), 'JSON log lines');
});
