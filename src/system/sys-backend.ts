/**
 * The system backend mounted at sys/: a backend like any other, built from path tables,
 * whose handlers call the core's services.
 */
import { createBackend } from '../framework/index.js';
import type { LogicalBackend, MountSettings } from '../logical/backend.js';
import { StorageView } from '../logical/storage.js';
import type { Core } from '../core/core.js';
import { LOGICAL_PREFIX } from '../storage/keys.js';
import { mountPaths } from './mount-paths.js';
import { sealPaths } from './seal-paths.js';

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
      paths: [...sealPaths(core), ...mountPaths(core)],
      specialPaths: {
        unauthenticated: ['init', 'seal-status', 'unseal', 'health', 'leader', 'generate-root/*'],
        root: ['seal', 'rotate', 'step-down', 'mounts/*', 'remount', 'key-status'],
      },
      help: 'The system backend: seal lifecycle, mounts, and server configuration.',
    },
    // The system backend keeps no data of its own; its view is never written.
    { storage: new StorageView(core.barrier, `${LOGICAL_PREFIX}system/`), mount, clock: core.clock },
  );
}
