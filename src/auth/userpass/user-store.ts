/**
 * Where userpass keeps its users, inside the mount's storage view.
 */
import type { StorageView } from '../../logical/storage.js';
import type { TokenParams } from '../token-fields.js';
import type { PasswordHash } from './password-hash.js';

/**
 * USER_PREFIX + lower-cased username -> StoredUser (JSON). Written by the users/* paths, read
 * by them and by login. Replicated with the mount (auth-method configuration); local when the
 * mount is local. Holds a scrypt hash, never the password.
 */
export const USER_PREFIX = 'user/';

/** Values written through the deprecated fields, echoed by reads as Vault does. */
export interface LegacyFields {
  /** The policies came from `policies`, not `token_policies`. */
  readonly policies: boolean;
  /** Seconds set through `ttl` / `max_ttl`; 0 when unset or superseded by token_*. */
  readonly ttl: number;
  readonly maxTTL: number;
}

export interface StoredUser {
  readonly password: PasswordHash;
  readonly token: TokenParams;
  readonly legacy: LegacyFields;
}

export const NO_LEGACY_FIELDS: LegacyFields = Object.freeze({ policies: false, ttl: 0, maxTTL: 0 });

export function getUser(storage: StorageView, username: string): Promise<StoredUser | undefined> {
  return storage.getJSON<StoredUser>(USER_PREFIX + username);
}

export function putUser(storage: StorageView, username: string, user: StoredUser): Promise<void> {
  return storage.putJSON(USER_PREFIX + username, user);
}

export function deleteUser(storage: StorageView, username: string): Promise<void> {
  return storage.delete(USER_PREFIX + username);
}

export function listUsers(storage: StorageView): Promise<string[]> {
  return storage.list(USER_PREFIX);
}
