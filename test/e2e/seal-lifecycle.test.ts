/**
 * The seal lifecycle over real HTTP against a real SQLite-backed server process: init,
 * sealed answers, unseal (wrong keys rejected), data intact across a restart, nothing
 * readable in the database file, root token generation, rotation.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { api, startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const cfg = writeServerConfig({ storage: 'sqlite' });
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  cfg.cleanup();
});

function fileContains(path: string, needle: string): boolean {
  let found = false;
  for (const f of [path, `${path}-wal`]) {
    if (existsSync(f) && readFileSync(f).includes(Buffer.from(needle))) found = true;
  }
  return found;
}

test('init, unseal, persist across restart, and keep plaintext out of the database', async () => {
  server = await startServerProcess([`-config=${cfg.configPath}`]);
  let url = server.url;

  let r = await api(url, 'GET', 'sys/init');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { initialized: false });

  r = await api(url, 'GET', 'sys/seal-status');
  assert.equal(r.body.initialized, false);
  assert.equal(r.body.sealed, true);

  r = await api(url, 'GET', 'sys/health');
  assert.equal(r.status, 501);

  r = await api(url, 'GET', 'secret/foo', { token: 'x' });
  assert.equal(r.status, 503);
  assert.deepEqual(r.body, { errors: ['Vault is sealed'] });

  r = await api(url, 'PUT', 'sys/init', { body: { secret_shares: 5, secret_threshold: 6 } });
  assert.equal(r.status, 400);

  r = await api(url, 'PUT', 'sys/init', { body: { secret_shares: 5, secret_threshold: 3 } });
  assert.equal(r.status, 200);
  const keys: string[] = r.body.keys;
  const keysB64: string[] = r.body.keys_base64;
  const root: string = r.body.root_token;
  assert.equal(keys.length, 5);
  assert.equal(keysB64.length, 5);
  assert.match(root, /^s\.[A-Za-z0-9]{24}$/);

  r = await api(url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  assert.equal(r.status, 400);

  r = await api(url, 'GET', 'sys/seal-status');
  assert.equal(r.body.sealed, true);
  assert.equal(r.body.t, 3);
  assert.equal(r.body.n, 5);
  assert.equal(r.status, 200);

  r = await api(url, 'GET', 'sys/mounts', { token: root });
  assert.equal(r.status, 503);

  r = await api(url, 'PUT', 'sys/unseal', { body: { key: 'not-a-key!' } });
  assert.equal(r.status, 400);

  r = await api(url, 'PUT', 'sys/unseal', { body: { key: keys[0] } });
  assert.equal(r.body.progress, 1);
  assert.equal(r.body.sealed, true);
  r = await api(url, 'PUT', 'sys/unseal', { body: { reset: true } });
  assert.equal(r.body.progress, 0);

  // hex and base64 shares mix freely
  await api(url, 'PUT', 'sys/unseal', { body: { key: keys[4] } });
  await api(url, 'PUT', 'sys/unseal', { body: { key: keysB64[2] } });
  r = await api(url, 'PUT', 'sys/unseal', { body: { key: keys[0] } });
  assert.equal(r.status, 200);
  assert.equal(r.body.sealed, false);
  assert.equal(typeof r.body.cluster_id, 'string');

  r = await api(url, 'GET', 'sys/health');
  assert.equal(r.status, 200);
  assert.equal(r.body.initialized, true);
  assert.equal(r.body.sealed, false);

  r = await api(url, 'POST', 'sys/mounts/kv2', { token: root, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(r.status, 204);
  const secretValue = 'plaintext-canary-7f3a9c';
  r = await api(url, 'POST', 'kv2/data/app/db', { token: root, body: { data: { password: secretValue } } });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.version, 1);

  r = await api(url, 'GET', 'kv2/data/app/db', { token: 'bogus-token' });
  assert.equal(r.status, 403);
  r = await api(url, 'GET', 'kv2/data/app/db');
  assert.equal(r.status, 403);

  // Seal needs a token; after sealing nothing is readable.
  r = await api(url, 'PUT', 'sys/seal');
  assert.equal(r.status, 403);
  r = await api(url, 'PUT', 'sys/seal', { token: root });
  assert.equal(r.status, 204);
  r = await api(url, 'GET', 'kv2/data/app/db', { token: root });
  assert.equal(r.status, 503);

  // Restart the process.
  await server.stop();
  assert.equal(fileContains(cfg.dbPath, secretValue), false, 'plaintext secret found in the SQLite files');
  assert.equal(fileContains(cfg.dbPath, root), false, 'root token found in the SQLite files');

  server = await startServerProcess([`-config=${cfg.configPath}`]);
  url = server.url;
  r = await api(url, 'GET', 'sys/seal-status');
  assert.equal(r.body.initialized, true);
  assert.equal(r.body.sealed, true);

  // Three shares from a different position, but one wrong share: threshold reached, unseal fails, progress resets.
  const wrong = Buffer.from(keys[1]!, 'hex');
  wrong[0]! ^= 0xff;
  await api(url, 'PUT', 'sys/unseal', { body: { key: keys[1] } });
  await api(url, 'PUT', 'sys/unseal', { body: { key: keys[3] } });
  r = await api(url, 'PUT', 'sys/unseal', { body: { key: wrong.toString('hex') } });
  assert.equal(r.status, 400);
  r = await api(url, 'GET', 'sys/seal-status');
  assert.equal(r.body.sealed, true);
  assert.equal(r.body.progress, 0);

  for (const k of [keys[1], keys[3], keys[2]]) r = await api(url, 'PUT', 'sys/unseal', { body: { key: k } });
  assert.equal(r.body.sealed, false);

  r = await api(url, 'GET', 'kv2/data/app/db', { token: root });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.data.password, secretValue);

  // Rotation: a new term, old data still readable.
  r = await api(url, 'GET', 'sys/key-status', { token: root });
  assert.equal(r.body.data.term, 1);
  r = await api(url, 'PUT', 'sys/rotate', { token: root });
  assert.equal(r.status, 204);
  r = await api(url, 'GET', 'sys/key-status', { token: root });
  assert.equal(r.body.data.term, 2);
  r = await api(url, 'GET', 'kv2/data/app/db', { token: root });
  assert.equal(r.body.data.data.password, secretValue);

  // Generate a new root token with an OTP.
  r = await api(url, 'PUT', 'sys/generate-root/attempt', { body: {} });
  assert.equal(r.status, 200);
  const otp: string = r.body.otp;
  const nonce: string = r.body.nonce;
  assert.equal(otp.length, 26);
  assert.equal(r.body.required, 3);
  for (const k of [keys[0], keys[1], keys[2]]) {
    r = await api(url, 'PUT', 'sys/generate-root/update', { body: { key: k, nonce } });
  }
  assert.equal(r.body.complete, true);
  const encoded: string = r.body.encoded_token;
  const xored = Buffer.from(encoded, 'base64');
  const newRoot = Buffer.from(xored.map((b, i) => b ^ otp.charCodeAt(i))).toString('utf8');
  assert.match(newRoot, /^s\.[A-Za-z0-9]{24}$/);
  assert.notEqual(newRoot, root);
  r = await api(url, 'GET', 'sys/mounts', { token: newRoot });
  assert.equal(r.status, 200);
  assert.ok(r.body.data['kv2/']);
});
