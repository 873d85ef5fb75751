/**
 * SHA-256 in one call. Node's one-shot `crypto.hash` (20.12+) skips the Hash object a
 * `createHash` chain allocates, a fraction of the cost for the short inputs hashed on every
 * write (Merkle buckets and leaves, version keys, lease index keys). Falls back to createHash.
 */
import * as crypto from 'node:crypto';

type Input = string | Buffer;

const oneShot = typeof crypto.hash === 'function';

export function sha256(data: Input): Buffer {
  return oneShot ? (crypto.hash('sha256', data, 'buffer') as unknown as Buffer) : crypto.createHash('sha256').update(data).digest();
}

export function sha256Hex(data: Input): string {
  return oneShot ? crypto.hash('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}
