/**
 * Secret IDs of one role. An entry is stored under the HMAC of the secret ID (never the value)
 * below the role's directory, and an accessor index entry points back at it; both are always
 * written and deleted in one batch. Every read-modify-write of one secret ID (login's use
 * count, destroy, tidy) runs under that secret ID's lock, so concurrent logins can never spend
 * more uses than were granted.
 */
import { BadRequestError } from '../../errors.js';
import { formatTime } from '../../framework/index.js';
import type { StorageView } from '../../logical/storage.js';
import type { BatchOp } from '../../storage/physical.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { addressAllowed } from '../../util/cidr.js';
import { areaOf, type Salt, type SecretIdArea } from './layout.js';
import type { RoleEntry } from './role-store.js';

export interface SecretIdEntry {
  readonly accessor: string;
  /** Epoch milliseconds. */
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  /** Epoch milliseconds; 0 = never expires. */
  readonly expirationTime: number;
  /** Uses left; 0 = unlimited. */
  readonly numUses: number;
  /** Seconds, as granted. */
  readonly ttl: number;
  readonly cidrList: readonly string[];
  readonly tokenBoundCidrs: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
}

interface AccessorEntry {
  readonly roleKey: string;
  readonly secretIdKey: string;
}

/** A role's secret IDs: where they live and how their keys are derived. */
export class SecretIdScope {
  readonly area: SecretIdArea;
  readonly roleKey: string;

  constructor(
    readonly storage: StorageView,
    readonly salt: Salt,
    role: RoleEntry,
  ) {
    this.area = areaOf(role);
    this.roleKey = salt.hmac('role-name', role.name);
  }

  keyOf(secretId: string): string {
    return this.salt.hmac('secret-id', secretId);
  }
  entryPath(secretIdKey: string): string {
    return `${this.area.secretIds}${this.roleKey}/${secretIdKey}`;
  }
  accessorPath(accessor: string): string {
    return this.area.accessors + this.salt.hmac('accessor', accessor);
  }
}

// Keyed by the full storage key, so every backend instance over the same storage shares it.
const secretIdLocks = new KeyedMutex();

function withSecretIdLock<T>(scope: SecretIdScope, secretIdKey: string, work: () => Promise<T>): Promise<T> {
  return secretIdLocks.run(scope.storage.prefix + scope.entryPath(secretIdKey), work);
}

export function isExpired(entry: SecretIdEntry, nowMs: number): boolean {
  return entry.expirationTime !== 0 && nowMs >= entry.expirationTime;
}

function deleteOps(scope: SecretIdScope, secretIdKey: string, entry: SecretIdEntry): BatchOp[] {
  return [
    { type: 'delete', key: scope.entryPath(secretIdKey) },
    { type: 'delete', key: scope.accessorPath(entry.accessor) },
  ];
}

/** Store a new secret ID; refuses one that is already registered for the role. */
export async function createSecretId(scope: SecretIdScope, secretId: string, entry: SecretIdEntry): Promise<void> {
  const secretIdKey = scope.keyOf(secretId);
  await withSecretIdLock(scope, secretIdKey, async () => {
    if ((await scope.storage.get(scope.entryPath(secretIdKey))) !== undefined) {
      throw new BadRequestError('SecretID is already registered');
    }
    const index: AccessorEntry = { roleKey: scope.roleKey, secretIdKey };
    await scope.storage.batch([
      { type: 'put', key: scope.entryPath(secretIdKey), value: Buffer.from(JSON.stringify(entry)) },
      { type: 'put', key: scope.accessorPath(entry.accessor), value: Buffer.from(JSON.stringify(index)) },
    ]);
  });
}

export function getSecretId(scope: SecretIdScope, secretId: string): Promise<SecretIdEntry | undefined> {
  return scope.storage.getJSON<SecretIdEntry>(scope.entryPath(scope.keyOf(secretId)));
}

/** The secret ID behind an accessor of this role (an accessor of another role is not found). */
export async function findByAccessor(
  scope: SecretIdScope,
  accessor: string,
): Promise<{ secretIdKey: string; entry: SecretIdEntry } | undefined> {
  const index = await scope.storage.getJSON<AccessorEntry>(scope.accessorPath(accessor));
  if (index === undefined || index.roleKey !== scope.roleKey) return undefined;
  const entry = await scope.storage.getJSON<SecretIdEntry>(scope.entryPath(index.secretIdKey));
  if (entry === undefined || entry.accessor !== accessor) return undefined;
  return { secretIdKey: index.secretIdKey, entry };
}

/** Remove one secret ID and its accessor; missing is fine. */
export async function destroySecretId(scope: SecretIdScope, secretIdKey: string): Promise<void> {
  await withSecretIdLock(scope, secretIdKey, async () => {
    const entry = await scope.storage.getJSON<SecretIdEntry>(scope.entryPath(secretIdKey));
    if (entry !== undefined) await scope.storage.batch(deleteOps(scope, secretIdKey, entry));
  });
}

/** Accessors of the role's secret IDs. */
export async function listAccessors(scope: SecretIdScope): Promise<string[]> {
  const dir = `${scope.area.secretIds}${scope.roleKey}/`;
  const out: string[] = [];
  for (const key of await scope.storage.list(dir)) {
    if (key.endsWith('/')) continue;
    const entry = await scope.storage.getJSON<SecretIdEntry>(dir + key);
    if (entry !== undefined) out.push(entry.accessor);
  }
  return out.sort();
}

/** The deletes that remove every secret ID of the role with its accessor. */
export async function allSecretIdDeleteOps(scope: SecretIdScope): Promise<BatchOp[]> {
  const dir = `${scope.area.secretIds}${scope.roleKey}/`;
  const ops: BatchOp[] = [];
  for (const key of await scope.storage.list(dir)) {
    if (key.endsWith('/')) continue;
    const entry = await scope.storage.getJSON<SecretIdEntry>(dir + key);
    if (entry !== undefined) ops.push(...deleteOps(scope, key, entry));
    else ops.push({ type: 'delete', key: dir + key });
  }
  return ops;
}

export type ConsumeResult =
  | { readonly ok: true; readonly entry: SecretIdEntry }
  | { readonly ok: false; readonly reason: 'invalid' | 'cidr' | 'token-cidr' };

/**
 * Login's use of a secret ID: valid, unexpired, presented from an address its cidr_list and
 * token_bound_cidrs allow; spends one use (the last use deletes it). An expired one is deleted
 * on sight. A refused address spends nothing.
 */
export async function consumeSecretId(
  scope: SecretIdScope,
  secretId: string,
  remoteAddr: string,
  nowMs: number,
): Promise<ConsumeResult> {
  const secretIdKey = scope.keyOf(secretId);
  return withSecretIdLock(scope, secretIdKey, async (): Promise<ConsumeResult> => {
    const path = scope.entryPath(secretIdKey);
    const entry = await scope.storage.getJSON<SecretIdEntry>(path);
    if (entry === undefined) return { ok: false, reason: 'invalid' };
    if (isExpired(entry, nowMs)) {
      await scope.storage.batch(deleteOps(scope, secretIdKey, entry));
      return { ok: false, reason: 'invalid' };
    }
    if (!addressAllowed(remoteAddr, entry.cidrList)) return { ok: false, reason: 'cidr' };
    if (!addressAllowed(remoteAddr, entry.tokenBoundCidrs)) return { ok: false, reason: 'token-cidr' };
    if (entry.numUses === 1) {
      await scope.storage.batch(deleteOps(scope, secretIdKey, entry));
    } else if (entry.numUses > 1) {
      await scope.storage.putJSON(path, { ...entry, numUses: entry.numUses - 1, lastUpdatedTime: nowMs } satisfies SecretIdEntry);
    }
    return { ok: true, entry };
  });
}

/** Vault's read shape of a secret ID (lookups by value and by accessor). */
export function renderSecretId(entry: SecretIdEntry): Record<string, unknown> {
  return {
    cidr_list: [...entry.cidrList],
    creation_time: formatTime(entry.creationTime),
    // Go's zero time, as Vault reports a secret ID that never expires.
    expiration_time: entry.expirationTime === 0 ? '0001-01-01T00:00:00Z' : formatTime(entry.expirationTime),
    last_updated_time: formatTime(entry.lastUpdatedTime),
    metadata: { ...entry.metadata },
    secret_id_accessor: entry.accessor,
    secret_id_num_uses: entry.numUses,
    secret_id_ttl: entry.ttl,
    token_bound_cidrs: [...entry.tokenBoundCidrs],
  };
}

export interface TidyCounts {
  readonly expired: number;
  readonly dangling: number;
}

/**
 * Remove, in one area, expired secret IDs, secret IDs of roles that no longer exist (or whose
 * secret IDs live in the other area), and accessor entries whose secret ID is gone. `roles`
 * maps role-name HMACs to the live roles.
 */
export async function tidyArea(
  storage: StorageView,
  salt: Salt,
  area: SecretIdArea,
  roles: ReadonlyMap<string, RoleEntry>,
  nowMs: number,
): Promise<TidyCounts> {
  let expired = 0;
  let dangling = 0;
  for (const dir of await storage.list(area.secretIds)) {
    if (!dir.endsWith('/')) continue;
    const roleKey = dir.slice(0, -1);
    const role = roles.get(roleKey);
    for (const key of await storage.list(area.secretIds + dir)) {
      if (key.endsWith('/')) continue;
      const path = area.secretIds + dir + key;
      const orphan = role === undefined || areaOf(role) !== area;
      await secretIdLocks.run(storage.prefix + path, async () => {
        const entry = await storage.getJSON<SecretIdEntry>(path);
        if (entry === undefined) return;
        if (!orphan && !isExpired(entry, nowMs)) return;
        if (orphan) dangling++;
        else expired++;
        await storage.batch([
          { type: 'delete', key: path },
          { type: 'delete', key: area.accessors + salt.hmac('accessor', entry.accessor) },
        ]);
      });
    }
  }
  for (const key of await storage.list(area.accessors)) {
    if (key.endsWith('/')) continue;
    const index = await storage.getJSON<AccessorEntry>(area.accessors + key);
    if (index === undefined) continue;
    const target = `${area.secretIds}${index.roleKey}/${index.secretIdKey}`;
    await secretIdLocks.run(storage.prefix + target, async () => {
      if ((await storage.get(target)) !== undefined) return;
      // Re-read: a concurrent create may have just written both halves.
      if ((await storage.get(area.accessors + key)) === undefined) return;
      dangling++;
      await storage.delete(area.accessors + key);
    });
  }
  return { expired, dangling };
}
