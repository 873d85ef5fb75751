/**
 * SHA-256 compression (FIPS 180-4) in plain JavaScript, for HMAC over short messages with a
 * fixed key (salted-hmac.ts). Each authenticated request hashes its token: two compressions
 * here take a fraction of the time of two calls into node's crypto (each call pays a digest
 * lookup and a native round trip that dwarf the hashing of one block). Only 32-bit adds,
 * rotations and boolean operations, with no data-dependent branch or table index, so the time
 * taken does not depend on the message or key bytes.
 */

/** First 32 bits of the fractional parts of the square roots of the first 8 primes. */
export const SHA256_IV: Int32Array = fractionBits(firstPrimes(8), Math.sqrt);
/** First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K: Int32Array = fractionBits(firstPrimes(64), Math.cbrt);

function firstPrimes(n: number): number[] {
  const out: number[] = [];
  for (let c = 2; out.length < n; c++) if (out.every((p) => c % p !== 0)) out.push(c);
  return out;
}

function fractionBits(primes: readonly number[], root: (x: number) => number): Int32Array {
  // Roots of primes below 320 keep over 40 fractional bits in a double: the first 32 are exact.
  return Int32Array.from(primes, (p) => {
    const r = root(p);
    return Math.floor((r - Math.floor(r)) * 2 ** 32) | 0;
  });
}

/** Message schedule scratch, reused by every compression (single-threaded). */
const W = new Int32Array(64);

/** Fold the 64-byte block at `block[offset..]` into `state` (8 words). */
export function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  const w = W;
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/**
 * Finish a hash whose state already covers `prefixBytes` bytes (whole blocks, e.g. an HMAC key
 * pad): hash `msg[0..length)` into `state`. `msg` must have room for the padding (length + 72
 * bytes, rounded up to a block) and is left holding message bytes: callers wipe it.
 */
export function finish(state: Int32Array, prefixBytes: number, msg: Uint8Array, length: number): void {
  const padded = Math.ceil((length + 9) / 64) * 64;
  msg[length] = 0x80;
  msg.fill(0, length + 1, padded - 8);
  const bits = (prefixBytes + length) * 8;
  // Messages here are far below 2^32 bits: the high word of the length is 0.
  msg[padded - 8] = 0;
  msg[padded - 7] = 0;
  msg[padded - 6] = 0;
  msg[padded - 5] = 0;
  msg[padded - 4] = bits >>> 24;
  msg[padded - 3] = (bits >>> 16) & 0xff;
  msg[padded - 2] = (bits >>> 8) & 0xff;
  msg[padded - 1] = bits & 0xff;
  for (let off = 0; off < padded; off += 64) compress(state, msg, off);
}
