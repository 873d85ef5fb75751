/**
 * The database secrets engine (mount type `database`): connection configs, dynamic roles whose
 * credentials are leased users created on demand, and static roles whose passwords are rotated
 * on a schedule. The PostgreSQL plugin is the one plugin in the catalog.
 */
import { createBackend, type PathDef } from '../../framework/index.js';
import type { BackendContext, LogicalBackend } from '../../logical/backend.js';
import { CONFIG_PATHS } from './config-paths.js';
import { CREDS_PATHS, CREDS_SECRET, CREDS_SECRET_TYPE } from './creds-path.js';
import { mountOf } from './mount-state.js';
import { ROLE_PATHS } from './role-paths.js';
import { STATIC_ROLE_PATHS } from './static-role-paths.js';

export const DATABASE_PATHS: readonly PathDef[] = [...CONFIG_PATHS, ...ROLE_PATHS, ...CREDS_PATHS, ...STATIC_ROLE_PATHS];

export const DATABASE_HELP = `
The database backend supports using many different databases
as secret backends, including but not limited to:
cassandra, mssql, mysql, postgres

After mounting this backend, configure it using the endpoints within
the "database/config/" path.
`;

export function databaseFactory(ctx: BackendContext): LogicalBackend {
  return createBackend(
    {
      paths: DATABASE_PATHS,
      secrets: { [CREDS_SECRET_TYPE]: CREDS_SECRET },
      help: DATABASE_HELP,
      initialize: (c) => mountOf(c).start(),
      cleanup: (c) => mountOf(c).stop(),
      // Replication applied a change to the mount's storage (this node is a secondary).
      invalidate: (key, c) => mountOf(c).invalidate(key),
    },
    ctx,
  );
}
