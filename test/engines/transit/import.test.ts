/**
 * BYOK import: keys wrapped on the client exactly as Vault's docs describe (RSA-OAEP of an
 * ephemeral AES-256 key with the mount's wrapping_key, then AES-KWP of the material) become
 * transit keys whose operations provably use that material (checked with node:crypto).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { b64, setupTransit, type Transit } from './helpers.js';

let t: Transit;
let wrappingKey: KeyObject;

before(async () => {
  t = setupTransit();
  const pem = String((await t.read('wrapping_key'))!.data!['public_key']);
  wrappingKey = createPublicKey(pem);
});

/** The client side of an import: base64(RSA-OAEP(ephemeral) || AES-KWP(ephemeral, material)). */
function wrap(material: Buffer, oaepHash = 'sha256'): string {
  const ephemeral = randomBytes(32);
  const head = publicEncrypt({ key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, ephemeral);
  const kwp = createCipheriv('id-aes256-wrap-pad', ephemeral, Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([head, kwp.update(material), kwp.final()]).toString('base64');
}

test('wrapping_key is one RSA-4096 key per mount, the same on every read', async () => {
  assert.equal(wrappingKey.asymmetricKeyType, 'rsa');
  assert.equal(wrappingKey.asymmetricKeyDetails?.modulusLength, 4096);
  const again = createPublicKey(String((await t.read('wrapping_key'))!.data!['public_key']));
  assert.ok(again.equals(wrappingKey));
});

test('an imported AES-256 key encrypts with the given material; it is not rotated without allow_rotation', async () => {
  const material = randomBytes(32);
  const created = (await t.write('keys/byok-aes/import', { ciphertext: wrap(material), type: 'aes256-gcm96' })).data!;
  assert.equal(created['imported_key'], true);
  assert.equal(created['imported_key_allow_rotation'], false);
  assert.equal(created['latest_version'], 1);

  const ct = String((await t.write('encrypt/byok-aes', { plaintext: b64('bring your own') })).data!['ciphertext']);
  const body = Buffer.from(ct.slice('vault:v1:'.length), 'base64');
  const gcm = createDecipheriv('aes-256-gcm', material, body.subarray(0, 12));
  gcm.setAuthTag(body.subarray(body.length - 16));
  assert.equal(Buffer.concat([gcm.update(body.subarray(12, body.length - 16)), gcm.final()]).toString(), 'bring your own');

  await t.fails('update', 'keys/byok-aes/rotate', {}, 400, 'imported key byok-aes does not allow rotation within Vault');
  await t.fails('update', 'keys/byok-aes/config', { auto_rotate_period: '24h' }, 400, 'auto rotation cannot be set for an imported key that does not allow rotation');
  await t.fails('update', 'keys/byok-aes/import', { ciphertext: wrap(material) }, 400, 'the import path cannot be used with an existing key; use import-version to rotate an existing imported key');
});

test('allow_rotation lets the server add generated versions to an imported key', async () => {
  await t.write('keys/byok-rot/import', { ciphertext: wrap(randomBytes(32)), allow_rotation: true, auto_rotate_period: '24h' });
  const rotated = (await t.write('keys/byok-rot/rotate')).data!;
  assert.equal(rotated['latest_version'], 2);
  assert.equal(rotated['imported_key_allow_rotation'], true);
});

test('hmac, ECDSA and Ed25519 keys import from raw bytes and PKCS#8, with SHA-1 wrapping too', async () => {
  const macKey = randomBytes(48);
  await t.write('keys/byok-mac/import', { ciphertext: wrap(macKey, 'sha1'), hash_function: 'SHA1', type: 'hmac' });
  const mac = String((await t.write('hmac/byok-mac', { input: b64('data') })).data!['hmac']);
  assert.equal(mac, `vault:v1:${createHmac('sha256', macKey).update('data').digest('base64')}`);

  for (const [type, pair] of [
    ['ecdsa-p256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ed25519', generateKeyPairSync('ed25519')],
  ] as const) {
    const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    await t.write(`keys/byok-${type}/import`, { ciphertext: wrap(der), type });
    const sig = String((await t.write(`sign/byok-${type}`, { input: b64('signed elsewhere, checked here') })).data!['signature']);
    const raw = Buffer.from(sig.slice('vault:v1:'.length), 'base64');
    const ok = nodeVerify(type === 'ed25519' ? null : 'sha256', Buffer.from('signed elsewhere, checked here'), pair.publicKey, raw);
    assert.equal(ok, true, `${type}: the signature verifies with the imported key's public half`);
  }
});

test('import_version adds the next version of an imported key from outside; only there, only the next one', async () => {
  const v1 = randomBytes(32);
  const v2 = randomBytes(32);
  await t.write('keys/byok-v/import', { ciphertext: wrap(v1) });
  const added = (await t.write('keys/byok-v/import_version', { ciphertext: wrap(v2) })).data!;
  assert.equal(added['latest_version'], 2);
  const ct = String((await t.write('encrypt/byok-v', { plaintext: b64('second') })).data!['ciphertext']);
  assert.match(ct, /^vault:v2:/);
  const body = Buffer.from(ct.slice('vault:v2:'.length), 'base64');
  const gcm = createDecipheriv('aes-256-gcm', v2, body.subarray(0, 12));
  gcm.setAuthTag(body.subarray(body.length - 16));
  assert.equal(Buffer.concat([gcm.update(body.subarray(12, body.length - 16)), gcm.final()]).toString(), 'second');

  await t.fails('update', 'keys/byok-v/import_version', { ciphertext: wrap(randomBytes(32)), version: 1 }, 400, 'only the next version (3) can be imported; an existing version is replaced only to add the private key of a version imported with its public key');
  await t.fails('update', 'keys/byok-v/import_version', { ciphertext: wrap(randomBytes(16)) }, 400, 'invalid key size for aes256-gcm96: expected 32 bytes, got 16');
  await t.write('keys/generated');
  await t.fails('update', 'keys/generated/import_version', { ciphertext: wrap(randomBytes(32)) }, 400, 'key generated was not imported; import_version only adds versions to imported keys');
  await t.fails('update', 'keys/absent/import_version', { ciphertext: wrap(randomBytes(32)) }, 400, 'no key named absent to import a version into; use keys/absent/import to create it');
});

test('import errors: hash, length, wrapping, material that does not fit the type', async () => {
  await t.fails('update', 'keys/e1/import', { ciphertext: wrap(randomBytes(32)), hash_function: 'MD5' }, 400, 'unsupported hash function "MD5": use SHA1, SHA224, SHA256, SHA384 or SHA512');
  await t.fails('update', 'keys/e1/import', {}, 400, 'the "ciphertext" field is required');
  await t.fails('update', 'keys/e1/import', { ciphertext: b64('short') }, 400, 'provided ciphertext is too short');
  await t.fails('update', 'keys/e1/import', { ciphertext: wrap(randomBytes(32), 'sha1') }, 400, "failed to decrypt the ephemeral key: was it wrapped with this mount's wrapping_key and hash_function?");
  const tampered = Buffer.from(wrap(randomBytes(32)), 'base64');
  tampered[tampered.length - 1]! ^= 1;
  await t.fails('update', 'keys/e1/import', { ciphertext: tampered.toString('base64') }, 400, 'failed to unwrap the key material with the ephemeral key');
  await t.fails('update', 'keys/e1/import', { ciphertext: wrap(randomBytes(16)) }, 400, 'invalid key size for aes256-gcm96: expected 32 bytes, got 16');
  await t.fails('update', 'keys/e1/import', { ciphertext: wrap(randomBytes(32)), type: 'rsa-2048' }, 400, 'the key material of a rsa-2048 key must be a PKCS#8 DER private key');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'der', type: 'pkcs8' });
  await t.fails('update', 'keys/e1/import', { ciphertext: wrap(ec), type: 'ecdsa-p256' }, 400, 'the imported key does not match type ecdsa-p256');
  await t.fails('update', 'keys/e1/import', { ciphertext: wrap(randomBytes(32)), auto_rotate_period: '24h' }, 400, 'auto rotation cannot be set for an imported key that does not allow rotation');
  assert.equal(await t.read('keys/e1'), undefined, 'nothing was stored');
});

test('a public key imports alone: it verifies and RSA encrypts; signing and decrypting wait for import_version of its private key', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  await t.write('keys/pub-rsa/import', { public_key: publicPem, type: 'rsa-2048' });
  const read = (await t.read('keys/pub-rsa'))!.data!;
  assert.equal(read['type'], 'rsa-2048');

  // Encryption needs only the public key; the ciphertext opens with the private key held elsewhere.
  const ct = String((await t.write('encrypt/pub-rsa', { plaintext: b64('for the key owner') })).data!['ciphertext']);
  const opened = privateDecrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(ct.slice('vault:v1:'.length), 'base64'));
  assert.equal(opened.toString(), 'for the key owner');
  await t.fails('update', 'decrypt/pub-rsa', { ciphertext: ct }, 400, 'private key not imported for key version: 1');
  await t.fails('update', 'sign/pub-rsa', { input: b64('x') }, 400, 'private key not imported for key version: 1');

  // Verification of a signature made elsewhere.
  const message = Buffer.from('signed by the owner');
  const sig = nodeSign('sha256', message, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  const verified = (await t.write('verify/pub-rsa', { input: message.toString('base64'), signature: `vault:v1:${sig.toString('base64')}` })).data!;
  assert.equal(verified['valid'], true);

  // The private key of another pair is refused; the matching one upgrades version 1 in place.
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'der', type: 'pkcs8' });
  await t.fails('update', 'keys/pub-rsa/import_version', { ciphertext: wrap(other), version: 1 }, 400, 'the private key does not match the public key of version 1');
  const own = rsa.privateKey.export({ format: 'der', type: 'pkcs8' });
  const upgraded = (await t.write('keys/pub-rsa/import_version', { ciphertext: wrap(own), version: 1 })).data!;
  assert.equal(upgraded['latest_version'], 1, 'replaced, not added');
  assert.equal(String((await t.write('decrypt/pub-rsa', { ciphertext: ct })).data!['plaintext']), b64('for the key owner'));
  const signed = String((await t.write('sign/pub-rsa', { input: b64('now here') })).data!['signature']);
  assert.match(signed, /^vault:v1:/);
  // A version that has its private key is not replaced again.
  await t.fails('update', 'keys/pub-rsa/import_version', { ciphertext: wrap(own), version: 1 }, 400, 'only the next version (2) can be imported; an existing version is replaced only to add the private key of a version imported with its public key');

  // Ed25519 and ECDSA public keys verify too.
  const ed = generateKeyPairSync('ed25519');
  await t.write('keys/pub-ed/import', { public_key: ed.publicKey.export({ format: 'pem', type: 'spki' }).toString(), type: 'ed25519' });
  const edSig = nodeSign(null, message, ed.privateKey);
  assert.equal((await t.write('verify/pub-ed', { input: message.toString('base64'), signature: `vault:v1:${edSig.toString('base64')}` })).data!['valid'], true);
  await t.fails('update', 'sign/pub-ed', { input: b64('x') }, 400, 'private key not imported for key version: 1');

  // Errors: both kinds of material, a symmetric type, not a PEM, the wrong curve.
  await t.fails('update', 'keys/pub-bad/import', { public_key: publicPem, ciphertext: wrap(randomBytes(32)), type: 'rsa-2048' }, 400, 'only one of "ciphertext" or "public_key" may be set');
  await t.fails('update', 'keys/pub-bad/import', { public_key: publicPem }, 400, 'a public key cannot be imported into a key of type aes256-gcm96');
  await t.fails('update', 'keys/pub-bad/import', { public_key: 'not a key', type: 'rsa-2048' }, 400, 'error parsing public key: the "public_key" field must be a PEM public key');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  await t.fails('update', 'keys/pub-bad/import', { public_key: p384, type: 'ecdsa-p256' }, 400, 'the imported key does not match type ecdsa-p256');
  assert.equal(await t.read('keys/pub-bad'), undefined, 'nothing was stored');
});
