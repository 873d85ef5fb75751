/**
 * Signatures (sign/ and verify/ with a signature) and HMACs (hmac/ and verify/ with an hmac)
 * of one input. Signatures read `vault:v<version>:<base64>`; JWS marshaling uses raw URL-safe
 * base64 and, for ECDSA, the fixed-size r||s form.
 */
import { constants, createHash, createHmac, sign as nodeSign, timingSafeEqual, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { BadRequestError } from '../../errors.js';
import { decodeBase64, encodeBase64, encodeBase64RawURL } from './base64.js';
import { encryptionVersion, parseVersioned, PREFIX } from './encryption.js';
import { ed25519FromSeed, rawEd25519Public, requirePrivate } from './key-material.js';
import { typeInfo } from './key-types.js';
import { secretFor, versionOf, type LoadedKey } from './loaded-key.js';
import { signPkcs1Digest, signPssDigest, verifyPkcs1Digest, verifyPssDigest } from './rsa-raw.js';
import { signEcdsaDigest, verifyEcdsaDigest } from './ecdsa-raw.js';

export interface SignatureOptions {
  /** Node digest name; undefined is hash_algorithm=none. */
  readonly hash: string | undefined;
  readonly prehashed: boolean;
  readonly signatureAlgorithm: 'pss' | 'pkcs1v15';
  readonly marshaling: 'asn1' | 'jws';
  /** PSS salt: 'auto' (max when signing, detected when verifying), 'hash' (digest size) or bytes. */
  readonly saltLength: 'auto' | 'hash' | number;
  readonly context?: Buffer;
}

interface SigningKeys {
  /** Absent for a version imported with its public key only: it verifies, it cannot sign. */
  readonly privateKey?: KeyObject;
  readonly publicKey: KeyObject;
  readonly version: number;
  /** Raw Ed25519 public key of a derived key (Vault returns it with the signature). */
  readonly derivedPublic?: Buffer;
}

function keysFor(key: LoadedKey, version: number, context: Buffer | undefined): SigningKeys {
  const v = versionOf(key, version);
  if (key.policy.type === 'ed25519' && key.policy.derived) {
    requirePrivate(v);
    const pair = ed25519FromSeed(secretFor(key, v, context));
    return { ...pair, version, derivedPublic: rawEd25519Public(pair.publicKey) };
  }
  return { ...(v.privateKey !== undefined ? { privateKey: v.privateKey } : {}), publicKey: v.publicKey!, version };
}

function pssSalt(opts: SignatureOptions, forSigning: true): number | 'max';
function pssSalt(opts: SignatureOptions, forSigning: false): number | 'auto';
function pssSalt(opts: SignatureOptions, forSigning: boolean): number | 'max' | 'auto' {
  if (opts.saltLength === 'hash') return opts.hash === undefined ? 0 : createHash(opts.hash).digest().length;
  if (opts.saltLength === 'auto') return forSigning ? 'max' : 'auto';
  return opts.saltLength;
}

function nodeSalt(salt: number | 'max' | 'auto'): number {
  if (salt === 'max') return constants.RSA_PSS_SALTLEN_MAX_SIGN;
  if (salt === 'auto') return constants.RSA_PSS_SALTLEN_AUTO;
  return salt;
}

function rawSignature(key: LoadedKey, keys: SigningKeys, input: Buffer, opts: SignatureOptions): Buffer {
  const family = typeInfo(key.policy.type).family;
  const privateKey = keys.privateKey;
  if (privateKey === undefined) throw new BadRequestError(`private key not imported for key version: ${keys.version}`);
  if (family === 'ed25519') return nodeSign(null, input, privateKey);
  if (family === 'ecdsa') {
    const dsaEncoding = opts.marshaling === 'jws' ? 'ieee-p1363' : 'der';
    if (opts.prehashed) return signEcdsaDigest(privateKey, input, dsaEncoding);
    return nodeSign(opts.hash!, input, { key: privateKey, dsaEncoding });
  }
  if (opts.signatureAlgorithm === 'pkcs1v15') {
    if (opts.prehashed) return signPkcs1Digest(privateKey, opts.hash, input);
    return nodeSign(opts.hash!, input, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
  }
  const salt = pssSalt(opts, true);
  if (opts.prehashed) return signPssDigest(privateKey, opts.hash!, input, salt);
  return nodeSign(opts.hash!, input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: nodeSalt(salt) });
}

export interface Signed {
  readonly signature: string;
  readonly version: number;
  readonly publicKey?: Buffer;
}

export function signInput(key: LoadedKey, input: Buffer, keyVersion: number, opts: SignatureOptions): Signed {
  const version = encryptionVersion(key, keyVersion, 'signing');
  const keys = keysFor(key, version, opts.context);
  const sig = rawSignature(key, keys, input, opts);
  const encoded = opts.marshaling === 'jws' ? encodeBase64RawURL(sig) : encodeBase64(sig);
  return { signature: `${PREFIX}${version}:${encoded}`, version, ...(keys.derivedPublic ? { publicKey: keys.derivedPublic } : {}) };
}

export function verifyInput(key: LoadedKey, input: Buffer, signature: string, opts: SignatureOptions): boolean {
  const { version, rest } = parseVersioned(key, signature, 'signature');
  let sig: Buffer;
  try {
    sig = decodeBase64(rest, opts.marshaling !== 'jws');
  } catch {
    throw new BadRequestError('invalid base64 signature value');
  }
  const keys = keysFor(key, version, opts.context);
  const family = typeInfo(key.policy.type).family;
  try {
    if (family === 'ed25519') return nodeVerify(null, input, keys.publicKey, sig);
    if (family === 'ecdsa') {
      const dsaEncoding = opts.marshaling === 'jws' ? 'ieee-p1363' : 'der';
      if (opts.prehashed) return verifyEcdsaDigest(keys.publicKey, input, sig, dsaEncoding);
      return nodeVerify(opts.hash!, input, { key: keys.publicKey, dsaEncoding }, sig);
    }
    if (opts.signatureAlgorithm === 'pkcs1v15') {
      if (opts.prehashed) return verifyPkcs1Digest(keys.publicKey, opts.hash, input, sig);
      return nodeVerify(opts.hash!, input, { key: keys.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig);
    }
    const salt = pssSalt(opts, false);
    if (opts.prehashed) return verifyPssDigest(keys.publicKey, opts.hash!, input, sig, salt);
    return nodeVerify(opts.hash!, input, { key: keys.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: nodeSalt(salt) }, sig);
  } catch (err) {
    if (err instanceof BadRequestError) throw err;
    // A malformed signature is an invalid one, not a failed request.
    return false;
  }
}

// ---- HMAC ----

/** The HMAC key of a version, with Vault's rules and texts for out-of-window versions. */
function hmacKeyOf(key: LoadedKey, version: number): Buffer {
  const p = key.policy;
  if (version < p.minDecryptionVersion) throw new BadRequestError(`key version disallowed by policy (minimum is ${p.minDecryptionVersion})`);
  if (version > p.latestVersion) throw new BadRequestError(`key version does not exist; latest key version is ${p.latestVersion}`);
  return versionOf(key, version).hmacKey;
}

/** The version hmac/ uses: 0 = latest; never below min_encryption_version. */
export function hmacVersion(key: LoadedKey, requested: number): number {
  const p = key.policy;
  if (requested === 0) return p.latestVersion;
  if (requested !== p.latestVersion && p.minEncryptionVersion > 0 && requested < p.minEncryptionVersion) {
    throw new BadRequestError('cannot generate HMAC: version is too old (disallowed by policy)');
  }
  hmacKeyOf(key, requested);
  return requested;
}

export function hmacInput(key: LoadedKey, version: number, hash: string, input: Buffer): string {
  const mac = createHmac(hash, hmacKeyOf(key, version)).update(input).digest();
  return `${PREFIX}${version}:${mac.toString('base64')}`;
}

/** Check `vault:v<N>:<base64 mac>` against the input; per-item errors carry Vault's texts. */
export function verifyHmac(key: LoadedKey, hash: string, input: Buffer, given: string): boolean {
  if (!given.startsWith(PREFIX)) throw new BadRequestError('invalid HMAC to verify: no prefix');
  const tail = given.slice(PREFIX.length);
  const colon = tail.indexOf(':');
  if (colon < 0) throw new BadRequestError('invalid HMAC: wrong number of fields');
  const digits = tail.slice(0, colon);
  if (!/^[+-]?[0-9]+$/.test(digits) || !Number.isSafeInteger(Number(digits))) {
    throw new BadRequestError('invalid HMAC: version number could not be decoded');
  }
  let mac: Buffer;
  try {
    mac = decodeBase64(tail.slice(colon + 1));
  } catch (err) {
    throw new BadRequestError(`unable to decode verification HMAC as base64: ${err instanceof Error ? err.message : String(err)}`);
  }
  const version = Number(digits);
  const p = key.policy;
  if (version > p.latestVersion) throw new BadRequestError('invalid HMAC: version is too new');
  if (p.minDecryptionVersion > 0 && version < p.minDecryptionVersion) {
    throw new BadRequestError('cannot verify HMAC: version is too old (disallowed by policy)');
  }
  const expected = createHmac(hash, hmacKeyOf(key, version)).update(input).digest();
  return expected.length === mac.length && timingSafeEqual(expected, mac);
}
