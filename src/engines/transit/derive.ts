/**
 * Per-context key derivation for derived keys: HKDF-SHA256 (RFC 5869) with no salt, the
 * version's key as input keying material and the caller's context as info, which is the
 * construction Vault names "hkdf_sha256". Written out with HMAC because Node's hkdfSync caps
 * info at 1024 bytes and contexts may be longer.
 */
import { createHmac } from 'node:crypto';

const HASH_BYTES = 32;
const EMPTY_SALT = Buffer.alloc(HASH_BYTES);

export function deriveKey(ikm: Buffer, context: Buffer, length: number): Buffer {
  const prk = createHmac('sha256', EMPTY_SALT).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * HASH_BYTES < length; i++) {
    previous = createHmac('sha256', prk).update(previous).update(context).update(Buffer.of(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}
