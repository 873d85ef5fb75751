/**
 * Every physical storage prefix Arca writes, with who writes it, who reads it, and its
 * replication class (ARCHITECTURE.md §2). The class is decided by the key, never by the
 * caller: the replication layer asks `classify(key)` for every write.
 *
 * A test walks the storage of a server that exercised every subsystem and fails if any key
 * matches no entry here.
 */

export type KeyClass = 'replicated' | 'local';

export interface PrefixSpec {
  readonly prefix: string;
  readonly class: KeyClass | 'by-mount';
  readonly doc: string;
}

/** Seal configuration (shares, threshold). Plaintext. Written by sys/init; read at unseal. Local: each cluster has its own seal. */
export const SEAL_CONFIG = 'core/seal-config';
/** The root key encrypted with the Shamir-combined unseal key. Written by init/rekey; read by unseal. Local (a secondary receives it once, at activation). */
export const SEAL_ROOT_KEY = 'core/seal/root-key';
/** The barrier keyring (all terms), encrypted with the root key. Written by init and sys/rotate; read at unseal. Replicated so secondaries decrypt replicated data. */
export const BARRIER_KEYRING = 'core/keyring';
/** Barrier self-test canary, encrypted under the keyring. Written at init; read at unseal to prove the keyring. Local. */
export const BARRIER_CANARY = 'core/canary';
/** Generate-root / rekey progress is in memory only; nothing stored. */

/** Replicated mount table (non-local secrets engines). Written by sys/mounts; read at unseal by the router. */
export const MOUNT_TABLE = 'core/mounts';
/** Local mount table (local=true engines). Local. */
export const LOCAL_MOUNT_TABLE = 'core/local-mounts';
/** Replicated auth table. Written by sys/auth; read at unseal. */
export const AUTH_TABLE = 'core/auth';
/** Local auth table. Local. */
export const LOCAL_AUTH_TABLE = 'core/local-auth';
/** Audit device table. Local: each cluster's audit devices are its own. */
export const AUDIT_TABLE = 'core/audit';
/** User lockout: one key per locked alias, <mount accessor>/<base64url alias>. Written by src/core/login-lockout.ts; read at unseal. Local. */
export const LOCKED_USERS_PREFIX = 'core/login/locked-users/';
/** sys/config/cors settings. Written by sys/config/cors; read at unseal. Local: each cluster serves its own browsers. */
export const CORS_CONFIG = 'core/cors-config';
/** Automatic barrier key rotation settings (sys/rotate/config). Replicated: the primary rotates for every cluster. */
export const BARRIER_ROTATION_CONFIG = 'core/rotation-config';
/** Encryptions under the active barrier term, stored by the active node so counting survives restarts. Local. */
export const BARRIER_ENCRYPTION_COUNT = 'core/encryption-count';
/** Cluster identity (cluster name/id). Local. */
export const CLUSTER_INFO = 'core/cluster/';

/** Data of secrets engines: "logical/<mount uuid>/...". Class follows the mount's `local` flag and the backend's local paths. */
export const LOGICAL_PREFIX = 'logical/';
/** Data of auth methods: "auth/<mount uuid>/...". Class as LOGICAL_PREFIX. */
export const AUTH_PREFIX = 'auth/';

/** ACL policies (acl/) and password policies (password/). Written by sys/policy, sys/policies/*; read by the policy stores. Replicated. */
export const POLICY_PREFIX = 'sys/policy/';
/** Rate limit quotas (rate-limit/<name>) and their settings (config). Written by sys/quotas; read by the quota store. Replicated. */
export const QUOTA_PREFIX = 'sys/quotas/';
/** Token store: tokens, accessors, parent index, roles are under it. Local (each cluster issues its own tokens); token roles replicate. */
export const TOKEN_PREFIX = 'sys/token/';
/** Token roles (auth/token/roles). Replicated: configuration, not credentials. */
export const TOKEN_ROLES_PREFIX = 'sys/token/roles/';
/** Leases. Written by the expiration manager; local. */
export const LEASE_PREFIX = 'sys/expire/';
/** Identity store (entities, groups, aliases). Replicated (aliases of local mounts are local). */
export const IDENTITY_PREFIX = 'sys/identity/';
/** Local identity data (aliases of local auth mounts). */
export const LOCAL_IDENTITY_PREFIX = 'sys/local-identity/';
/** Response-wrapping bookkeeping. Local. */
export const WRAPPING_PREFIX = 'core/wrapping/';
/** Replication bookkeeping and the WAL itself. Local by definition. */
export const REPLICATION_PREFIX = 'core/replication/';
export const WAL_PREFIX = 'wal/';
/*
 * Replication bookkeeping below REPLICATION_PREFIX written by src/replication directly on the
 * physical store, in plaintext JSON (positions and names, no secrets), because the applier writes
 * them in the same physical batch as the ciphertext it applies, and a sealed node must know its
 * mode. Never read through the barrier.
 */
/** Mode, cluster id, primary/secondary addresses. Written by the ReplicationManager; read at start. */
export const REPLICATION_STATE = 'core/replication/state';
/** A primary's registry of secondaries (one key per id: pending, active, revoked). Written by activation via the manager; read at start and by the cluster listener (through the manager). */
export const REPLICATION_SECONDARIES_PREFIX = 'core/replication/secondaries/';
/** A secondary's applied WAL index, epoch and sync flag. Written by the applier in the same batch as the entries it applies; read at start. */
export const REPLICATION_APPLIED_INDEX = 'core/replication/applied-index';
/** A primary's WAL epoch, oldest retained index and byte count. Written by the WAL trimmer; read at start. */
export const REPLICATION_WAL_META = 'core/replication/wal-meta';
/*
 * Key material of the cluster channel (src/replication/activation.ts), unlike the plaintext
 * bookkeeping above: written and read THROUGH THE BARRIER (encrypted), still local.
 */
/** A primary's replication CA (key + certificate) and cluster listener certificate. Written by primary/enable and promote; read when serving the cluster port. */
export const REPLICATION_CA = 'core/replication/ca';
/** A primary's per-secondary channel facts (client certificate serial, paths filter), one key per id. Written by secondary-token, paths-filter, revoke-secondary; read when serving the cluster port. */
export const REPLICATION_PEERS_PREFIX = 'core/replication/peers/';
/** A secondary's channel credentials (primary CA, client certificate and key), key = prefix + its secondary id (the entry arrives as the primary's ciphertext). Written by secondary/enable and update-primary; read after unseal to reconnect. */
export const REPLICATION_CHANNEL_PREFIX = 'core/replication/channel/';

export const PREFIXES: readonly PrefixSpec[] = [
  { prefix: SEAL_CONFIG, class: 'local', doc: 'seal configuration' },
  { prefix: SEAL_ROOT_KEY, class: 'local', doc: 'root key under the unseal key' },
  { prefix: BARRIER_KEYRING, class: 'replicated', doc: 'barrier keyring' },
  { prefix: BARRIER_CANARY, class: 'local', doc: 'barrier canary' },
  { prefix: MOUNT_TABLE, class: 'replicated', doc: 'mount table' },
  { prefix: LOCAL_MOUNT_TABLE, class: 'local', doc: 'local mount table' },
  { prefix: AUTH_TABLE, class: 'replicated', doc: 'auth table' },
  { prefix: LOCAL_AUTH_TABLE, class: 'local', doc: 'local auth table' },
  { prefix: AUDIT_TABLE, class: 'local', doc: 'audit devices' },
  { prefix: CLUSTER_INFO, class: 'local', doc: 'cluster identity' },
  { prefix: CORS_CONFIG, class: 'local', doc: 'CORS settings' },
  { prefix: BARRIER_ROTATION_CONFIG, class: 'replicated', doc: 'barrier key rotation settings' },
  { prefix: BARRIER_ENCRYPTION_COUNT, class: 'local', doc: 'barrier encryption count' },
  { prefix: LOCKED_USERS_PREFIX, class: 'local', doc: 'locked login aliases' },
  { prefix: LOGICAL_PREFIX, class: 'by-mount', doc: 'secrets engine data' },
  { prefix: AUTH_PREFIX, class: 'by-mount', doc: 'auth method data' },
  { prefix: POLICY_PREFIX, class: 'replicated', doc: 'ACL and password policies' },
  { prefix: TOKEN_ROLES_PREFIX, class: 'replicated', doc: 'token roles' },
  { prefix: QUOTA_PREFIX, class: 'replicated', doc: 'rate limit quotas' },
  { prefix: TOKEN_PREFIX, class: 'local', doc: 'tokens and accessors' },
  { prefix: LEASE_PREFIX, class: 'local', doc: 'leases' },
  { prefix: IDENTITY_PREFIX, class: 'replicated', doc: 'identity' },
  { prefix: LOCAL_IDENTITY_PREFIX, class: 'local', doc: 'local identity' },
  { prefix: WRAPPING_PREFIX, class: 'local', doc: 'response wrapping' },
  { prefix: REPLICATION_PREFIX, class: 'local', doc: 'replication bookkeeping' },
  { prefix: WAL_PREFIX, class: 'local', doc: 'write-ahead log' },
];

/** Per-mount facts the classifier needs: which mounts are local, which backend paths are local. */
export interface MountClassInfo {
  readonly local: boolean;
  /** Backend-declared local paths relative to the mount's storage prefix; '*' suffix = prefix match. */
  readonly localPaths: readonly string[];
}

/**
 * Decides a key's class. `mounts` maps "logical/<uuid>/" or "auth/<uuid>/" to that mount's
 * facts; it is kept current by the router as mounts change.
 */
export class KeyClassifier {
  private readonly mounts = new Map<string, MountClassInfo>();

  setMount(storagePrefix: string, info: MountClassInfo): void {
    this.mounts.set(storagePrefix, info);
  }
  removeMount(storagePrefix: string): void {
    this.mounts.delete(storagePrefix);
  }

  classify(key: string): KeyClass {
    const spec = findPrefix(key);
    if (spec === undefined) throw new Error(`storage key ${JSON.stringify(key)} has no declared class`);
    if (spec.class !== 'by-mount') return spec.class;
    const second = key.indexOf('/', spec.prefix.length);
    if (second === -1) return 'local';
    const mountPrefix = key.slice(0, second + 1);
    const info = this.mounts.get(mountPrefix);
    // Data of an unknown mount (being created or deleted) is treated as local: never shipped.
    if (info === undefined || info.local) return 'local';
    const rest = key.slice(second + 1);
    for (const p of info.localPaths) {
      if (p.endsWith('*') ? rest.startsWith(p.slice(0, -1)) : rest === p) return 'local';
    }
    return 'replicated';
  }
}

/** The most specific declared prefix that covers key (exact for non-folder names). */
export function findPrefix(key: string): PrefixSpec | undefined {
  let best: PrefixSpec | undefined;
  for (const spec of PREFIXES) {
    const covers = spec.prefix.endsWith('/') ? key.startsWith(spec.prefix) : key === spec.prefix;
    if (covers && (best === undefined || spec.prefix.length > best.prefix.length)) best = spec;
  }
  return best;
}
