/**
 * Key material of one key version: generated here, stored as plain JSON fields (the barrier
 * encrypts the whole record), and parsed once into Node KeyObjects that the cache keeps, so
 * a request never re-parses a key.
 */
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { BadRequestError } from '../../errors.js';
import { MAX_HMAC_KEY_SIZE, MIN_HMAC_KEY_SIZE, typeInfo, type KeyType } from './key-types.js';

/** One version as stored. Binary fields are base64. */
export interface StoredVersion {
  /** Milliseconds since the epoch. */
  readonly creationTime: number;
  /** 32 random bytes: the version's HMAC key (hmac/, verify with hmac, convergent nonces); for an hmac key, its `key_size` bytes. */
  readonly hmacKey: string;
  /** Symmetric key bytes, or the Ed25519 seed. */
  readonly key?: string;
  /** PKCS#8 DER of an ECDSA or RSA private key. */
  readonly privateKey?: string;
  /**
   * SPKI DER of the public key of an asymmetric version imported without its private key
   * (`public_key`): it verifies (and, for RSA, encrypts) but cannot sign, decrypt or export.
   */
  readonly publicKey?: string;
}

/** One version ready for use. */
export interface LoadedVersion {
  readonly version: number;
  readonly creationTime: number;
  readonly hmacKey: Buffer;
  /** Symmetric key bytes or Ed25519 seed. */
  readonly secret?: Buffer;
  /** The symmetric key as a KeyObject, made once so ciphers need not import raw bytes per request. */
  readonly secretKey?: KeyObject;
  readonly privateKey?: KeyObject;
  readonly publicKey?: KeyObject;
}

const HMAC_KEY_BYTES = 32;
/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function generateVersion(type: KeyType, nowMs: number, keySize?: number): StoredVersion {
  const info = typeInfo(type);
  const hmacKey = randomBytes(info.family === 'hmac' ? (keySize ?? info.keyBytes) : HMAC_KEY_BYTES).toString('base64');
  switch (info.family) {
    case 'hmac':
      return { creationTime: nowMs, hmacKey };
    case 'symmetric':
    case 'ed25519':
      return { creationTime: nowMs, hmacKey, key: randomBytes(info.keyBytes).toString('base64') };
    case 'ecdsa': {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: info.curve! });
      return { creationTime: nowMs, hmacKey, privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') };
    }
    case 'rsa': {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: info.modulusBits! });
      return { creationTime: nowMs, hmacKey, privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') };
    }
  }
}

export function ed25519FromSeed(seed: Buffer): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Parse a stored version; throws when the material does not fit the type (a bad restore). */
export function loadVersion(type: KeyType, version: number, stored: StoredVersion): LoadedVersion {
  const info = typeInfo(type);
  const hmacKey = Buffer.from(stored.hmacKey, 'base64');
  const hmacFits = info.family === 'hmac' ? hmacKey.length >= MIN_HMAC_KEY_SIZE && hmacKey.length <= MAX_HMAC_KEY_SIZE : hmacKey.length === HMAC_KEY_BYTES;
  if (!hmacFits) throw new Error(`version ${version}: bad hmac key`);
  const base = { version, creationTime: stored.creationTime, hmacKey };
  switch (info.family) {
    case 'hmac':
      return base;
    case 'symmetric': {
      const secret = Buffer.from(stored.key ?? '', 'base64');
      if (secret.length !== info.keyBytes) throw new Error(`version ${version}: bad key length`);
      return { ...base, secret, secretKey: createSecretKey(secret) };
    }
    case 'ed25519': {
      if (stored.key === undefined && stored.publicKey !== undefined) return { ...base, publicKey: publicOnly(type, version, stored.publicKey) };
      const secret = Buffer.from(stored.key ?? '', 'base64');
      if (secret.length !== info.keyBytes) throw new Error(`version ${version}: bad key length`);
      return { ...base, secret, ...ed25519FromSeed(secret) };
    }
    case 'ecdsa':
    case 'rsa': {
      if (stored.privateKey === undefined && stored.publicKey !== undefined) return { ...base, publicKey: publicOnly(type, version, stored.publicKey) };
      const privateKey = createPrivateKey({ key: Buffer.from(stored.privateKey ?? '', 'base64'), format: 'der', type: 'pkcs8' });
      checkFits(type, version, privateKey);
      return { ...base, privateKey, publicKey: createPublicKey(privateKey) };
    }
  }
}

/** Throws unless the key (private or public) is of `type`: algorithm, curve, modulus. */
export function checkFits(type: KeyType, version: number, key: KeyObject): void {
  const info = typeInfo(type);
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    info.family === 'ed25519'
      ? key.asymmetricKeyType === 'ed25519'
      : info.family === 'ecdsa'
        ? key.asymmetricKeyType === 'ec' && details.namedCurve === curveOid(info.curve!)
        : key.asymmetricKeyType === 'rsa' && details.modulusLength === info.modulusBits;
  if (!fits) throw new Error(`version ${version}: key does not match type ${type}`);
}

function publicOnly(type: KeyType, version: number, spkiB64: string): KeyObject {
  const publicKey = createPublicKey({ key: Buffer.from(spkiB64, 'base64'), format: 'der', type: 'spki' });
  checkFits(type, version, publicKey);
  return publicKey;
}

/** The version's private key; a 400 for a version imported with its public key only. */
export function requirePrivate(v: LoadedVersion): KeyObject {
  if (v.privateKey === undefined) throw new BadRequestError(`private key not imported for key version: ${v.version}`);
  return v.privateKey;
}

/** Node reports curves by their OpenSSL names. */
function curveOid(curve: 'P-256' | 'P-384' | 'P-521'): string {
  return { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[curve];
}

/** The public key as Vault shows it: PEM (PKIX) for ECDSA and RSA, base64 raw for Ed25519. */
export function formatPublicKey(type: KeyType, publicKey: KeyObject): string {
  if (typeInfo(type).family === 'ed25519') return rawEd25519Public(publicKey).toString('base64');
  return publicKey.export({ format: 'pem', type: 'spki' }).toString();
}

export function rawEd25519Public(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}

/** Export formats of export/signing-key and export/encryption-key for asymmetric types. */
export function exportPrivateKey(type: KeyType, v: LoadedVersion): string {
  const family = typeInfo(type).family;
  const privateKey = requirePrivate(v);
  if (family === 'ed25519') {
    // Go's ed25519.PrivateKey: seed followed by the public key.
    return Buffer.concat([v.secret!, rawEd25519Public(v.publicKey!)]).toString('base64');
  }
  if (family === 'ecdsa') return privateKey.export({ format: 'pem', type: 'sec1' }).toString();
  return privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
}
