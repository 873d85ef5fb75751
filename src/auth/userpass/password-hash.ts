/**
 * Slow, salted password hashes (scrypt). The cost parameters are stored with every hash, so
 * they can be raised later without invalidating the passwords already stored. scrypt runs on
 * libuv's thread pool, so a login never blocks the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { InternalError } from '../../errors.js';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** Bytes of derived key. */
  readonly keyLength: number;
}

/** A stored password: never the password itself. Salt and hash are base64. */
export interface PasswordHash extends ScryptParams {
  readonly algorithm: 'scrypt';
  readonly salt: string;
  readonly hash: string;
}

/** 2^15 x 8 is 32 MiB and ~50-100 ms per hash on current hardware. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 2 ** 15, r: 8, p: 1, keyLength: 32 });

const SALT_BYTES = 16;

/** Refuse parameters no code of ours writes: a damaged record must not pin the CPU or memory. */
function checkParams(p: ScryptParams): void {
  const powerOfTwo = Number.isInteger(p.N) && p.N >= 2 ** 10 && p.N <= 2 ** 20 && (p.N & (p.N - 1)) === 0;
  const ok = powerOfTwo && Number.isInteger(p.r) && p.r >= 1 && p.r <= 32 && Number.isInteger(p.p) && p.p >= 1 && p.p <= 16;
  if (!ok || !Number.isInteger(p.keyLength) || p.keyLength < 16 || p.keyLength > 64) {
    throw new InternalError('internal error', { cause: new Error('stored password hash has unsupported scrypt parameters') });
  }
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // Node refuses work above maxmem (default 32 MiB); scrypt needs 128*N*r plus a little.
  const maxmem = 2 * 128 * params.N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, params.keyLength, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err !== null) reject(new InternalError('internal error', { cause: err }));
      else resolve(key);
    });
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<PasswordHash> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return {
    algorithm: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    keyLength: params.keyLength,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
  };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.algorithm !== 'scrypt') {
    throw new InternalError('internal error', { cause: new Error(`unknown password hash algorithm ${String(stored.algorithm)}`) });
  }
  checkParams(stored);
  const expected = Buffer.from(stored.hash, 'base64');
  if (expected.length !== stored.keyLength) {
    throw new InternalError('internal error', { cause: new Error('stored password hash has the wrong length') });
  }
  const actual = await derive(password, Buffer.from(stored.salt, 'base64'), stored);
  return timingSafeEqual(actual, expected);
}

const DUMMY_SALT = randomBytes(SALT_BYTES);
const DUMMY_HASH = randomBytes(DEFAULT_SCRYPT_PARAMS.keyLength);

/**
 * The work of a verification for a user that does not exist, so the answer takes as long as
 * a wrong password for a real user and timing does not reveal which usernames exist.
 */
export async function verifyAgainstNobody(password: string): Promise<false> {
  const actual = await derive(password, DUMMY_SALT, DEFAULT_SCRYPT_PARAMS);
  timingSafeEqual(actual, DUMMY_HASH);
  return false;
}
