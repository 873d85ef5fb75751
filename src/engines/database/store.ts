/**
 * The engine's storage layout (inside the mount's view, so replicated with the mount unless
 * the mount is local) and its typed entries. Names come from URL captures matching
 * `genericName`, so they never contain '/'.
 */
import type { StorageView } from '../../logical/storage.js';
import type { ConnectionDetails } from './plugin-api.js';

/** Connection configs, one per name. Written by config/:name and rotate-root; read by every path. */
export const CONFIG_PREFIX = 'config/';
/** Dynamic roles. Written by roles/:name; read by creds/:name and by lease renew/revoke. */
export const ROLE_PREFIX = 'role/';
/** Static roles with their current password. Written by static-roles/:name and rotations; read by static-creds. */
export const STATIC_ROLE_PREFIX = 'static-role/';
/**
 * A root password being rotated: written by rotate-root before the database changes, deleted
 * once the config holds it. Read when a pool opens, to settle a rotation a crash interrupted.
 */
export const ROOT_ROTATION_PREFIX = 'root-rotation/';

export interface DatabaseConfig {
  readonly pluginName: string;
  readonly pluginVersion: string;
  readonly allowedRoles: readonly string[];
  readonly rootRotationStatements: readonly string[];
  readonly verifyConnection: boolean;
  /** The password policy for generated passwords; '' (or absent, as stored before it existed) = Vault's default. */
  readonly passwordPolicy?: string;
  readonly connection: ConnectionDetails;
}

export interface RoleEntry {
  readonly dbName: string;
  readonly creationStatements: readonly string[];
  readonly revocationStatements: readonly string[];
  readonly rollbackStatements: readonly string[];
  readonly renewStatements: readonly string[];
  /** Seconds; 0 = the mount's. */
  readonly defaultTTL: number;
  readonly maxTTL: number;
}

export interface StaticRoleEntry {
  readonly dbName: string;
  readonly username: string;
  /** Seconds. */
  readonly rotationPeriod: number;
  readonly rotationStatements: readonly string[];
  readonly password: string;
  /** ms since the epoch of the last successful rotation. */
  readonly lastVaultRotation: number;
  /** Set while a rotation is under way; a crash leaves it set and the role is rotated again soon. */
  readonly pendingSince?: number;
}

export interface PendingRootRotation {
  readonly password: string;
}

export class DatabaseStore {
  constructor(private readonly storage: StorageView) {}

  getConfig(name: string): Promise<DatabaseConfig | undefined> {
    return this.storage.getJSON<DatabaseConfig>(CONFIG_PREFIX + name);
  }
  putConfig(name: string, config: DatabaseConfig): Promise<void> {
    return this.storage.putJSON(CONFIG_PREFIX + name, config);
  }
  /** Delete a config together with any pending root rotation of it. */
  deleteConfig(name: string): Promise<void> {
    return this.storage.batch([
      { type: 'delete', key: CONFIG_PREFIX + name },
      { type: 'delete', key: ROOT_ROTATION_PREFIX + name },
    ]);
  }
  listConfigs(): Promise<string[]> {
    return this.storage.list(CONFIG_PREFIX);
  }

  getPendingRoot(name: string): Promise<PendingRootRotation | undefined> {
    return this.storage.getJSON<PendingRootRotation>(ROOT_ROTATION_PREFIX + name);
  }
  putPendingRoot(name: string, pending: PendingRootRotation): Promise<void> {
    return this.storage.putJSON(ROOT_ROTATION_PREFIX + name, pending);
  }
  deletePendingRoot(name: string): Promise<void> {
    return this.storage.delete(ROOT_ROTATION_PREFIX + name);
  }
  /** Store a config and drop its pending root rotation in one write. */
  commitConfig(name: string, config: DatabaseConfig): Promise<void> {
    return this.storage.batch([
      { type: 'put', key: CONFIG_PREFIX + name, value: Buffer.from(JSON.stringify(config), 'utf8') },
      { type: 'delete', key: ROOT_ROTATION_PREFIX + name },
    ]);
  }

  getRole(name: string): Promise<RoleEntry | undefined> {
    return this.storage.getJSON<RoleEntry>(ROLE_PREFIX + name);
  }
  putRole(name: string, role: RoleEntry): Promise<void> {
    return this.storage.putJSON(ROLE_PREFIX + name, role);
  }
  deleteRole(name: string): Promise<void> {
    return this.storage.delete(ROLE_PREFIX + name);
  }
  listRoles(): Promise<string[]> {
    return this.storage.list(ROLE_PREFIX);
  }

  getStaticRole(name: string): Promise<StaticRoleEntry | undefined> {
    return this.storage.getJSON<StaticRoleEntry>(STATIC_ROLE_PREFIX + name);
  }
  putStaticRole(name: string, role: StaticRoleEntry): Promise<void> {
    return this.storage.putJSON(STATIC_ROLE_PREFIX + name, role);
  }
  deleteStaticRole(name: string): Promise<void> {
    return this.storage.delete(STATIC_ROLE_PREFIX + name);
  }
  listStaticRoles(): Promise<string[]> {
    return this.storage.list(STATIC_ROLE_PREFIX);
  }
}

/** Whether a config's allowed_roles (exact names or globs with '*') admits a role. */
export function isRoleAllowed(config: DatabaseConfig, role: string): boolean {
  return config.allowedRoles.some((pattern) => {
    if (!pattern.includes('*')) return pattern === role;
    const source = pattern.split('*').map((part) => part.replace(/[\\^$.+?()[\]{}|]/g, '\\$&')).join('.*');
    return new RegExp(`^${source}$`, 's').test(role);
  });
}
