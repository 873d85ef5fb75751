/**
 * AES-256-GCM boxes: [1-byte version = 1][12-byte random nonce][ciphertext][16-byte tag].
 * The additional authenticated data is always the storage key the box is stored under, so a
 * box copied to another key fails to open. Used for barrier entries (behind a term prefix),
 * the keyring (under the root key) and the seal's stored root key (under the unseal key).
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

export const BOX_VERSION = 1;
export const KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
/** Bytes a box adds to its plaintext. */
export const BOX_OVERHEAD = 1 + NONCE_LENGTH + TAG_LENGTH;

/** A box that does not open: wrong key, wrong AAD, tampered or truncated bytes. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/**
 * Random nonces come from a pool refilled by the CSPRNG a few KiB at a time: one call per 341
 * encryptions instead of one each (every write encrypts). Each pool byte is used once, and a
 * nonce is consumed (copied by the cipher and into the box) before the pool can be refilled.
 */
const noncePool = Buffer.alloc(NONCE_LENGTH * 341);
let noncePoolOffset = noncePool.length;

function nextNonce(): Buffer {
  if (noncePoolOffset + NONCE_LENGTH > noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_LENGTH);
  noncePoolOffset += NONCE_LENGTH;
  return nonce;
}

export function encryptWith(key: Buffer, aad: string | Buffer, plaintext: Buffer): Buffer {
  return encryptAfter(0, key, aad, plaintext);
}

/**
 * A box preceded by `headroom` zero bytes for the caller's own header (the barrier's term), so
 * an entry is built in one allocation instead of three (every write encrypts).
 */
export function encryptAfter(headroom: number, key: Buffer, aad: string | Buffer, plaintext: Buffer): Buffer {
  if (key.length !== KEY_LENGTH) throw new RangeError(`encryption key must be ${KEY_LENGTH} bytes`);
  const nonce = nextNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  // Every byte is written below (the headroom zeroed), so the unzeroed pool allocation is safe.
  const out = Buffer.allocUnsafe(headroom + BOX_OVERHEAD + body.length + final.length);
  out.fill(0, 0, headroom);
  let at = headroom;
  out[at++] = BOX_VERSION;
  at += nonce.copy(out, at);
  at += body.copy(out, at);
  at += final.copy(out, at);
  cipher.getAuthTag().copy(out, at);
  return out;
}

export function decryptWith(key: Buffer, aad: string | Buffer, box: Buffer): Buffer {
  if (key.length !== KEY_LENGTH) throw new DecryptionError(`decryption key must be ${KEY_LENGTH} bytes`);
  if (box.length < BOX_OVERHEAD) throw new DecryptionError('ciphertext too short');
  if (box[0] !== BOX_VERSION) throw new DecryptionError(`unsupported ciphertext version ${box[0]}`);
  const nonce = box.subarray(1, 1 + NONCE_LENGTH);
  const tag = box.subarray(box.length - TAG_LENGTH);
  const body = box.subarray(1 + NONCE_LENGTH, box.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad);
  decipher.setAuthTag(tag);
  const out = decipher.update(body);
  try {
    return Buffer.concat([out, decipher.final()]);
  } catch {
    // Unauthenticated bytes must never reach the caller.
    out.fill(0);
    throw new DecryptionError('cipher: message authentication failed');
  }
}
