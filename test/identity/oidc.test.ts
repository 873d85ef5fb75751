/**
 * Identity tokens below the HTTP layer: JWS signing and verification for every algorithm, the
 * claims template, and named-key rotation (signing -> retired, next -> signing, expiry of
 * retired public keys) on in-memory storage with a fake clock.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { test } from 'node:test';
import { StorageView } from '../../src/logical/storage.js';
import { checkTemplate, renderClaims, templateText } from '../../src/identity/oidc/claims-template.js';
import { OidcStore } from '../../src/identity/oidc/oidc-store.js';
import { ALGORITHMS, decodeJwt, newKeyPair, signJwt, verifyJwt } from '../../src/identity/oidc/signing-keys.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { OIDC_ROTATION_CHECK_MS } from '../../src/identity/backend.js';
import { identityNode } from './harness.js';

test('oidc signing: every algorithm signs a JWT its published JWK verifies, and nothing else does', async () => {
  for (const alg of ALGORITHMS) {
    const pair = await newKeyPair(alg);
    const other = await newKeyPair(alg);
    assert.equal(pair.publicJwk.alg, alg);
    assert.equal(pair.publicJwk.use, 'sig');
    assert.equal(pair.publicJwk.kid, pair.kid);
    assert.ok(!('d' in pair.publicJwk), `${alg}: the published JWK holds no private part`);
    const jwt = signJwt(pair, { sub: 'e1', aud: 'c1', n: 1 });
    const decoded = decodeJwt(jwt);
    assert.ok(decoded !== undefined);
    assert.deepEqual(decoded.header, { alg, kid: pair.kid });
    assert.deepEqual(decoded.claims, { sub: 'e1', aud: 'c1', n: 1 });
    assert.equal(verifyJwt(decoded, pair.publicJwk), true, `${alg}: own key verifies`);
    assert.equal(verifyJwt(decoded, other.publicJwk), false, `${alg}: another key does not`);
    // A changed payload under the same signature fails.
    const [h, , s] = jwt.split('.');
    const forged = decodeJwt(`${h}.${Buffer.from(JSON.stringify({ sub: 'e2', aud: 'c1', n: 1 })).toString('base64url')}.${s}`);
    assert.ok(forged !== undefined);
    assert.equal(verifyJwt(forged, pair.publicJwk), false, `${alg}: forged claims rejected`);
    // The signature is the JWS form (raw r||s for ECDSA), checked here with node's verifier directly.
    const { kid: _k, alg: _a, use: _u, ...material } = pair.publicJwk;
    const key = createPublicKey({ key: material, format: 'jwk' });
    const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
    const ok = alg.startsWith('ES')
      ? verify(hash, Buffer.from(decoded.signingInput), { key, dsaEncoding: 'ieee-p1363' }, decoded.signature)
      : verify(hash, Buffer.from(decoded.signingInput), key, decoded.signature);
    assert.equal(ok, true, `${alg}: signature format`);
  }
  assert.equal(decodeJwt('not-a-jwt'), undefined);
  assert.equal(decodeJwt('a.b.c'), undefined);
});

test('oidc claims template: parameters become JSON values, missing ones empty, reserved keys refused', () => {
  const ctx = {
    entity: {
      id: 'ent-1',
      name: 'bob',
      metadata: { color: 'green' },
      aliases: [{ mountAccessor: 'auth_userpass_1', id: 'al-1', name: 'bobby', metadata: { dept: 'eng' }, customMetadata: { tier: 'gold' } }],
    },
    groups: [
      { id: 'g1', name: 'web' },
      { id: 'g2', name: 'engr' },
    ],
  };
  const template = `{
    "color": {{identity.entity.metadata.color}},
    "missing": {{identity.entity.metadata.nope}},
    "meta": {{identity.entity.metadata}},
    "userinfo": { "username": {{identity.entity.aliases.auth_userpass_1.name}}, "groups": {{identity.entity.groups.names}} },
    "gids": {{identity.entity.groups.ids}},
    "dept": {{ identity.entity.aliases.auth_userpass_1.metadata.dept }},
    "custom": {{identity.entity.aliases.auth_userpass_1.custom_metadata}},
    "other_mount": {{identity.entity.aliases.auth_other.metadata}},
    "nbf": {{time.now}}, "later": {{time.now.plus.1h}}, "earlier": {{time.now.minus.90s}},
    "name": {{identity.entity.name}}, "id": {{identity.entity.id}}
  }`;
  assert.deepEqual(renderClaims(template, ctx, 1000), {
    color: 'green',
    missing: '',
    meta: { color: 'green' },
    userinfo: { username: 'bobby', groups: ['web', 'engr'] },
    gids: ['g1', 'g2'],
    dept: 'eng',
    custom: { tier: 'gold' },
    other_mount: {},
    nbf: 1000,
    later: 4600,
    earlier: 910,
    name: 'bob',
    id: 'ent-1',
  });
  // Base64-encoded templates are decoded; empty means no extra claims.
  assert.deepEqual(renderClaims(Buffer.from('{"n": {{identity.entity.name}}}').toString('base64'), ctx, 0), { n: 'bob' });
  assert.equal(templateText('{"a":1}'), '{"a":1}');
  assert.deepEqual(renderClaims('', ctx, 0), {});
  assert.throws(() => checkTemplate('{"sub": "x"}'), /top level key "sub" not allowed/);
  assert.throws(() => checkTemplate('{"a": {{identity.entity.nope}}}'), /unknown template parameter "identity.entity.nope"/);
  assert.throws(() => checkTemplate('{"a": '), /error parsing template JSON/);
  assert.throws(() => checkTemplate('["a"]'), /must be a JSON object/);
  assert.throws(() => checkTemplate('{"a": {{time.now.plus.soon}}}'), /invalid duration/);
  // Nested reserved names are fine: only the top level is the token's own.
  checkTemplate('{"userinfo": {"sub": "x"}}');
});

test('oidc named keys: rotation moves next to signing, retires the old signer for verification_ttl, and expires it', async () => {
  let now = 1_700_000_000_000;
  const store = new OidcStore(new StorageView(new MemoryStorage(), 'identity-mount/'));
  await store.writeKey('k', async () => ({ algorithm: 'ES256', rotationPeriod: 3600, verificationTtl: 600, allowedClientIds: ['*'] }), now);
  const first = await store.key('k');
  assert.ok(first !== undefined);
  assert.equal(first.nextRotation, now + 3600_000);
  assert.deepEqual(
    (await store.publicKeys(now)).map((k) => k.kid),
    [first.signing.kid, first.next.kid],
    'signing and next keys are published from the start',
  );

  // Manual rotation with an overridden verification TTL.
  now += 1000;
  assert.equal(await store.rotateKey('k', now, 60), true);
  const second = await store.key('k');
  assert.ok(second !== undefined);
  assert.equal(second.signing.kid, first.next.kid, 'the published next key signs now');
  assert.notEqual(second.next.kid, first.next.kid);
  assert.deepEqual(second.retired.map((r) => [r.jwk.kid, r.expires]), [[first.signing.kid, now + 60_000]]);
  assert.equal(await store.rotateKey('missing', now), false);

  // Not due yet: nothing changes but expired retired keys.
  await store.rotateDue(now + 30_000);
  assert.equal((await store.key('k'))?.signing.kid, second.signing.kid);
  await store.rotateDue(now + 61_000);
  assert.deepEqual((await store.key('k'))?.retired, [], 'the retired key expired');
  assert.ok(!(await store.publicKeys(now + 61_000)).some((k) => k.kid === first.signing.kid));

  // Due: rotated by the periodic check, with the key's own verification TTL.
  const due = second.nextRotation;
  await store.rotateDue(due);
  const third = await store.key('k');
  assert.ok(third !== undefined);
  assert.equal(third.signing.kid, second.next.kid);
  assert.equal(third.nextRotation, due + 3600_000);
  assert.deepEqual(third.retired.map((r) => [r.jwk.kid, r.expires]), [[second.signing.kid, due + 600_000]]);

  // A new algorithm replaces both pairs; the old ones stay verifiable for verification_ttl.
  await store.writeKey('k', async (old) => ({ ...(old as NonNullable<typeof old>), algorithm: 'RS256' }), due + 1);
  const fourth = await store.key('k');
  assert.ok(fourth !== undefined);
  assert.equal(fourth.algorithm, 'RS256');
  assert.equal(fourth.signing.publicJwk.kty, 'RSA');
  assert.deepEqual(
    fourth.retired.map((r) => r.jwk.kid),
    [second.signing.kid, third.signing.kid, third.next.kid],
  );
  // Settings that keep the algorithm and period keep the keys and the rotation time.
  await store.writeKey('k', async (old) => ({ ...(old as NonNullable<typeof old>), allowedClientIds: ['a'] }), due + 2);
  const fifth = await store.key('k');
  assert.equal(fifth?.signing.kid, fourth.signing.kid);
  assert.equal(fifth?.nextRotation, fourth.nextRotation);
  assert.deepEqual(fifth?.allowedClientIds, ['a']);
});

test('oidc named keys rotate by themselves on the node that writes the mount, on its clock', async () => {
  const h = await identityNode();
  try {
    await h.call('update', 'identity/oidc/key/auto', { algorithm: 'ES256', rotation_period: '1m', verification_ttl: '2m', allowed_client_ids: '*' });
    const jwks = async (): Promise<string[]> => ((await h.call('read', 'identity/oidc/.well-known/keys', {}, ''))?.raw?.body as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const first = await jwks();
    assert.equal(first.length, 2);
    // Step by step, letting each check (key generation runs on libuv's pool) finish and re-arm.
    const advance = async (ms: number): Promise<void> => {
      for (let done = 0; done < ms; done += 10_000) {
        h.clock.advance(10_000);
        for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
      }
    };
    await advance(OIDC_ROTATION_CHECK_MS);
    assert.deepEqual(await jwks(), first, 'not due yet');
    await advance(60_000);
    const second = await jwks();
    assert.equal(second.length, 3, 'rotated: new signer, new next key, the old signer retired');
    assert.ok(first.every((kid) => second.includes(kid)));
    // Two minutes after that rotation the retired key is gone, and the key rotated again meanwhile.
    await advance(3 * 60_000);
    const later = await jwks();
    assert.ok(!later.includes(first[0]!), 'the first signer expired from the JWKS');
  } finally {
    await h.close();
  }
});
