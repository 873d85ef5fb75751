/**
 * Encryption and decryption of one value with a key, producing and reading Vault's
 * ciphertext format `vault:v<version>:<base64>`. For the AEAD types the base64 part is
 * nonce (12 bytes) || ciphertext || tag (16 bytes), Vault's layout; RSA keys use RSA-OAEP
 * with SHA-256. User mistakes throw BadRequestError with Vault's texts.
 */
import { constants, createCipheriv, createDecipheriv, createHmac, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { BadRequestError } from '../../errors.js';
import { Base64Error, decodeBase64 } from './base64.js';
import { cipherKeyFor, versionOf, type LoadedKey } from './loaded-key.js';
import { requirePrivate } from './key-material.js';
import { typeInfo } from './key-types.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const PREFIX = 'vault:v';

/** Vault's error for a ciphertext or signature older than min_decryption_version. */
export const TOO_OLD = 'ciphertext or signature version is disallowed by policy (too old)';

export interface EncryptInput {
  readonly plaintext: Buffer;
  readonly context?: Buffer;
  readonly associatedData?: Buffer;
  /** 0 = latest. */
  readonly keyVersion: number;
}

/** The version an encryption-type operation (encrypt, sign, hmac...) may use. */
export function encryptionVersion(key: LoadedKey, requested: number, op: 'encryption' | 'signing'): number {
  const p = key.policy;
  if (requested === 0) return p.latestVersion;
  if (requested < 0) throw new BadRequestError(`requested version for ${op} is negative`);
  if (requested > p.latestVersion) throw new BadRequestError(`requested version for ${op} is higher than the latest key version`);
  if (p.minEncryptionVersion > 0 && requested < p.minEncryptionVersion) {
    throw new BadRequestError(`requested version for ${op} is less than the minimum encryption key version`);
  }
  return requested;
}

/**
 * Random nonces are cut from a pool refilled from the CSPRNG every 4 KiB: one randomBytes
 * call per ~340 encryptions instead of one each. Nonces are public (they lead every
 * ciphertext) and each pool byte is handed out once.
 */
const NONCE_POOL_BYTES = 4096;
let noncePool = Buffer.alloc(0);
let noncePoolOffset = 0;

function randomNonce(): Buffer {
  if (noncePoolOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_BYTES);
    noncePoolOffset = 0;
  }
  const nonce = Buffer.from(noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_BYTES));
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

/** Deterministic nonce of convergent keys: a keyed PRF of context and plaintext. */
function convergentNonce(hmacKey: Buffer, context: Buffer, plaintext: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(context.length);
  return createHmac('sha256', hmacKey).update(len).update(context).update(plaintext).digest().subarray(0, NONCE_BYTES);
}

export function encryptValue(key: LoadedKey, input: EncryptInput): { ciphertext: string; version: number } {
  const p = key.policy;
  const info = typeInfo(p.type);
  if (!info.encryption) throw new BadRequestError(`message encryption not supported for key type ${p.type}`);
  const version = encryptionVersion(key, input.keyVersion, 'encryption');
  const v = versionOf(key, version);
  let body: Buffer;
  if (info.family === 'rsa') {
    try {
      body = publicEncrypt({ key: v.publicKey!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, input.plaintext);
    } catch {
      throw new BadRequestError('failed to RSA encrypt the plaintext: crypto/rsa: message too long for RSA key size');
    }
  } else {
    const secret = cipherKeyFor(key, v, input.context);
    const nonce = p.convergentEncryption ? convergentNonce(v.hmacKey, input.context ?? Buffer.alloc(0), input.plaintext) : randomNonce();
    // The GCM overload types the call; chacha20-poly1305 takes the same options and layout.
    const cipher = createCipheriv(info.cipher as 'aes-256-gcm', secret, nonce, { authTagLength: TAG_BYTES });
    if (input.associatedData !== undefined && input.associatedData.length > 0) cipher.setAAD(input.associatedData);
    body = Buffer.concat([nonce, cipher.update(input.plaintext), cipher.final(), cipher.getAuthTag()]);
  }
  return { ciphertext: `${PREFIX}${version}:${body.toString('base64')}`, version };
}

/** Split `vault:v<N>:<rest>` and check N against the key's window. */
export function parseVersioned(key: LoadedKey, value: string, what: 'ciphertext' | 'signature'): { version: number; rest: string } {
  if (!value.startsWith(PREFIX)) throw new BadRequestError(`invalid ${what}: no prefix`);
  const tail = value.slice(PREFIX.length);
  const colon = tail.indexOf(':');
  if (colon < 0) throw new BadRequestError(`invalid ${what}: wrong number of fields`);
  const digits = tail.slice(0, colon);
  if (!/^[+-]?[0-9]+$/.test(digits) || !Number.isSafeInteger(Number(digits))) {
    throw new BadRequestError(`invalid ${what}: version number could not be decoded`);
  }
  // Version 0 is the original numbering of Vault's first keys; it means 1.
  const parsed = Number(digits);
  const version = parsed === 0 ? 1 : parsed;
  const p = key.policy;
  if (version > p.latestVersion) throw new BadRequestError(`invalid ${what}: version is too new`);
  if (p.minDecryptionVersion > 0 && version < p.minDecryptionVersion) throw new BadRequestError(TOO_OLD);
  return { version, rest: tail.slice(colon + 1) };
}

export interface DecryptInput {
  readonly ciphertext: string;
  readonly context?: Buffer;
  readonly associatedData?: Buffer;
}

export function decryptValue(key: LoadedKey, input: DecryptInput): Buffer {
  const p = key.policy;
  const info = typeInfo(p.type);
  if (!info.decryption) throw new BadRequestError(`message decryption not supported for key type ${p.type}`);
  const { version, rest } = parseVersioned(key, input.ciphertext, 'ciphertext');
  let body: Buffer;
  try {
    body = decodeBase64(rest);
  } catch (err) {
    if (err instanceof Base64Error) throw new BadRequestError('invalid ciphertext: could not decode base64');
    throw err;
  }
  const v = versionOf(key, version);
  if (info.family === 'rsa') {
    const privateKey = requirePrivate(v);
    try {
      return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, body);
    } catch {
      throw new BadRequestError('failed to RSA decrypt the ciphertext: crypto/rsa: decryption error');
    }
  }
  const secret = cipherKeyFor(key, v, input.context);
  if (body.length < NONCE_BYTES + TAG_BYTES) throw new BadRequestError('invalid ciphertext length');
  // The GCM overload types the call; chacha20-poly1305 takes the same options and layout.
  const decipher = createDecipheriv(info.cipher as 'aes-256-gcm', secret, body.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  if (input.associatedData !== undefined && input.associatedData.length > 0) decipher.setAAD(input.associatedData);
  try {
    return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new BadRequestError('cipher: message authentication failed');
  }
}
