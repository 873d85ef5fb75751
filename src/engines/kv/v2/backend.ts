/** KV version 2: versioned secrets with metadata, check-and-set, soft delete and destroy. */
import type { BackendContext, BackendRequest, LogicalBackend, SpecialPaths } from '../../../logical/backend.js';
import { createBackend, type PathDef } from '../../../framework/index.js';
import { configPath, subkeysPath } from './config-subkeys-paths.js';
import { dataPath } from './data-path.js';
import { metadataPath } from './metadata-path.js';
import { V1Upgrade } from './upgrade.js';
import { VERSION_OPERATION_PATHS } from './version-ops-paths.js';
import { KeyedMutex } from '../../../util/keyed-mutex.js';
import { CONFIG_KEY, invalidateConfig } from './layout.js';

export const KV_V2_PATHS: readonly PathDef[] = [configPath, dataPath, ...VERSION_OPERATION_PATHS, metadataPath, subkeysPath];

/**
 * Vault's KV v2 marks no path root-protected or unauthenticated, and keeps every path
 * replicated; its only special paths concern seal-wrapping, which Arca's barrier covers.
 */
export const KV_V2_SPECIAL_PATHS: SpecialPaths = {};

export const KV_V2_HELP = `
The KV backend (version 2) reads and writes versioned secrets. Each write of
data/<path> creates a new version; metadata/<path> holds the key's settings,
custom metadata and version history; delete/, undelete/ and destroy/ manage
individual versions; subkeys/ shows a version's structure without values; and
config holds engine-wide defaults.
`;

/** A KV v2 backend; its initialize converts any v1 data left by an in-place upgrade. */
export interface KvV2Backend extends LogicalBackend {
  initialize(): Promise<void>;
  cleanup(): Promise<void>;
  /** Resolves when no v1 conversion is running (for tests and orderly shutdown). */
  upgradeSettled(): Promise<void>;
}

export function kvV2Factory(ctx: BackendContext): KvV2Backend {
  const upgrade = new V1Upgrade(ctx);
  const writes = new KeyedMutex();
  const backend = createBackend({ paths: KV_V2_PATHS, specialPaths: KV_V2_SPECIAL_PATHS, help: KV_V2_HELP }, ctx);
  // Every path is refused while v1 data is converted (help stays available), as in Vault.
  return {
    specialPaths: backend.specialPaths,
    ...(backend.describePaths !== undefined ? { describePaths: backend.describePaths } : {}),
    async handleRequest(req: BackendRequest) {
      if (req.operation !== 'help') upgrade.check();
      if (!isMutation(req.operation)) return backend.handleRequest(req);
      // Writes read metadata, then commit a new version: one secret's writes must not interleave,
      // or two writers would both create version N+1 (a lost update) and check-and-set would race.
      return writes.run(secretKey(req.relativePath), () => backend.handleRequest(req));
    },
    async existenceCheck(req: BackendRequest) {
      upgrade.check();
      return backend.existenceCheck(req);
    },
    // Every mutation of every KV v2 path writes the mount's storage (data, metadata, versions, config).
    writesShared: (req: BackendRequest) => isMutation(req.operation),
    // Replication changed a key of this mount below the engine: the cached engine config may be stale.
    invalidate(key: string) {
      if (key === CONFIG_KEY) invalidateConfig(ctx.storage);
    },
    initialize: () => upgrade.start(),
    cleanup: () => upgrade.stop(),
    upgradeSettled: () => upgrade.settled(),
  };
}

function isMutation(op: BackendRequest['operation']): boolean {
  return op === 'create' || op === 'update' || op === 'patch' || op === 'delete';
}

/** The secret a path acts on: "data/a/b", "metadata/a/b", "destroy/a/b" all lock "a/b". */
function secretKey(relativePath: string): string {
  const slash = relativePath.indexOf('/');
  return slash === -1 ? relativePath : relativePath.slice(slash + 1).replace(/\/+$/, '');
}
