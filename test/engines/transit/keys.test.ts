import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import { call } from '../../framework/harness.js';
import { AUTO_ROTATE_CHECK_MS, transitFactory } from '../../../src/engines/transit/backend.js';
import { ASYMMETRIC, b64, setupTransit, SYMMETRIC } from './helpers.js';

test('create returns Vault key info; read, list, and a second create warns', async () => {
  const t = setupTransit();
  const created = await t.write('keys/app');
  assert.deepEqual(created.data, {
    name: 'app',
    type: 'aes256-gcm96',
    derived: false,
    deletion_allowed: false,
    min_available_version: 0,
    min_decryption_version: 1,
    min_encryption_version: 0,
    latest_version: 1,
    exportable: false,
    allow_plaintext_backup: false,
    supports_encryption: true,
    supports_decryption: true,
    supports_derivation: true,
    supports_signing: false,
    auto_rotate_period: 0,
    imported_key: false,
    keys: { '1': Math.floor(t.clock.now() / 1000) },
  });
  assert.deepEqual((await t.read('keys/app'))?.data, created.data);
  const again = await t.write('keys/app', { type: 'rsa-2048' });
  assert.deepEqual(again.warnings, ['key app already existed']);
  assert.equal(again.data?.['type'], 'aes256-gcm96');
  await t.write('keys/other');
  assert.deepEqual((await call(t.transit, 'list', 'keys/'))?.data, { keys: ['app', 'other'] });
  assert.equal(await t.read('keys/nope'), undefined);
});

test('list is 404 when there are no keys', async () => {
  const t = setupTransit();
  assert.equal(await call(t.transit, 'list', 'keys'), undefined);
});

test('asymmetric keys show their public keys; derived keys show kdf', async () => {
  const t = setupTransit();
  for (const type of ASYMMETRIC) {
    const data = (await t.write(`keys/${type}`, { type })).data!;
    assert.equal(data['supports_signing'], true, type);
    const v1 = (data['keys'] as Record<string, Record<string, unknown>>)['1']!;
    assert.equal(v1['creation_time'], '2026-01-01T00:00:00Z');
    const pub = String(v1['public_key']);
    if (type === 'ed25519') {
      assert.equal(v1['name'], 'ed25519');
      assert.equal(Buffer.from(pub, 'base64').length, 32);
    } else {
      assert.match(pub, /^-----BEGIN PUBLIC KEY-----/);
      const key = createPublicKey(pub);
      assert.equal(key.asymmetricKeyType, type.startsWith('rsa') ? 'rsa' : 'ec');
      const curves: Record<string, string> = { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384', 'ecdsa-p521': 'P-521' };
      assert.equal(v1['name'], type.startsWith('rsa') ? type : curves[type]);
    }
  }
  const derived = (await t.write('keys/d', { derived: true, convergent_encryption: true })).data!;
  assert.equal(derived['kdf'], 'hkdf_sha256');
  assert.equal(derived['convergent_encryption'], true);
  assert.equal(derived['convergent_encryption_version'], 3);
  // A derived ed25519 key has no public key until a context is given.
  await t.write('keys/ded', { type: 'ed25519', derived: true });
  const noCtx = (await t.read('keys/ded'))!.data!['keys'] as Record<string, Record<string, unknown>>;
  assert.equal(noCtx['1']!['public_key'], '');
  const withCtx = (await t.read('keys/ded', { context: b64('tenant-a') }))!.data!['keys'] as Record<string, Record<string, unknown>>;
  assert.equal(Buffer.from(String(withCtx['1']!['public_key']), 'base64').length, 32);
});

test('create validation uses Vault texts', async () => {
  const t = setupTransit();
  await t.fails('update', 'keys/x', { type: 'aes512' }, 400, 'unknown key type aes512');
  await t.fails('update', 'keys/x', { convergent_encryption: true }, 400, 'convergent encryption requires derivation to be enabled');
  await t.fails('update', 'keys/x', { auto_rotate_period: '30m' }, 400, 'auto rotate period must be 0 to disable or at least an hour');
  await t.fails('update', 'keys/x', { type: 'rsa-2048', derived: true }, 400, 'key derivation and convergent encryption not supported for keys of type rsa-2048');
  await t.fails('update', 'keys/x', { type: 'ed25519', derived: true, convergent_encryption: true }, 400, 'convergent encryption not supported for keys of type ed25519');
  assert.equal(t.storage.entries.size, 0);
});

test('delete needs deletion_allowed; config changes are one-way where Vault says so', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  await t.fails('delete', 'keys/k', {}, 400, 'error deleting policy k: deletion is not allowed for this key');
  await t.fails('delete', 'keys/none', {}, 400, 'error deleting policy none: could not delete key; not found');
  const cfg = await t.write('keys/k/config', { deletion_allowed: true, exportable: true, allow_plaintext_backup: true, auto_rotate_period: '24h' });
  assert.equal(cfg.data?.['deletion_allowed'], true);
  assert.equal(cfg.data?.['auto_rotate_period'], 86400);
  // Exportability and plaintext backup cannot be switched off again.
  const off = await t.write('keys/k/config', { exportable: false, allow_plaintext_backup: false });
  assert.equal(off.data?.['exportable'], true);
  assert.equal(off.data?.['allow_plaintext_backup'], true);
  await t.fails('update', 'keys/none/config', { deletion_allowed: true }, 400, 'no existing key named none could be found');
  assert.equal(await call(t.transit, 'delete', 'keys/k'), undefined);
  assert.equal(await t.read('keys/k'), undefined);
  assert.deepEqual(t.storage.keys(), []);
});

test('config version window rules', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  await t.fails('update', 'keys/k/config', { min_decryption_version: 2 }, 400, 'cannot set min decryption version of 2, latest key version is 1');
  await t.fails('update', 'keys/k/config', { min_decryption_version: -1 }, 400, 'min decryption version cannot be negative');
  await t.write('keys/k/rotate');
  await t.write('keys/k/rotate');
  const zero = await t.write('keys/k/config', { min_decryption_version: 0 });
  assert.deepEqual(zero.warnings, ['since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1']);
  await t.fails(
    'update',
    'keys/k/config',
    { min_decryption_version: 3, min_encryption_version: 2 },
    400,
    'cannot set min encryption/decryption values; min encryption version of 2 must be greater than or equal to min decryption version of 3',
  );
  const ok = await t.write('keys/k/config', { min_decryption_version: 2, min_encryption_version: 3 });
  assert.equal(ok.data?.['min_decryption_version'], 2);
  assert.equal(ok.data?.['min_encryption_version'], 3);
});

test('rotate adds versions; trim deletes old ones for good', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  for (let i = 0; i < 4; i++) {
    t.clock.advance(1000);
    await t.write('keys/k/rotate');
  }
  const read = (await t.read('keys/k'))!.data!;
  assert.equal(read['latest_version'], 5);
  assert.deepEqual(Object.keys(read['keys'] as object), ['1', '2', '3', '4', '5']);
  await t.fails('update', 'keys/none/rotate', {}, 400, 'key not found');

  await t.fails('update', 'keys/k/trim', { min_available_version: 2 }, 400, 'minimum available version cannot be set when minimum encryption version is not set');
  await t.write('keys/k/config', { min_decryption_version: 3, min_encryption_version: 4 });
  await t.fails('update', 'keys/k/trim', {}, 400, 'missing min_available_version');
  await t.fails('update', 'keys/k/trim', { min_available_version: 4 }, 400, 'minimum available version cannot be greater than minimum decryption version');
  const trimmed = await t.write('keys/k/trim', { min_available_version: 3 });
  assert.equal(trimmed.data?.['min_available_version'], 3);
  assert.deepEqual(Object.keys(trimmed.data?.['keys'] as object), ['3', '4', '5']);
  await t.fails('update', 'keys/k/trim', { min_available_version: 2 }, 400, 'minimum available version cannot be decremented');
  await t.fails('update', 'keys/k/config', { min_decryption_version: 2 }, 400, 'cannot set min decryption version of 2, min available version is 3');
  // The trimmed versions are gone from storage too (a fresh engine reads the same record).
  const fresh = transitFactory(t.ctx);
  const again = await call(fresh, 'read', 'keys/k');
  assert.deepEqual(Object.keys(again?.data?.['keys'] as object), ['3', '4', '5']);
});

test('export only for exportable keys, with Vault shapes per type', async () => {
  const t = setupTransit();
  await t.write('keys/locked');
  await t.fails('read', 'export/encryption-key/locked', {}, 400, 'private key material is not exportable');
  await t.fails('read', 'export/bogus-key/locked', {}, 400, 'invalid export type: bogus-key');
  assert.equal(await t.read('export/encryption-key/missing'), undefined);

  for (const type of SYMMETRIC) {
    await t.write(`keys/${type}`, { type, exportable: true });
    const all = (await t.read(`export/encryption-key/${type}`))!.data!;
    assert.equal(all['name'], type);
    const k = (all['keys'] as Record<string, string>)['1']!;
    assert.equal(Buffer.from(k, 'base64').length, type === 'aes128-gcm96' ? 16 : 32);
    const hmac = (await t.read(`export/hmac-key/${type}/latest`))!.data!['keys'] as Record<string, string>;
    assert.equal(Buffer.from(hmac['1']!, 'base64').length, 32);
    await t.fails('read', `export/signing-key/${type}`, {}, 400, 'signing not supported for the key');
  }
  await t.write('keys/ec', { type: 'ecdsa-p256', exportable: true });
  const ec = (await t.read('export/signing-key/ec/1'))!.data!['keys'] as Record<string, string>;
  assert.match(ec['1']!, /^-----BEGIN EC PRIVATE KEY-----/);
  assert.equal(createPrivateKey(ec['1']!).asymmetricKeyType, 'ec');
  await t.fails('read', 'export/encryption-key/ec', {}, 400, 'encryption not supported for the key');
  await t.write('keys/rsa', { type: 'rsa-2048', exportable: true });
  const rsa = (await t.read('export/encryption-key/rsa/v1'))!.data!['keys'] as Record<string, string>;
  assert.match(rsa['1']!, /^-----BEGIN RSA PRIVATE KEY-----/);
  await t.write('keys/ed', { type: 'ed25519', exportable: true });
  const ed = (await t.read('export/signing-key/ed'))!.data!['keys'] as Record<string, string>;
  assert.equal(Buffer.from(ed['1']!, 'base64').length, 64);
  await t.fails('read', 'export/signing-key/ed/7', {}, 400, 'version does not exist or cannot be found');
  await t.fails('read', 'export/signing-key/ed/x', {}, 400, 'invalid key version');
});

test('backup needs exportable and plaintext backup; restore into another mount works', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  await t.fails('read', 'backup/k', {}, 500, 'exporting is disallowed on the policy');
  await t.write('keys/k/config', { exportable: true });
  await t.fails('read', 'backup/k', {}, 500, 'plaintext backup is disallowed on the policy');
  await t.write('keys/k/config', { allow_plaintext_backup: true });
  await t.write('keys/k/rotate');
  const ct1 = String((await t.write('encrypt/k', { plaintext: b64('one'), key_version: 1 })).data?.['ciphertext']);
  const ct2 = String((await t.write('encrypt/k', { plaintext: b64('two') })).data?.['ciphertext']);
  const backup = String((await t.read('backup/k'))!.data!['backup']);
  const info = (await t.read('keys/k'))!.data!['backup_info'] as Record<string, unknown>;
  assert.deepEqual(info, { time: '2026-01-01T00:00:00Z', version: 2 });

  const other = setupTransit();
  assert.equal(await call(other.transit, 'update', 'restore', { backup }), undefined);
  assert.equal((await other.write('decrypt/k', { ciphertext: ct1 })).data?.['plaintext'], b64('one'));
  assert.equal((await other.write('decrypt/k', { ciphertext: ct2 })).data?.['plaintext'], b64('two'));
  const restored = (await other.read('keys/k'))!.data!;
  assert.equal(restored['latest_version'], 2);
  assert.deepEqual(restored['restore_info'], { time: '2026-01-01T00:00:00Z', version: 2 });
  // Under another name; refusing to overwrite without force.
  await call(other.transit, 'update', 'restore/copy', { backup });
  assert.equal((await other.write('decrypt/copy', { ciphertext: ct1 })).data?.['plaintext'], b64('one'));
  await other.fails('update', 'restore/copy', { backup }, 500, 'key "copy" already exists');
  await call(other.transit, 'update', 'restore/copy', { backup, force: true });
  await other.fails('update', 'restore', {}, 400, "'backup' must be supplied");
  await other.fails('update', 'restore/x', { backup: 'not base64!' }, 500, 'illegal base64 data at input byte 3');
  await other.fails('update', 'restore/x', { backup: b64('{"format":"nope"}') }, 500, 'invalid backup: unknown format');
  const doc = JSON.parse(Buffer.from(backup, 'base64').toString('utf8')) as { policy: { versions: Record<string, { key: string }> } };
  doc.policy.versions['1']!.key = b64('short');
  await other.fails('update', 'restore/x', { backup: b64(JSON.stringify(doc)) }, 500, 'invalid backup: bad key material');
  assert.equal(await other.read('keys/x'), undefined);
});

test('key material is stored through the mount view only, never in responses of reads', async () => {
  const t = setupTransit();
  await t.write('keys/k', { exportable: true });
  const keys = t.storage.keys();
  assert.deepEqual(keys, [`${t.prefix}policy/k`]);
  const exported = (await t.read('export/encryption-key/k/1'))!.data!['keys'] as Record<string, string>;
  const read = JSON.stringify(await t.read('keys/k'));
  assert.ok(!read.includes(exported['1']!));
});

test('auto-rotation rotates keys whose period has elapsed', async () => {
  const t = setupTransit();
  await t.transit.initialize?.();
  await t.write('keys/auto', { auto_rotate_period: '1h' });
  await t.write('keys/manual');
  // The check runs every AUTO_ROTATE_CHECK_MS of (fake) time; let each pass finish.
  const tick = async (minutes: number): Promise<void> => {
    for (let i = 0; i < (minutes * 60_000) / AUTO_ROTATE_CHECK_MS; i++) {
      t.clock.advance(AUTO_ROTATE_CHECK_MS);
      for (let j = 0; j < 10; j++) await new Promise((r) => setImmediate(r));
    }
  };
  await tick(30);
  assert.equal((await t.read('keys/auto'))!.data!['latest_version'], 1);
  await tick(32);
  assert.equal((await t.read('keys/auto'))!.data!['latest_version'], 2);
  assert.equal((await t.read('keys/manual'))!.data!['latest_version'], 1);
  await t.transit.cleanup?.();
  await tick(120);
  assert.equal((await t.read('keys/auto'))!.data!['latest_version'], 2, 'no rotation after cleanup');
});

test('auto-rotation skips while the mount follows a primary and resumes after promotion', async () => {
  const t = setupTransit();
  let secondary = true;
  let local = false;
  const transit = transitFactory({ ...t.ctx, mount: { ...t.ctx.mount, get local() { return local; } }, isPerfSecondary: () => secondary });
  await transit.initialize?.();
  await call(transit, 'update', 'keys/auto', { auto_rotate_period: '1h' });
  const version = async (): Promise<unknown> => (await call(transit, 'read', 'keys/auto'))!.data!['latest_version'];
  const tick = async (minutes: number): Promise<void> => {
    for (let i = 0; i < (minutes * 60_000) / AUTO_ROTATE_CHECK_MS; i++) {
      t.clock.advance(AUTO_ROTATE_CHECK_MS);
      for (let j = 0; j < 10; j++) await new Promise((r) => setImmediate(r));
    }
  };
  // Storage stays writable here, so a pass that ran would show as a new version.
  const writes = t.storage.writes;
  await tick(180);
  assert.equal(await version(), 1, 'a secondary leaves rotation to the primary');
  assert.equal(t.storage.writes, writes, 'nothing written at the secondary');
  // A local mount on a secondary is the secondary's own: it rotates.
  local = true;
  await tick(1);
  assert.equal(await version(), 2);
  local = false;
  await tick(120);
  assert.equal(await version(), 2);
  // Promoted: the next check rotates the overdue key.
  secondary = false;
  await tick(1);
  assert.equal(await version(), 3);
  await transit.cleanup?.();
});

test('concurrent changes of one key serialise; concurrent upserts make one key', async () => {
  const t = setupTransit();
  await t.write('keys/k');
  await Promise.all(Array.from({ length: 10 }, () => t.write('keys/k/rotate')));
  const read = (await t.read('keys/k'))!.data!;
  assert.equal(read['latest_version'], 11);
  assert.equal(Object.keys(read['keys'] as object).length, 11);

  const created = await Promise.all(Array.from({ length: 5 }, (_, i) => call(t.transit, 'create', 'encrypt/up', { plaintext: b64(`p${i}`) })));
  assert.equal(created.filter((r) => r?.warnings?.some((w) => w.includes('created beforehand'))).length, 4);
  for (const [i, r] of created.entries()) {
    const dec = await t.write('decrypt/up', { ciphertext: r?.data?.['ciphertext'] });
    assert.equal(dec.data?.['plaintext'], b64(`p${i}`));
  }
  assert.equal((await t.read('keys/up'))!.data!['latest_version'], 1);
});

test('hmac keys: key_size bytes of material, used by hmac/ and verify, refused elsewhere; rotate, export, backup keep the size', async () => {
  const t = setupTransit();
  const created = (await t.write('keys/mac', { type: 'hmac', key_size: 64, exportable: true, allow_plaintext_backup: true })).data!;
  assert.equal(created['type'], 'hmac');
  assert.deepEqual(
    [created['supports_encryption'], created['supports_decryption'], created['supports_signing'], created['supports_derivation']],
    [false, false, false, false],
  );
  assert.deepEqual(Object.keys(created['keys'] as Record<string, unknown>), ['1']);
  const key1 = Buffer.from(String(((await t.read('export/hmac-key/mac/1'))!.data!['keys'] as Record<string, string>)['1']), 'base64');
  assert.equal(key1.length, 64);

  const input = b64('message');
  const mac = String((await t.write('hmac/mac/sha2-512', { input })).data!['hmac']);
  assert.equal(mac, `vault:v1:${createHmac('sha512', key1).update('message').digest('base64')}`, 'the key itself is the HMAC key');
  assert.deepEqual((await t.write('verify/mac/sha2-512', { input, hmac: mac })).data, { valid: true });
  assert.deepEqual((await t.write('verify/mac/sha2-512', { input: b64('other'), hmac: mac })).data, { valid: false });

  await t.fails('update', 'encrypt/mac', { plaintext: input }, 400, 'message encryption not supported for key type hmac');
  await t.fails('update', 'decrypt/mac', { ciphertext: 'vault:v1:AAAA' }, 400, 'message decryption not supported for key type hmac');
  await t.fails('update', 'sign/mac', { input }, 400, 'key type hmac does not support signing');
  await t.fails('update', 'datakey/plaintext/mac', {}, 400, 'message encryption not supported for key type hmac');
  await t.fails('read', 'export/encryption-key/mac', {}, 400, 'encryption not supported for the key');

  await t.write('keys/mac/rotate');
  const keys = (await t.read('export/hmac-key/mac'))!.data!['keys'] as Record<string, string>;
  assert.equal(Buffer.from(keys['2']!, 'base64').length, 64, 'a rotation keeps key_size');
  assert.notEqual(keys['2'], keys['1']);
  assert.match(String((await t.write('hmac/mac', { input })).data!['hmac']), /^vault:v2:/);

  const backup = String((await t.read('backup/mac'))!.data!['backup']);
  const other = setupTransit();
  await call(other.transit, 'update', 'restore', { backup });
  assert.equal(String((await other.write('hmac/mac/sha2-512', { input, key_version: 1 })).data!['hmac']), mac, 'restored keys give the same HMACs');
  await other.write('keys/mac/rotate');
  assert.equal(Buffer.from(String(((await other.read('export/hmac-key/mac/3'))!.data!['keys'] as Record<string, string>)['3']), 'base64').length, 64);

  const plain = (await t.write('keys/mac32', { type: 'hmac' })).data!;
  assert.equal(plain['type'], 'hmac');
  await t.fails('update', 'keys/x', { type: 'hmac', key_size: 16 }, 400, 'invalid key_size 16: hmac keys are 32 to 512 bytes');
  await t.fails('update', 'keys/x', { type: 'hmac', key_size: 513 }, 400, 'invalid key_size 513: hmac keys are 32 to 512 bytes');
  await t.fails('update', 'keys/x', { type: 'aes256-gcm96', key_size: 64 }, 400, 'key_size is not valid for algorithm aes256-gcm96');
  await t.fails('update', 'keys/x', { type: 'hmac', derived: true }, 400, 'key derivation and convergent encryption not supported for keys of type hmac');
});
