/**
 * The system backend mounted at sys/: a backend like any other, built from path tables,
 * whose handlers call the core's services.
 */
import { utilityPaths } from '../engines/transit/utility-paths.js';
import { createBackend, type PathDef } from '../framework/index.js';
import type { LogicalBackend, MountSettings } from '../logical/backend.js';
import { StorageView } from '../logical/storage.js';
import type { Core } from '../core/core.js';
import { LOGICAL_PREFIX } from '../storage/keys.js';
import { auditPaths } from './audit-paths.js';
import { corsPaths } from './cors-paths.js';
import { rawPaths } from './raw-paths.js';
import { authPaths } from './auth-paths.js';
import { lockedUsersPaths } from './locked-users-paths.js';
import { loggerPaths } from './logger-paths.js';
import { passwordPolicyPaths } from './password-policy-paths.js';
import { pluginPaths } from './plugin-paths.js';
import { quotaPaths } from './quota-paths.js';
import { capabilitiesPaths } from './capabilities-paths.js';
import { leasePaths } from './lease-paths.js';
import { mountPaths } from './mount-paths.js';
import { openApiPaths } from './openapi-paths.js';
import { policyPaths } from './policy-paths.js';
import { replicationPaths } from './replication-paths.js';
import { SYS_ROOT_PATHS } from './root-paths.js';
import { sealPaths } from './seal-paths.js';
import { telemetryPaths } from './telemetry-paths.js';
import { wrappingPaths } from './wrapping-paths.js';

/** Every path of the system backend (one table, so the overlap test sees all of it). */
export function sysPaths(core: Core): PathDef[] {
  return [...sealPaths(core), ...mountPaths(core), ...authPaths(core), ...policyPaths(core), ...passwordPolicyPaths(core), ...lockedUsersPaths(core), ...quotaPaths(core), ...loggerPaths(core), ...pluginPaths(), ...corsPaths(core), ...rawPaths(core), ...capabilitiesPaths(core), ...wrappingPaths(core), ...leasePaths(core), ...auditPaths(core), ...telemetryPaths(core), ...replicationPaths(core), ...openApiPaths(core), ...utilityPaths('tools/')];
}

export function createSysBackend(core: Core): LogicalBackend {
  const mount: MountSettings = {
    path: 'sys/',
    type: 'system',
    accessor: 'system',
    uuid: 'system',
    local: false,
    options: {},
    defaultLeaseTTL: () => core.ttls.defaultLeaseTTL,
    maxLeaseTTL: () => core.ttls.maxLeaseTTL,
  };
  return createBackend(
    {
      paths: sysPaths(core),
      specialPaths: {
        unauthenticated: ['init', 'seal-status', 'unseal', 'health', 'leader', 'generate-root/*', 'rekey/*', 'internal/ui/resultant-acl', 'internal/specs/openapi', 'wrapping/lookup', 'replication/status', 'replication/performance/status'],
        root: SYS_ROOT_PATHS,
      },
      help: 'The system backend: seal lifecycle, mounts, and server configuration.',
    },
    // The system backend keeps no data of its own; its view is never written.
    { storage: new StorageView(core.barrier, `${LOGICAL_PREFIX}system/`), mount, clock: core.clock },
  );
}
