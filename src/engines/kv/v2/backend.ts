/** KV version 2: versioned secrets with metadata, check-and-set, soft delete and destroy. */
import type { BackendContext, LogicalBackend, SpecialPaths } from '../../../logical/backend.js';
import { createBackend, type PathDef } from '../../../framework/index.js';
import { configPath, subkeysPath } from './config-subkeys-paths.js';
import { dataPath } from './data-path.js';
import { metadataPath } from './metadata-path.js';
import { VERSION_OPERATION_PATHS } from './version-ops-paths.js';

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

export function kvV2Factory(ctx: BackendContext): LogicalBackend {
  return createBackend({ paths: KV_V2_PATHS, specialPaths: KV_V2_SPECIAL_PATHS, help: KV_V2_HELP }, ctx);
}
