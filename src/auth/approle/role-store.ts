/**
 * AppRole roles: the stored entry, its rendering, its invariants, and the role ID index that
 * login resolves through. Role IDs are unique across the mount; the index is keyed by their
 * HMAC and is always written in the same batch as the role.
 */
import { timingSafeEqual } from 'node:crypto';
import { BadRequestError, NotFoundError } from '../../errors.js';
import type { StorageView } from '../../logical/storage.js';
import type { BatchOp } from '../../storage/physical.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { renderTokenParams, type TokenParams } from '../token-fields.js';
import { ROLE_ID_PREFIX, ROLE_PREFIX, type Salt } from './layout.js';

export interface RoleEntry {
  /** As created; also the storage key below role/. */
  readonly name: string;
  readonly roleId: string;
  readonly bindSecretId: boolean;
  readonly secretIdBoundCidrs: readonly string[];
  /** Default uses of a new secret ID; 0 = unlimited. */
  readonly secretIdNumUses: number;
  /** Default lifetime of a new secret ID in seconds; 0 = never expires. */
  readonly secretIdTTL: number;
  /** Fixed at creation: secret IDs live in local storage (see layout.ts). */
  readonly localSecretIds: boolean;
  readonly token: TokenParams;
}

interface RoleIdIndex {
  readonly name: string;
}

/** Vault's limit on role names. */
export const MAX_ROLE_NAME_BYTES = 4096;

/** Vault's read shape of a role (legacy policies/period mirror their token_* fields). */
export function renderRole(role: RoleEntry): Record<string, unknown> {
  const token = renderTokenParams(role.token);
  return {
    bind_secret_id: role.bindSecretId,
    local_secret_ids: role.localSecretIds,
    secret_id_bound_cidrs: [...role.secretIdBoundCidrs],
    secret_id_num_uses: role.secretIdNumUses,
    secret_id_ttl: role.secretIdTTL,
    ...token,
    policies: token['token_policies'],
    period: token['token_period'],
  };
}

/** Checks every write must pass, whichever path it came through. */
export function checkRole(role: RoleEntry): void {
  if (!role.bindSecretId && role.secretIdBoundCidrs.length === 0 && role.token.tokenBoundCidrs.length === 0) {
    throw new BadRequestError('at least one constraint should be enabled on the role');
  }
  if (role.secretIdNumUses < 0) throw new BadRequestError('secret_id_num_uses cannot be negative');
  if (role.secretIdTTL < 0) throw new BadRequestError('secret_id_ttl cannot be negative');
}

export function roleNotFound(name: string): NotFoundError {
  return new NotFoundError(`role ${JSON.stringify(name)} does not exist`);
}

// Role writes are rare; one lock per mount makes role ID uniqueness a plain read-then-write.
const roleWrites = new KeyedMutex();

/** Run a role mutation alone among the mount's role mutations. */
export function withRoleLock<T>(storage: StorageView, work: () => Promise<T>): Promise<T> {
  return roleWrites.run(storage.prefix, work);
}

export function getRole(storage: StorageView, name: string): Promise<RoleEntry | undefined> {
  return storage.getJSON<RoleEntry>(ROLE_PREFIX + name);
}

export async function requireRole(storage: StorageView, name: string): Promise<RoleEntry> {
  const role = await getRole(storage, name);
  if (role === undefined) throw roleNotFound(name);
  return role;
}

export async function listRoles(storage: StorageView): Promise<string[]> {
  return (await storage.list(ROLE_PREFIX)).filter((k) => !k.endsWith('/'));
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The role a role ID belongs to, or undefined. */
export async function roleByRoleId(storage: StorageView, salt: Salt, roleId: string): Promise<RoleEntry | undefined> {
  const index = await storage.getJSON<RoleIdIndex>(ROLE_ID_PREFIX + salt.hmac('role-id', roleId));
  if (index === undefined) return undefined;
  const role = await getRole(storage, index.name);
  // The index and the role are written together; still, never trust an index the role disowns.
  if (role === undefined || !sameSecret(role.roleId, roleId)) return undefined;
  return role;
}

/**
 * Write a role (and its role ID index) after checking it; `previous` is the stored entry on
 * update. Call under withRoleLock.
 */
export async function saveRole(storage: StorageView, salt: Salt, role: RoleEntry, previous: RoleEntry | undefined): Promise<void> {
  checkRole(role);
  if (role.roleId === '') throw new BadRequestError('missing role_id');
  const indexKey = ROLE_ID_PREFIX + salt.hmac('role-id', role.roleId);
  const ops: BatchOp[] = [];
  if (previous === undefined || previous.roleId !== role.roleId) {
    const owner = await storage.getJSON<RoleIdIndex>(indexKey);
    if (owner !== undefined && owner.name !== role.name) throw new BadRequestError('role_id already in use');
    if (previous !== undefined) ops.push({ type: 'delete', key: ROLE_ID_PREFIX + salt.hmac('role-id', previous.roleId) });
    ops.push({ type: 'put', key: indexKey, value: Buffer.from(JSON.stringify({ name: role.name } satisfies RoleIdIndex)) });
  }
  ops.push({ type: 'put', key: ROLE_PREFIX + role.name, value: Buffer.from(JSON.stringify(role)) });
  await storage.batch(ops);
}

/** The deletes that remove a role and its index (secret IDs are the caller's business). */
export function roleDeleteOps(salt: Salt, role: RoleEntry): BatchOp[] {
  return [
    { type: 'delete', key: ROLE_PREFIX + role.name },
    { type: 'delete', key: ROLE_ID_PREFIX + salt.hmac('role-id', role.roleId) },
  ];
}
