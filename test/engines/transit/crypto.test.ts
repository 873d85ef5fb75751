import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { call, request } from '../../framework/harness.js';
import { ASYMMETRIC, b64, setupTransit, SYMMETRIC, unb64 } from './helpers.js';

test('encrypt/decrypt round trip for every symmetric type and RSA; Vault ciphertext layout', async () => {
  const t = setupTransit();
  for (const type of [...SYMMETRIC, 'rsa-2048', 'rsa-4096']) {
    await t.write(`keys/${type}`, { type });
    const enc = (await t.write(`encrypt/${type}`, { plaintext: b64('the quick brown fox') })).data!;
    assert.equal(enc['key_version'], 1);
    const ct = String(enc['ciphertext']);
    assert.match(ct, /^vault:v1:[A-Za-z0-9+/]+=*$/);
    const body = Buffer.from(ct.slice('vault:v1:'.length), 'base64');
    if (!type.startsWith('rsa')) assert.equal(body.length, 12 + 19 + 16, 'nonce || ciphertext || tag');
    const dec = (await t.write(`decrypt/${type}`, { ciphertext: ct })).data!;
    assert.deepEqual(dec, { plaintext: b64('the quick brown fox') });
    // Random nonces: the same plaintext encrypts differently each time.
    const again = (await t.write(`encrypt/${type}`, { plaintext: b64('the quick brown fox') })).data!;
    assert.notEqual(again['ciphertext'], ct);
  }
  // An empty plaintext is valid.
  const empty = String((await t.write('encrypt/aes256-gcm96', { plaintext: '' })).data!['ciphertext']);
  assert.equal((await t.write('decrypt/aes256-gcm96', { ciphertext: empty })).data!['plaintext'], '');
});

test('sign/verify round trip for every asymmetric type, both marshalings', async () => {
  const t = setupTransit();
  const input = b64('message to sign');
  for (const type of ASYMMETRIC) {
    await t.write(`keys/${type}`, { type });
    for (const marshaling_algorithm of ['asn1', 'jws']) {
      const signed = (await t.write(`sign/${type}`, { input, marshaling_algorithm })).data!;
      const sig = String(signed['signature']);
      assert.match(sig, marshaling_algorithm === 'jws' ? /^vault:v1:[A-Za-z0-9_-]+$/ : /^vault:v1:[A-Za-z0-9+/]+=*$/);
      assert.equal(signed['key_version'], 1);
      assert.deepEqual((await t.write(`verify/${type}`, { input, signature: sig, marshaling_algorithm })).data, { valid: true });
      assert.deepEqual((await t.write(`verify/${type}`, { input: b64('tampered'), signature: sig, marshaling_algorithm })).data, { valid: false });
    }
    // The public key of read verifies our signatures with Node's own verifier.
    const pub = ((await t.read(`keys/${type}`))!.data!['keys'] as Record<string, Record<string, string>>)['1']!['public_key']!;
    const sig = Buffer.from(String((await t.write(`sign/${type}/sha2-384`, { input, signature_algorithm: 'pkcs1v15' })).data!['signature']).slice(9), 'base64');
    const msg = Buffer.from('message to sign');
    if (type === 'ed25519') {
      const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(pub, 'base64')]);
      assert.ok(nodeVerify(null, msg, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig));
    } else {
      assert.ok(nodeVerify('sha384', msg, pub, sig), type);
    }
  }
  await t.fails('update', 'sign/none', { input }, 400, 'signing key not found');
  await t.write('keys/sym');
  await t.fails('update', 'sign/sym', { input }, 400, 'key type aes256-gcm96 does not support signing');
  await t.fails('update', 'sign/ecdsa-p256/md5', { input }, 400, 'invalid hash algorithm "md5"');
  await t.fails('update', 'sign/ecdsa-p256', { input, marshaling_algorithm: 'xml' }, 400, 'invalid marshaling type "xml"');
  await t.fails('update', 'verify/ecdsa-p256', { input }, 400, "neither a 'signature' nor an 'hmac' were given to verify");
  await t.fails('update', 'verify/ecdsa-p256', { input, signature: 'x', hmac: 'y' }, 400, "provide one of 'signature' or 'hmac'");
  await t.fails('update', 'verify/ecdsa-p256', { input, signature: 'nope' }, 400, 'invalid signature: no prefix');
});

test('RSA: pss and pkcs1v15, salt lengths, prehashed input, verified by Node', async () => {
  const t = setupTransit();
  await t.write('keys/rsa', { type: 'rsa-2048' });
  const pem = ((await t.read('keys/rsa'))!.data!['keys'] as Record<string, Record<string, string>>)['1']!['public_key']!;
  const msg = Buffer.from('rsa input');
  const digest = createHash('sha256').update(msg).digest();
  const cases: [Record<string, unknown>, (sig: Buffer) => boolean][] = [
    [{ input: b64(msg) }, (s) => nodeVerify('sha256', msg, { key: pem, padding: 6, saltLength: -2 }, s)],
    [{ input: b64(msg), salt_length: 'hash' }, (s) => nodeVerify('sha256', msg, { key: pem, padding: 6, saltLength: 32 }, s)],
    [{ input: b64(msg), salt_length: '10' }, (s) => nodeVerify('sha256', msg, { key: pem, padding: 6, saltLength: 10 }, s)],
    [{ input: b64(msg), signature_algorithm: 'pkcs1v15' }, (s) => nodeVerify('sha256', msg, { key: pem, padding: 1 }, s)],
    [{ input: digest.toString('base64'), prehashed: true }, (s) => nodeVerify('sha256', msg, { key: pem, padding: 6, saltLength: -2 }, s)],
    [{ input: digest.toString('base64'), prehashed: true, salt_length: 'hash' }, (s) => nodeVerify('sha256', msg, { key: pem, padding: 6, saltLength: 32 }, s)],
    [{ input: digest.toString('base64'), prehashed: true, signature_algorithm: 'pkcs1v15' }, (s) => nodeVerify('sha256', msg, { key: pem, padding: 1 }, s)],
  ];
  for (const [params, nodeCheck] of cases) {
    const sig = String((await t.write('sign/rsa', params)).data!['signature']);
    assert.ok(nodeCheck(Buffer.from(sig.slice(9), 'base64')), JSON.stringify(params));
    assert.equal((await t.write('verify/rsa', { ...params, signature: sig })).data!['valid'], true, JSON.stringify(params));
    assert.equal((await t.write('verify/rsa', { ...params, input: b64(createHash('sha256').update('x').digest()), signature: sig })).data!['valid'], false);
  }
  // hash_algorithm=none: PKCS#1 v1.5 over the raw input, only when prehashed.
  await t.fails('update', 'sign/rsa/none', { input: b64('raw') }, 400, 'hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15');
  const raw = String((await t.write('sign/rsa/none', { input: b64('raw'), prehashed: true, signature_algorithm: 'pkcs1v15' })).data!['signature']);
  assert.equal((await t.write('verify/rsa/none', { input: b64('raw'), prehashed: true, signature_algorithm: 'pkcs1v15', signature: raw })).data!['valid'], true);
  await t.fails('update', 'sign/rsa', { input: b64('short'), prehashed: true }, 400, 'crypto/rsa: input must be hashed message');
});

test('ECDSA prehashed signatures interoperate with Node (asn1 and jws)', async () => {
  const t = setupTransit();
  for (const [type, hash] of [['ecdsa-p256', 'sha256'], ['ecdsa-p384', 'sha384'], ['ecdsa-p521', 'sha512'], ['ecdsa-p256', 'sha512']] as const) {
    await t.write(`keys/${type}`, { type, exportable: true });
    const pem = ((await t.read(`keys/${type}`))!.data!['keys'] as Record<string, Record<string, string>>)['1']!['public_key']!;
    const priv = ((await t.read(`export/signing-key/${type}`))!.data!['keys'] as Record<string, string>)['1']!;
    const msg = Buffer.from(`ecdsa ${type} ${hash}`);
    const digest = createHash(hash).update(msg).digest();
    const algo = hash === 'sha256' ? 'sha2-256' : hash === 'sha384' ? 'sha2-384' : 'sha2-512';
    for (const [marshaling_algorithm, dsaEncoding, enc] of [['asn1', 'der', 'base64'], ['jws', 'ieee-p1363', 'base64url']] as const) {
      const params = { input: digest.toString('base64'), prehashed: true, marshaling_algorithm, hash_algorithm: algo };
      const sig = String((await t.write(`sign/${type}`, params)).data!['signature']);
      assert.ok(nodeVerify(hash, msg, { key: pem, dsaEncoding }, Buffer.from(sig.slice(9), enc)), `${type} ${hash} ${marshaling_algorithm}`);
      // And Node's signatures verify here.
      const native = nodeSign(hash, msg, { key: priv, dsaEncoding }).toString(enc);
      assert.equal((await t.write(`verify/${type}`, { ...params, signature: `vault:v1:${native}` })).data!['valid'], true);
      const wrong = { ...params, input: createHash(hash).update('other').digest('base64') };
      assert.equal((await t.write(`verify/${type}`, { ...wrong, signature: `vault:v1:${native}` })).data!['valid'], false);
    }
  }
});

test('batch encrypt with a bad item: per-item error, 400, other items still encrypted', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  const resp = await t.write('encrypt/k', {
    batch_input: [{ plaintext: b64('one'), reference: 'a' }, { plaintext: 'not*base64', reference: 'b' }, { plaintext: b64('three') }],
  });
  assert.equal(resp.statusCode, 400);
  const results = resp.data!['batch_results'] as Record<string, unknown>[];
  assert.equal(results.length, 3);
  assert.equal(results[0]!['reference'], 'a');
  assert.equal(results[0]!['key_version'], 1);
  assert.deepEqual(results[1], { error: 'illegal base64 data at input byte 3', reference: 'b' });
  assert.equal(results[2]!['reference'], '');
  const dec = await t.write('decrypt/k', {
    batch_input: [{ ciphertext: results[0]!['ciphertext'] }, { ciphertext: `vault:v1:${b64('garbage')}` }, { ciphertext: results[2]!['ciphertext'] }, {}],
  });
  assert.equal(dec.statusCode, 400);
  const plain = dec.data!['batch_results'] as Record<string, unknown>[];
  assert.deepEqual(plain[0], { plaintext: b64('one'), reference: '' });
  assert.deepEqual(plain[1], { plaintext: '', error: 'invalid ciphertext length', reference: '' });
  assert.equal(unb64(plain[2]!['plaintext']), 'three');
  assert.deepEqual(plain[3], { plaintext: '', error: 'missing ciphertext to decrypt', reference: '' });
  // partial_failure_response_code replaces the 400 when something succeeded.
  const partial = await t.write('decrypt/k', { batch_input: [{ ciphertext: results[0]!['ciphertext'] }, { ciphertext: 'x' }], partial_failure_response_code: 207 });
  assert.equal(partial.statusCode, 207);
  const allBad = await t.write('decrypt/k', { batch_input: [{ ciphertext: 'x' }], partial_failure_response_code: 207 });
  assert.equal(allBad.statusCode, 400);
  // A fully successful batch is a plain 200.
  const good = await t.write('encrypt/k', { batch_input: [{ plaintext: b64('x') }] });
  assert.equal(good.statusCode, undefined);
  await t.fails('update', 'encrypt/k', { batch_input: [] }, 400, 'missing batch input to process');
  await t.fails('update', 'encrypt/k', { batch_input: 'nope' }, 400, "failed to parse batch input: expected a list, got 'string'");
  await t.fails('update', 'encrypt/k', { batch_input: [{ plaintext: b64('a'), context: b64('c') }, { plaintext: b64('b') }] }, 400, 'context should be set either in all the request blocks or in none');
});

test('derived keys need a context; different contexts give different keys', async () => {
  const t = setupTransit();
  await t.write('keys/d', { derived: true });
  await t.fails(
    'update',
    'encrypt/d',
    { plaintext: b64('x') },
    400,
    "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key",
  );
  const ct = String((await t.write('encrypt/d', { plaintext: b64('secret'), context: b64('user-1') })).data!['ciphertext']);
  assert.equal(unb64((await t.write('decrypt/d', { ciphertext: ct, context: b64('user-1') })).data!['plaintext']), 'secret');
  await t.fails('update', 'decrypt/d', { ciphertext: ct, context: b64('user-2') }, 400, 'cipher: message authentication failed');
  await t.fails('update', 'decrypt/d', { ciphertext: ct, context: '%%%' }, 400, 'illegal base64 data at input byte 0');
  // A non-derived key ignores a context.
  await t.write('keys/plain');
  const pct = String((await t.write('encrypt/plain', { plaintext: b64('p'), context: b64('ignored') })).data!['ciphertext']);
  assert.equal(unb64((await t.write('decrypt/plain', { ciphertext: pct })).data!['plaintext']), 'p');
  // Derived ed25519: the signature comes with the context's public key.
  await t.write('keys/ded', { type: 'ed25519', derived: true });
  const signed = (await t.write('sign/ded', { input: b64('m'), context: b64('tenant') })).data!;
  assert.equal(Buffer.from(String(signed['public_key']), 'base64').length, 32);
  assert.equal((await t.write('verify/ded', { input: b64('m'), context: b64('tenant'), signature: signed['signature'] })).data!['valid'], true);
  assert.equal((await t.write('verify/ded', { input: b64('m'), context: b64('other'), signature: signed['signature'] })).data!['valid'], false);
});

test('convergent encryption is deterministic per context; nonces are refused', async () => {
  const t = setupTransit();
  await t.write('keys/c', { derived: true, convergent_encryption: true });
  const enc = async (pt: string, ctx: string): Promise<string> =>
    String((await t.write('encrypt/c', { plaintext: b64(pt), context: b64(ctx) })).data!['ciphertext']);
  const a = await enc('same', 'ctx');
  assert.equal(await enc('same', 'ctx'), a);
  assert.notEqual(await enc('same', 'other ctx'), a);
  assert.notEqual(await enc('different', 'ctx'), a);
  assert.equal(unb64((await t.write('decrypt/c', { ciphertext: a, context: b64('ctx') })).data!['plaintext']), 'same');
  await t.fails('update', 'encrypt/c', { plaintext: b64('x'), context: b64('ctx'), nonce: b64('123456789012') }, 400, 'provided nonce not allowed for this key');
  // After rotation the same input gives another (still deterministic) ciphertext.
  await t.write('keys/c/rotate');
  const b = await enc('same', 'ctx');
  assert.match(b, /^vault:v2:/);
  assert.equal(await enc('same', 'ctx'), b);
});

test('rotation, rewrap and min_decryption_version', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  const v1 = String((await t.write('encrypt/k', { plaintext: b64('old') })).data!['ciphertext']);
  await t.write('keys/k/rotate');
  const v2 = (await t.write('encrypt/k', { plaintext: b64('new') })).data!;
  assert.equal(v2['key_version'], 2);
  assert.match(String(v2['ciphertext']), /^vault:v2:/);
  assert.equal(unb64((await t.write('decrypt/k', { ciphertext: v1 })).data!['plaintext']), 'old');
  const rewrapped = (await t.write('rewrap/k', { ciphertext: v1 })).data!;
  assert.equal(rewrapped['key_version'], 2);
  assert.match(String(rewrapped['ciphertext']), /^vault:v2:/);
  assert.equal(unb64((await t.write('decrypt/k', { ciphertext: rewrapped['ciphertext'] })).data!['plaintext']), 'old');
  const v1Again = (await t.write('encrypt/k', { plaintext: b64('pinned'), key_version: 1 })).data!;
  assert.equal(v1Again['key_version'], 1);

  await t.write('keys/k/config', { min_decryption_version: 2 });
  await t.fails('update', 'decrypt/k', { ciphertext: v1 }, 400, 'ciphertext or signature version is disallowed by policy (too old)');
  await t.fails('update', 'encrypt/k', { plaintext: b64('x'), key_version: 3 }, 400, 'requested version for encryption is higher than the latest key version');
  await t.write('keys/k/config', { min_encryption_version: 2 });
  await t.fails('update', 'encrypt/k', { plaintext: b64('x'), key_version: 1 }, 400, 'requested version for encryption is less than the minimum encryption key version');
  await t.fails('update', 'decrypt/k', { ciphertext: 'vault:v9:AAAA' }, 400, 'invalid ciphertext: version is too new');
  await t.fails('update', 'decrypt/k', { ciphertext: 'vault:vX:AAAA' }, 400, 'invalid ciphertext: version number could not be decoded');
  await t.fails('update', 'decrypt/k', { ciphertext: 'vault:v2' }, 400, 'invalid ciphertext: wrong number of fields');
  await t.fails('update', 'decrypt/k', { ciphertext: 'v2:AAAA' }, 400, 'invalid ciphertext: no prefix');
  await t.fails('update', 'decrypt/k', { ciphertext: 'vault:v2:***' }, 400, 'invalid ciphertext: could not decode base64');
  // A rewrap batch answers 200 with the failure inside.
  const batch = await t.write('rewrap/k', { batch_input: [{ ciphertext: v1 }, { ciphertext: rewrapped['ciphertext'] }] });
  assert.equal(batch.statusCode, undefined);
  const results = batch.data!['batch_results'] as Record<string, unknown>[];
  assert.equal(results[0]!['error'], 'ciphertext or signature version is disallowed by policy (too old)');
  assert.equal(results[1]!['key_version'], 2);
});

test('encrypt creates a missing key only on create; update on a missing key fails', async () => {
  const t = setupTransit();
  await t.fails('update', 'encrypt/newkey', { plaintext: b64('x') }, 400, 'encryption key not found');
  assert.deepEqual(await t.transit.existenceCheck(request('update', 'encrypt/newkey', {})), { supported: true, exists: false });
  const created = await call(t.transit, 'create', 'encrypt/newkey', { plaintext: b64('x') });
  assert.match(String(created?.data?.['ciphertext']), /^vault:v1:/);
  assert.equal((await t.read('keys/newkey'))!.data!['type'], 'aes256-gcm96');
  assert.deepEqual(await t.transit.existenceCheck(request('update', 'encrypt/newkey', {})), { supported: true, exists: true });
  await call(t.transit, 'create', 'encrypt/chacha', { plaintext: b64('x'), type: 'chacha20-poly1305', context: b64('c') });
  const chacha = (await t.read('keys/chacha'))!.data!;
  assert.equal(chacha['type'], 'chacha20-poly1305');
  assert.equal(chacha['derived'], true);
  await t.fails('create', 'encrypt/rsa', { plaintext: b64('x'), type: 'rsa-2048' }, 400, 'key type rsa-2048 not supported for this operation');
  await t.fails('create', 'encrypt/conv', { plaintext: b64('x'), convergent_encryption: true }, 400, 'convergent encryption requires derivation to be enabled, so context is required');
  await t.fails('update', 'encrypt/newkey', {}, 400, 'missing plaintext to encrypt');
  await t.fails('update', 'decrypt/newkey', {}, 400, 'missing ciphertext to decrypt');
  await t.fails('update', 'decrypt/nokey', { ciphertext: 'vault:v1:AAAA' }, 400, 'encryption key not found');
  await t.write('keys/ec', { type: 'ecdsa-p256' });
  await t.fails('update', 'encrypt/ec', { plaintext: b64('x') }, 400, 'message encryption not supported for key type ecdsa-p256');
  const warned = await t.write('encrypt/newkey', { plaintext: b64('x'), bogus: 1 });
  assert.deepEqual(warned.warnings, ['Endpoint ignored these unrecognized parameters: [bogus]']);
});

test('datakey: plaintext and wrapped', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  const plain = (await t.write('datakey/plaintext/k', { bits: 512 })).data!;
  assert.equal(Buffer.from(String(plain['plaintext']), 'base64').length, 64);
  assert.equal((await t.write('decrypt/k', { ciphertext: plain['ciphertext'] })).data!['plaintext'], plain['plaintext']);
  const wrapped = (await t.write('datakey/wrapped/k')).data!;
  assert.deepEqual(Object.keys(wrapped).sort(), ['ciphertext', 'key_version']);
  assert.equal(Buffer.from(String((await t.write('decrypt/k', { ciphertext: wrapped['ciphertext'] })).data!['plaintext']), 'base64').length, 32);
  await t.fails('update', 'datakey/other/k', {}, 400, "Invalid path, must be 'plaintext' or 'wrapped'");
  await t.fails('update', 'datakey/plaintext/k', { bits: 100 }, 400, 'invalid bits value');
  await t.fails('update', 'datakey/plaintext/none', {}, 400, 'encryption key not found');
});

test('hmac and verify, with versions and algorithms', async () => {
  const t = setupTransit();
  await t.write('keys/k', { exportable: true });
  const hmacKey = Buffer.from(((await t.read('export/hmac-key/k/1'))!.data!['keys'] as Record<string, string>)['1']!, 'base64');
  const mac = String((await t.write('hmac/k', { input: b64('data') })).data!['hmac']);
  assert.equal(mac, `vault:v1:${createHmac('sha256', hmacKey).update('data').digest('base64')}`);
  const mac512 = String((await t.write('hmac/k/sha2-512', { input: b64('data') })).data!['hmac']);
  assert.equal(mac512, `vault:v1:${createHmac('sha512', hmacKey).update('data').digest('base64')}`);
  assert.equal((await t.write('verify/k', { input: b64('data'), hmac: mac })).data!['valid'], true);
  assert.equal((await t.write('verify/k/sha2-512', { input: b64('data'), hmac: mac512 })).data!['valid'], true);
  assert.equal((await t.write('verify/k', { input: b64('other'), hmac: mac })).data!['valid'], false);
  await t.fails('update', 'hmac/k/md5', { input: b64('data') }, 400, 'unsupported algorithm "md5"');
  await t.fails('update', 'hmac/none', { input: b64('data') }, 400, 'encryption key not found');
  const batch = await t.write('hmac/k', { batch_input: [{ input: b64('a'), reference: 'r1' }, {}, { input: '!' }] });
  const results = batch.data!['batch_results'] as Record<string, unknown>[];
  assert.equal(batch.statusCode, undefined);
  assert.equal(results[0]!['reference'], 'r1');
  assert.deepEqual(results[1], { error: 'missing input for HMAC', reference: '' });
  assert.deepEqual(results[2], { error: 'unable to decode input as base64: illegal base64 data at input byte 0', reference: '' });
  // Rotation: new HMACs use v2, old ones verify until min_decryption_version moves.
  await t.write('keys/k/rotate');
  assert.match(String((await t.write('hmac/k', { input: b64('data') })).data!['hmac']), /^vault:v2:/);
  assert.equal((await t.write('verify/k', { input: b64('data'), hmac: mac })).data!['valid'], true);
  await t.write('keys/k/config', { min_decryption_version: 2 });
  await t.fails('update', 'verify/k', { input: b64('data'), hmac: mac }, 400, 'cannot verify HMAC: version is too old (disallowed by policy)');
  const vb = await t.write('verify/k', { batch_input: [{ input: b64('data'), hmac: mac }, { input: b64('data'), hmac: 'vault:v9:AA==' }] });
  assert.deepEqual(vb.data!['batch_results'], [
    { valid: false, error: 'cannot verify HMAC: version is too old (disallowed by policy)', reference: '' },
    { valid: false, error: 'invalid HMAC: version is too new', reference: '' },
  ]);
  await t.fails('update', 'verify/k', { batch_input: [{ input: b64('a'), hmac: mac }, { input: b64('a') }] }, 400, "some elements of batch_input are missing 'hmac'");
});

test('hash: known vectors, formats and algorithms', async () => {
  const t = setupTransit();
  const hello = b64('hello');
  assert.deepEqual((await t.write('hash', { input: hello })).data, { sum: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });
  assert.deepEqual((await t.write('hash/sha2-256', { input: hello, format: 'base64' })).data, { sum: 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=' });
  assert.equal(
    (await t.write('hash', { input: hello, algorithm: 'sha3-256' })).data!['sum'],
    '3338be694f50c5f338814986cdf0686453a888b84f424d792af4b9202398f392',
  );
  assert.equal((await t.write('hash/sha2-512', { input: '' })).data!['sum'], createHash('sha512').digest('hex'));
  await t.fails('update', 'hash', {}, 400, 'input missing');
  await t.fails('update', 'hash/sha1', { input: hello }, 400, 'unsupported algorithm sha1');
  await t.fails('update', 'hash', { input: hello, format: 'binary' }, 400, 'unsupported encoding format binary; must be "hex" or "base64"');
  await t.fails('update', 'hash', { input: 'aGVsbG8' }, 400, 'unable to decode input as base64: illegal base64 data at input byte 4');
});

test('random: length and format', async () => {
  const t = setupTransit();
  assert.equal(Buffer.from(String((await t.write('random')).data!['random_bytes']), 'base64').length, 32);
  assert.match(String((await t.write('random/16', { format: 'hex' })).data!['random_bytes']), /^[0-9a-f]{32}$/);
  assert.equal(Buffer.from(String((await t.write('random/all/48')).data!['random_bytes']), 'base64').length, 48);
  assert.equal(Buffer.from(String((await t.write('random/platform', { bytes: 8 })).data!['random_bytes']), 'base64').length, 8);
  await t.fails('update', 'random/0', {}, 400, '"bytes" cannot be less than 1');
  await t.fails('update', 'random', { bytes: 200000 }, 400, '"bytes" should be less than 131072');
  await t.fails('update', 'random', { format: 'raw' }, 400, 'unsupported encoding format "raw"; must be "hex" or "base64"');
});

test('bad inputs are 400s with Vault texts and change nothing', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  const before = t.storage.writes;
  await t.fails('update', 'encrypt/k', { plaintext: 'aGVsbG8' }, 400, 'illegal base64 data at input byte 4');
  await t.fails('update', 'encrypt/k', { plaintext: 'aGVsbG8=x' }, 400, 'illegal base64 data at input byte 8');
  await t.fails('update', 'encrypt/k', { plaintext: b64('x'), key_version: 'two' }, 400, 'error converting input two for field "key_version": strconv.ParseInt: parsing "two": invalid syntax');
  await t.fails('update', 'encrypt/k', { plaintext: { nested: true } }, 400, 'error converting input <redacted> for field "plaintext": expected type \'string\', got unconvertible type \'map[string]interface {}\'');
  await t.fails('update', 'keys/k/config', { min_decryption_version: 'x' }, 400, 'error converting input x for field "min_decryption_version": strconv.ParseInt: parsing "x": invalid syntax');
  assert.equal(t.storage.writes, before);
  // Newlines inside base64 are ignored, as Go's decoder does.
  const ct = String((await t.write('encrypt/k', { plaintext: 'aGVs\nbG8=' })).data!['ciphertext']);
  assert.equal(unb64((await t.write('decrypt/k', { ciphertext: ct })).data!['plaintext']), 'hello');
});
