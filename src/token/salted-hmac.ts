/**
 * HMAC-SHA256 (RFC 2104) under a fixed key, computed with two one-shot `crypto.hash` calls over
 * precomputed inner and outer key pads. Every authenticated request hashes its token, and node's
 * `createHmac` builds a key object and a stateful hasher per call, which cost several times the
 * hashing itself. The digest is exactly createHmac's (a test holds the two together).
 */
import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';

const BLOCK = 64;
/** Messages up to this size are hashed in a reused scratch buffer (tokens are far shorter). */
const SCRATCH = 4096;

/** `crypto.hash` arrived in node 20.12; older 20.x releases take the createHmac path. */
const oneShot = typeof crypto.hash === 'function';

export class SaltedHmac {
  private readonly inner = Buffer.alloc(BLOCK + SCRATCH);
  private readonly outer = Buffer.alloc(BLOCK + 32);

  constructor(private readonly key: Buffer) {
    const k = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
    for (let i = 0; i < BLOCK; i++) {
      const b = k[i] ?? 0;
      this.inner[i] = b ^ 0x36;
      this.outer[i] = b ^ 0x5c;
    }
  }

  /** Hex HMAC of `kind` NUL `value` (UTF-8), as the token store names its keys. */
  hex(kind: string, value: string): string {
    if (!oneShot) return createHmac('sha256', this.key).update(kind).update('\0').update(value).digest('hex');
    const size = Buffer.byteLength(kind) + 1 + Buffer.byteLength(value);
    if (size > SCRATCH) return createHmac('sha256', this.key).update(kind).update('\0').update(value).digest('hex');
    let n = BLOCK + this.inner.write(kind, BLOCK, 'utf8');
    this.inner[n++] = 0;
    n += this.inner.write(value, n, 'utf8');
    const innerDigest = crypto.hash('sha256', this.inner.subarray(0, n), 'buffer');
    // The message may be a token: do not leave it in the scratch buffer.
    this.inner.fill(0, BLOCK, n);
    innerDigest.copy(this.outer, BLOCK);
    return crypto.hash('sha256', this.outer, 'hex');
  }

  /** Forget the key material (seal). */
  zero(): void {
    this.inner.fill(0);
    this.outer.fill(0);
  }
}
