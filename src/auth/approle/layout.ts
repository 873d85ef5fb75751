/**
 * Where AppRole keeps things inside its mount's storage view, and the per-mount HMAC that
 * turns role IDs, secret IDs and accessors into storage keys, so none of them is stored in
 * plaintext and a key reveals nothing.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { StorageView } from '../../logical/storage.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';

/** The mount's HMAC key (32 random bytes, base64). Written once, lazily, by the first handler that needs it; read by every handler. Replicated: secondaries must derive the same keys. */
export const SALT_KEY = 'salt';
/** Role entries: role/<name>. Written by the role paths; read by every path. Replicated (configuration). */
export const ROLE_PREFIX = 'role/';
/** Role ID index: role_id/<hmac(role_id)> -> { name }. Written with the role; read by login. Replicated. */
export const ROLE_ID_PREFIX = 'role_id/';
/** Secret IDs of ordinary roles: secret_id/<hmac(role name)>/<hmac(secret id)>. Written by generate, login (uses), destroy, tidy. Replicated. */
export const SECRET_ID_PREFIX = 'secret_id/';
/** Accessor index of ordinary roles: accessor/<hmac(accessor)> -> { roleKey, secretIdKey }. Replicated. */
export const ACCESSOR_PREFIX = 'accessor/';
/**
 * Everything of roles with local_secret_ids=true: local/secret_id/... and local/accessor/...,
 * laid out as above. Declared in the backend's specialPaths.local, so the classifier keeps it
 * on this cluster: such secret IDs are issued and consumed where they were created.
 */
export const LOCAL_PREFIX = 'local/';
export const LOCAL_PATHS: readonly string[] = [`${LOCAL_PREFIX}*`];

/** The two places a role's secret IDs and accessors can live. */
export interface SecretIdArea {
  readonly secretIds: string;
  readonly accessors: string;
}

export const SHARED_AREA: SecretIdArea = { secretIds: SECRET_ID_PREFIX, accessors: ACCESSOR_PREFIX };
export const LOCAL_AREA: SecretIdArea = {
  secretIds: LOCAL_PREFIX + SECRET_ID_PREFIX,
  accessors: LOCAL_PREFIX + ACCESSOR_PREFIX,
};

export function areaOf(role: { readonly localSecretIds: boolean }): SecretIdArea {
  return role.localSecretIds ? LOCAL_AREA : SHARED_AREA;
}

/** What a key is derived from; separates the domains so equal inputs of two kinds never collide. */
export type HmacKind = 'role-id' | 'role-name' | 'secret-id' | 'accessor';

/** The mount's keyed hash. */
export class Salt {
  constructor(private readonly key: Buffer) {}

  hmac(kind: HmacKind, value: string): string {
    return createHmac('sha256', this.key).update(`${kind}\0${value}`, 'utf8').digest('hex');
  }
}

// Salts never change once written, so a loaded one is cached per storage view.
const loaded = new WeakMap<StorageView, Salt>();
// Serialises creation, so two first requests cannot each write a different salt.
const creation = new KeyedMutex();

/** The mount's salt, created on first use. */
export async function saltOf(storage: StorageView): Promise<Salt> {
  const cached = loaded.get(storage);
  if (cached !== undefined) return cached;
  const salt = await creation.run(storage.prefix, async () => {
    const stored = await storage.getJSON<{ key: string }>(SALT_KEY);
    if (stored !== undefined) return new Salt(Buffer.from(stored.key, 'base64'));
    const key = randomBytes(32);
    await storage.putJSON(SALT_KEY, { key: key.toString('base64') });
    return new Salt(key);
  });
  loaded.set(storage, salt);
  return salt;
}
