/**
 * Engine-wide transit settings (cache-config, config/keys) and the public-key export type, on
 * the engine over in-memory storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { storeOf } from '../../../src/engines/transit/key-store.js';
import { transitFactory } from '../../../src/engines/transit/backend.js';
import { call } from '../../framework/harness.js';
import { setupTransit } from './helpers.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('cache-config: 0 by default, 0 or at least 10, bounds the parsed-key cache at once, applied at mount start', async () => {
  const t = setupTransit();
  assert.deepEqual((await t.read('cache-config'))?.data, { size: 0 });
  await t.fails('update', 'cache-config', { size: 5 }, 400, 'size must be 0 or a value greater or equal to 10');
  await t.fails('update', 'cache-config', { size: -1 }, 400, 'size must be greater or equal to 0');

  for (let i = 0; i < 14; i++) await t.write(`keys/k${i}`);
  const store = storeOf(t.ctx);
  assert.equal(store.cachedKeys, 14);
  assert.deepEqual((await t.write('cache-config', { size: 10 })).data, { size: 10 });
  assert.equal(store.cachedKeys, 10);
  assert.deepEqual((await t.read('cache-config'))?.data, { size: 10 });

  // Least recently used go first: k0..k3 went; k4, used now, outlives k5..k13.
  assert.equal(store.isCached('k3'), false);
  await t.write('encrypt/k4', { plaintext: b64('x') });
  for (let i = 20; i < 29; i++) await t.write(`keys/k${i}`);
  assert.equal(store.cachedKeys, 10);
  assert.equal(store.isCached('k4'), true);
  assert.equal(store.isCached('k5'), false);
  assert.equal(store.isCached('k28'), true);
  // Evicted keys still work: they load from storage again.
  const ct = (await t.write('encrypt/k0', { plaintext: b64('back') })).data?.ciphertext as string;
  assert.equal(Buffer.from((await t.write('decrypt/k0', { ciphertext: ct })).data?.plaintext as string, 'base64').toString(), 'back');
  assert.equal(store.cachedKeys, 10);

  // A new engine over the same storage (a remount or restart) applies the stored size at start.
  const again = transitFactory(t.ctx);
  await again.initialize?.();
  assert.equal(store.cachedKeys <= 10, true);
  await t.write('cache-config', { size: 0 });
  for (let i = 0; i < 14; i++) await t.write(`encrypt/k${i}`, { plaintext: b64('y') });
  assert.ok(store.cachedKeys >= 14, 'no limit once size is 0');
  // (cleanup empties the mount's cache: it is the same store.)
  await again.cleanup?.();
  for (let i = 0; i < 14; i++) await t.write(`encrypt/k${i}`, { plaintext: b64('z') });
  assert.equal(store.cachedKeys, 14);

  // A size replicated below the engine (a secondary applying the primary's write) applies once
  // the engine is told the record changed.
  await t.ctx.storage.putJSON('config/cache', { size: 12 });
  t.transit.invalidate?.('config/cache');
  for (let i = 0; i < 50 && store.cachedKeys > 12; i++) await new Promise((r) => setImmediate(r));
  assert.equal(store.cachedKeys, 12);
});

test('config/keys disable_upsert: encrypt/ no longer creates missing keys; existing keys still encrypt', async () => {
  const t = setupTransit();
  assert.deepEqual((await t.read('config/keys'))?.data, { disable_upsert: false });
  // Upsert works by default (the core sends create for a missing key).
  assert.match((await call(t.transit, 'create', 'encrypt/auto', { plaintext: b64('a') }))?.data?.ciphertext as string, /^vault:v1:/);

  assert.deepEqual((await t.write('config/keys', { disable_upsert: true })).data, { disable_upsert: true });
  assert.deepEqual((await t.read('config/keys'))?.data, { disable_upsert: true });
  await t.fails('create', 'encrypt/typo', { plaintext: b64('a') }, 400, 'encryption key not found');
  assert.equal(await t.read('keys/typo'), undefined);
  assert.match((await call(t.transit, 'update', 'encrypt/auto', { plaintext: b64('b') }))?.data?.ciphertext as string, /^vault:v1:/);
  // A write without the field keeps the setting.
  assert.deepEqual((await t.write('config/keys', {})).data, { disable_upsert: true });

  await t.write('config/keys', { disable_upsert: false });
  assert.match((await call(t.transit, 'create', 'encrypt/typo', { plaintext: b64('a') }))?.data?.ciphertext as string, /^vault:v1:/);
});

test('export/public-key: every asymmetric key, exportable or not, as keys/<name> shows it; refused for symmetric keys', async () => {
  const t = setupTransit();
  for (const type of ['ecdsa-p256', 'rsa-2048', 'ed25519']) {
    await t.write(`keys/${type}`, { type });
    await t.write(`keys/${type}/rotate`);
    const shown = (await t.read(`keys/${type}`))?.data?.keys as Record<string, { public_key: string }>;
    const all = (await t.read(`export/public-key/${type}`))?.data;
    assert.equal(all?.name, type);
    assert.equal(all?.type, type);
    assert.deepEqual(all?.keys, { '1': shown['1']!.public_key, '2': shown['2']!.public_key });
    assert.deepEqual((await t.read(`export/public-key/${type}/latest`))?.data?.keys, { '2': shown['2']!.public_key });
    assert.deepEqual((await t.read(`export/public-key/${type}/1`))?.data?.keys, { '1': shown['1']!.public_key });
    // The private key stays unexportable.
    await t.fails('read', `export/signing-key/${type}`, {}, 400, 'private key material is not exportable');
  }
  // The exported key verifies a signature made by the engine.
  const sig = (await t.write('sign/ecdsa-p256', { input: b64('doc') })).data?.signature as string;
  const pem = ((await t.read('export/public-key/ecdsa-p256/latest'))?.data?.keys as Record<string, string>)['2']!;
  const der = Buffer.from(sig.split(':')[2]!, 'base64');
  assert.ok(verify('sha256', Buffer.from('doc'), createPublicKey(pem), der));

  await t.write('keys/sym');
  await t.fails('read', 'export/public-key/sym', {}, 400, 'public-key export is not supported for key type aes256-gcm96');
  await t.write('keys/mac', { type: 'hmac', key_size: 32 });
  await t.fails('read', 'export/public-key/mac', {}, 400, 'public-key export is not supported for key type hmac');
  assert.equal(await t.read('export/public-key/missing'), undefined);
});
