/**
 * HMAC-SHA256 (RFC 2104) under a fixed key, as the token store names its keys. The key pads are
 * hashed once (two precomputed SHA-256 states); a message then costs one compression per
 * 64-byte block plus one for the outer hash, done in JavaScript (sha256-js.ts): every
 * authenticated request hashes its token, and two calls into node's crypto cost several times
 * the hashing itself. The digest is exactly createHmac's (a test holds the two together).
 */
import { createHash, createHmac } from 'node:crypto';
import { SHA256_IV, compress, finish } from './sha256-js.js';

const BLOCK = 64;
/** Messages up to this size are hashed in a reused scratch buffer (tokens are far shorter). */
const SCRATCH = 4096;

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class SaltedHmac {
  /** SHA-256 states after the inner and outer key pads. */
  private readonly innerStart = new Int32Array(8);
  private readonly outerStart = new Int32Array(8);
  private readonly state = new Int32Array(8);
  /** Message bytes plus room for the padding. */
  private readonly scratch = Buffer.alloc(SCRATCH + 2 * BLOCK);

  constructor(private readonly key: Buffer) {
    const k = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
    const pad = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) pad[i] = (k[i] ?? 0) ^ 0x36;
    this.innerStart.set(SHA256_IV);
    compress(this.innerStart, pad, 0);
    for (let i = 0; i < BLOCK; i++) pad[i] = (k[i] ?? 0) ^ 0x5c;
    this.outerStart.set(SHA256_IV);
    compress(this.outerStart, pad, 0);
    pad.fill(0);
  }

  /** Hex HMAC of `kind` NUL `value` (UTF-8), as the token store names its keys. */
  hex(kind: string, value: string): string {
    const scratch = this.scratch;
    let n = this.put(kind, 0);
    if (n < 0) return this.slow(kind, value);
    scratch[n++] = 0;
    n = this.put(value, n);
    if (n < 0) return this.slow(kind, value);
    const state = this.state;
    state.set(this.innerStart);
    finish(state, BLOCK, scratch, n);
    // The message may be a token: do not leave it in the scratch buffer.
    scratch.fill(0, 0, Math.ceil((n + 9) / BLOCK) * BLOCK);
    for (let i = 0; i < 8; i++) {
      const word = state[i]!;
      scratch[i * 4] = word >>> 24;
      scratch[i * 4 + 1] = (word >>> 16) & 0xff;
      scratch[i * 4 + 2] = (word >>> 8) & 0xff;
      scratch[i * 4 + 3] = word & 0xff;
    }
    state.set(this.outerStart);
    finish(state, BLOCK, scratch, 32);
    scratch.fill(0, 0, BLOCK);
    let out = '';
    for (let i = 0; i < 8; i++) {
      const word = state[i]!;
      out += HEX[word >>> 24]! + HEX[(word >>> 16) & 0xff]! + HEX[(word >>> 8) & 0xff]! + HEX[word & 0xff]!;
    }
    return out;
  }

  /** Write `text` as UTF-8 at `at`; the end offset, or -1 when it does not fit the scratch. */
  private put(text: string, at: number): number {
    const scratch = this.scratch;
    if (at + text.length > SCRATCH) return -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: let Buffer encode it (lone surrogates as U+FFFD, as createHmac does).
        if (at + i + Buffer.byteLength(text.slice(i)) > SCRATCH) return -1;
        return at + i + scratch.write(text.slice(i), at + i, 'utf8');
      }
      scratch[at + i] = c;
    }
    return at + text.length;
  }

  /** Messages too large for the scratch buffer. */
  private slow(kind: string, value: string): string {
    this.scratch.fill(0, 0, SCRATCH);
    return createHmac('sha256', this.key).update(kind).update('\0').update(value).digest('hex');
  }

  /** Forget the key material (seal). */
  zero(): void {
    this.innerStart.fill(0);
    this.outerStart.fill(0);
    this.state.fill(0);
    this.scratch.fill(0);
  }
}
