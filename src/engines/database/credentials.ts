/**
 * Generated credentials: dynamic usernames in Vault's default shape, passwords by the
 * connection's password policy (or Vault's default one), the `{{expiration}}` timestamp format, and SCRAM-SHA-256 verifiers
 * for `password_authentication = "scram-sha-256"`.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { BadRequestError, InternalError } from '../../errors.js';
import { DEFAULT_PASSWORD_POLICY, generatePassword } from '../../passwords/policy.js';
import { randomBase62, randomBytes } from '../../util/random.js';
import type { DatabaseConfig } from './store.js';
import { UsernameTemplate, UsernameTemplateError } from './username-template.js';

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

/**
 * The username of a new dynamic user: the connection's `username_template` when it has one
 * (checked when the connection was configured), else Vault's default shape.
 */
export function usernameFor(config: DatabaseConfig, displayName: string, roleName: string, nowMs: number): string {
  const template = config.connection.usernameTemplate ?? '';
  if (template === '') return dynamicUsername(displayName, roleName, nowMs);
  try {
    return UsernameTemplate.parse(template).render({ DisplayName: displayName, RoleName: roleName }, nowMs);
  } catch (err) {
    if (err instanceof UsernameTemplateError) throw new InternalError(`unable to generate username: ${err.message}`);
    throw err;
  }
}

/**
 * A new password for a connection: from its password policy when it names one, else from
 * Vault's default policy (20 characters from [a-zA-Z0-9-], at least one of each class).
 * PostgreSQL's SCRAM verifier is computed here without SASLprep, which leaves ASCII unchanged,
 * so with scram-sha-256 a policy must yield ASCII passwords.
 */
export async function passwordFor(config: DatabaseConfig, fromPolicy: ((name: string) => Promise<string | undefined>) | undefined): Promise<string> {
  const policy = config.passwordPolicy ?? '';
  if (policy === '') return generatePassword(DEFAULT_PASSWORD_POLICY);
  if (fromPolicy === undefined) throw new BadRequestError(`unable to generate password: no password policy store to read "${policy}" from`);
  const password = await fromPolicy(policy);
  if (password === undefined) throw new BadRequestError(`unable to generate password: password policy "${policy}" does not exist`);
  if (config.connection.passwordAuthentication === 'scram-sha-256' && !/^[\x20-\x7e]*$/.test(password)) {
    throw new BadRequestError(`unable to generate password: password policy "${policy}" yields characters outside printable ASCII, which scram-sha-256 verifiers computed here do not support`);
  }
  return password;
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
