/**
 * Generated credentials: dynamic usernames in Vault's default shape, passwords by Vault's
 * default password policy, the `{{expiration}}` timestamp format, and SCRAM-SHA-256 verifiers
 * for `password_authentication = "scram-sha-256"`.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { randomBase62, randomBytes, randomInt } from '../../util/random.js';

/** PostgreSQL truncates identifiers to 63 bytes; Vault's template truncates to 63 characters. */
export const MAX_USERNAME_LENGTH = 63;

/** Characters a display or role name keeps inside a generated username; others become '-'. */
function usernamePart(s: string, max: number): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, max);
}

/**
 * Vault's default username template: `v-<display name, 8>-<role name, 8>-<20 random>-<unix>`,
 * truncated to 63 characters.
 */
export function dynamicUsername(displayName: string, roleName: string, nowMs: number): string {
  const unix = Math.floor(nowMs / 1000);
  const name = `v-${usernamePart(displayName, 8)}-${usernamePart(roleName, 8)}-${randomBase62(20)}-${unix}`;
  return name.slice(0, MAX_USERNAME_LENGTH);
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const DASH = '-';
const CHARSET = LOWER + UPPER + DIGITS + DASH;
export const PASSWORD_LENGTH = 20;

/**
 * Vault's default password policy: 20 characters from [a-zA-Z0-9-], at least one lowercase,
 * one uppercase, one digit and one dash. Each character is drawn uniformly (randomInt has no
 * modulo bias); a draw that misses a class is discarded whole, as Vault's generator does.
 */
export function generatePassword(): string {
  for (;;) {
    let pw = '';
    for (let i = 0; i < PASSWORD_LENGTH; i++) pw += CHARSET[randomInt(CHARSET.length)];
    if ([LOWER, UPPER, DIGITS, DASH].every((set) => [...pw].some((c) => set.includes(c)))) return pw;
  }
}

/** `{{expiration}}` as Vault's PostgreSQL plugin renders it: "2006-01-02 15:04:05+0000" (UTC). */
export function formatExpiration(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}+0000`;
}

const SCRAM_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 verifier PostgreSQL stores as-is when given as the password literal, so the
 * plaintext never reaches the server (or its statement log). Generated passwords are ASCII,
 * which SASLprep leaves unchanged.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
