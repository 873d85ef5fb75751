/**
 * Shamir's secret sharing over GF(2^8), byte by byte, as Vault's sys/init produces it.
 *
 * A share is the polynomial values for every secret byte followed by one byte: the share's
 * x-coordinate (distinct, non-zero, randomly chosen). So a share is secret.length + 1 bytes.
 *
 * The 1-of-1 case is handled here, not by callers: split(secret, 1, 1) returns a copy of the
 * secret itself (no x byte, nothing to split), and combine() of exactly one share returns a copy
 * of it. Callers that know their threshold is above one must therefore never pass a single
 * share expecting an error; the seal checks progress against its threshold first.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { add, div, mul } from './gf256.js';

export const MAX_PARTS = 255;

/** Invalid arguments to split/combine. Messages never include share or secret bytes. */
export class ShamirError extends Error {
  override readonly name = 'ShamirError';
}

export function split(secret: Buffer, parts: number, threshold: number): Buffer[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) {
    throw new ShamirError('parts and threshold must be integers');
  }
  if (secret.length === 0) throw new ShamirError('cannot split an empty secret');
  if (parts < 1) throw new ShamirError('parts must be at least 1');
  if (parts > MAX_PARTS) throw new ShamirError(`parts cannot exceed ${MAX_PARTS}`);
  if (threshold < 1) throw new ShamirError('threshold must be at least 1');
  if (threshold > parts) throw new ShamirError('threshold cannot be larger than parts');
  if (parts === 1) return [Buffer.from(secret)];
  if (threshold < 2) throw new ShamirError('threshold must be at least 2 when splitting into more than one part');

  const xs = randomXCoordinates(parts);
  const shares = xs.map((x) => {
    const share = Buffer.alloc(secret.length + 1);
    share[secret.length] = x;
    return share;
  });

  // coefficients[k] for k = 1..threshold-1 of every byte's polynomial; the constant term is the secret byte.
  const degree = threshold - 1;
  const coefficients = randomBytes(secret.length * degree);
  try {
    for (let i = 0; i < secret.length; i++) {
      const base = i * degree;
      for (let s = 0; s < parts; s++) {
        const x = xs[s]!;
        // Horner's rule from the highest coefficient down to the secret byte.
        let y = 0;
        for (let k = degree - 1; k >= 0; k--) y = add(mul(y, x), coefficients[base + k]!);
        y = add(mul(y, x), secret[i]!);
        shares[s]![i] = y;
      }
    }
  } finally {
    coefficients.fill(0);
  }
  return shares;
}

export function combine(shares: readonly Buffer[]): Buffer {
  if (shares.length === 0) throw new ShamirError('no shares to combine');
  if (shares.length === 1) return Buffer.from(shares[0]!);
  const length = shares[0]!.length;
  if (length < 2) throw new ShamirError('shares must be at least two bytes long');
  const xs: number[] = [];
  const seen = new Set<number>();
  for (const share of shares) {
    if (share.length !== length) throw new ShamirError('all shares must be the same length');
    const x = share[length - 1]!;
    if (x === 0) throw new ShamirError('share has an invalid x-coordinate of zero');
    if (seen.has(x)) throw new ShamirError('duplicate share detected');
    seen.add(x);
    xs.push(x);
  }

  // Lagrange basis values at x = 0: L_i(0) = prod_{j != i} x_j / (x_j - x_i). They depend only
  // on the x-coordinates, so compute them once for all bytes.
  const basis = xs.map((xi, i) => {
    let value = 1;
    xs.forEach((xj, j) => {
      if (j !== i) value = mul(value, div(xj, add(xj, xi)));
    });
    return value;
  });

  const secret = Buffer.alloc(length - 1);
  for (let b = 0; b < secret.length; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) acc = add(acc, mul(shares[i]![b]!, basis[i]!));
    secret[b] = acc;
  }
  return secret;
}

/** `count` distinct values from 1..255 in random order (partial Fisher-Yates shuffle). */
function randomXCoordinates(count: number): number[] {
  const pool = Array.from({ length: MAX_PARTS }, (_, i) => i + 1);
  for (let i = 0; i < count; i++) {
    const j = randomInt(i, MAX_PARTS);
    const tmp = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = tmp;
  }
  return pool.slice(0, count);
}
