/**
 * Transit over real HTTP against a dev server process: mount, the envelope and status codes
 * Vault clients rely on (including a 400 batch answer that still carries batch_results), and
 * keys surviving a remount-free restart of the backend through storage.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, type ServerProcess } from '../../helpers/server-process.js';

const ROOT = 'transit-root-token';
let server: ServerProcess;

before(async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
});
after(async () => {
  await server?.stop();
});

const call = (method: string, path: string, body?: unknown) => api(server.url, method, path, { token: ROOT, ...(body !== undefined ? { body } : {}) });
const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('transit over HTTP: keys, encrypt/decrypt, batch status, sign/verify, errors', async () => {
  let r = await call('POST', 'sys/mounts/transit', { type: 'transit' });
  assert.equal(r.status, 204);

  r = await call('POST', 'transit/keys/orders');
  assert.equal(r.status, 200);
  assert.equal(r.body.data.type, 'aes256-gcm96');
  assert.equal(r.body.data.latest_version, 1);

  r = await call('POST', 'transit/encrypt/orders', { plaintext: b64('card 4111') });
  assert.equal(r.status, 200);
  const ciphertext = r.body.data.ciphertext as string;
  assert.match(ciphertext, /^vault:v1:/);
  assert.equal(r.body.data.key_version, 1);

  r = await call('POST', 'transit/decrypt/orders', { ciphertext });
  assert.equal(r.status, 200);
  assert.equal(Buffer.from(r.body.data.plaintext, 'base64').toString(), 'card 4111');

  // Upsert on first encrypt (the root token may create).
  r = await call('POST', 'transit/encrypt/fresh', { plaintext: b64('x') });
  assert.equal(r.status, 200);
  r = await call('GET', 'transit/keys/fresh');
  assert.equal(r.status, 200);

  // A batch with a bad item: 400, and the envelope still holds every result.
  r = await call('POST', 'transit/encrypt/orders', { batch_input: [{ plaintext: b64('ok') }, { plaintext: '@@' }] });
  assert.equal(r.status, 400);
  assert.equal(r.body.data.batch_results.length, 2);
  assert.match(r.body.data.batch_results[0].ciphertext, /^vault:v1:/);
  assert.equal(r.body.data.batch_results[1].error, 'illegal base64 data at input byte 0');

  r = await call('POST', 'transit/keys/signer', { type: 'ecdsa-p256' });
  assert.equal(r.status, 200);
  r = await call('POST', 'transit/sign/signer/sha2-256', { input: b64('doc') });
  assert.equal(r.status, 200);
  r = await call('POST', 'transit/verify/signer/sha2-256', { input: b64('doc'), signature: r.body.data.signature });
  assert.deepEqual(r.body.data, { valid: true });

  r = await call('LIST', 'transit/keys');
  assert.deepEqual(r.body.data.keys, ['fresh', 'orders', 'signer']);

  r = await call('POST', 'transit/decrypt/orders', { ciphertext: 'vault:v1:AAAA' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['invalid ciphertext length'] });
  r = await call('POST', 'transit/decrypt/nokey', { ciphertext });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['encryption key not found'] });
  r = await call('DELETE', 'transit/keys/orders');
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['error deleting policy orders: deletion is not allowed for this key'] });
  r = await call('GET', 'transit/keys/none');
  assert.equal(r.status, 404);

  r = await call('POST', 'transit/hash/sha2-256', { input: b64('hello') });
  assert.equal(r.body.data.sum, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  r = await call('POST', 'transit/random/24', { format: 'hex' });
  assert.match(r.body.data.random_bytes, /^[0-9a-f]{48}$/);

  // Key material never shows up in server output.
  r = await call('POST', 'transit/keys/exp', { exportable: true });
  r = await call('GET', 'transit/export/encryption-key/exp/1');
  const material = r.body.data.keys['1'] as string;
  assert.equal(Buffer.from(material, 'base64').length, 32);
  assert.ok(!server.output().includes(material));
});

test('transit over HTTP: cache-config, config/keys (upsert refused with 400) and export/public-key', async () => {
  let r = await call('POST', 'sys/mounts/transit-cfg', { type: 'transit' });
  assert.equal(r.status, 204);
  r = await call('GET', 'transit-cfg/cache-config');
  assert.deepEqual(r.body.data, { size: 0 });
  r = await call('POST', 'transit-cfg/cache-config', { size: 3 });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['size must be 0 or a value greater or equal to 10'] });
  r = await call('POST', 'transit-cfg/cache-config', { size: 25 });
  assert.equal(r.status, 200);
  r = await call('GET', 'transit-cfg/cache-config');
  assert.deepEqual(r.body.data, { size: 25 });

  r = await call('POST', 'transit-cfg/config/keys', { disable_upsert: true });
  assert.deepEqual(r.body.data, { disable_upsert: true });
  // The core asks for create (the key is missing), and the engine refuses it.
  r = await call('POST', 'transit-cfg/encrypt/typo', { plaintext: b64('x') });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['encryption key not found'] });
  r = await call('GET', 'transit-cfg/keys/typo');
  assert.equal(r.status, 404);

  r = await call('POST', 'transit-cfg/keys/sig', { type: 'ecdsa-p384' });
  const shown = r.body.data.keys['1'].public_key as string;
  r = await call('GET', 'transit-cfg/export/public-key/sig');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { name: 'sig', type: 'ecdsa-p384', keys: { '1': shown } });
  assert.match(shown, /^-----BEGIN PUBLIC KEY-----/);
});
