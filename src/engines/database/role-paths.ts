/** roles/ (LIST) and roles/<name> (write, read, delete): dynamic roles. */
import { BadRequestError } from '../../errors.js';
import { definePath, genericName, type FieldSchemas, type PathDef, type PathHandler } from '../../framework/index.js';
import { mountOf } from './mount-state.js';
import { parseStatements } from './statements.js';
import { roleLock } from './static-rotation.js';
import type { RoleEntry } from './store.js';

export const ROLE_NAME_FIELD = {
  name: { type: 'string', description: 'Name of the role.' },
} as const satisfies FieldSchemas;

const ROLE_FIELDS = {
  ...ROLE_NAME_FIELD,
  db_name: { type: 'string', description: 'Name of the database connection this role uses.' },
  creation_statements: { type: 'string-slice', description: 'Statements creating the user; {{name}}, {{password}} and {{expiration}} are filled in.' },
  revocation_statements: { type: 'string-slice', description: 'Statements revoking the user; empty for the default (drop the role).' },
  rollback_statements: { type: 'string-slice', description: 'Stored for compatibility; creation runs in a transaction instead.' },
  renew_statements: { type: 'string-slice', description: 'Statements renewing the user; empty for the default (VALID UNTIL).' },
  default_ttl: { type: 'duration', description: 'Default TTL of the leases; 0 for the mount default.' },
  max_ttl: { type: 'duration', description: 'Maximum TTL of the leases; 0 for the mount maximum.' },
} as const satisfies FieldSchemas;

const writeRole: PathHandler<typeof ROLE_FIELDS> = async (_req, f, ctx) => {
  const m = mountOf(ctx);
  const name = f.get('name');
  await m.locks.run(roleLock(name), async () => {
    if ((await m.store.getStaticRole(name)) !== undefined) throw new BadRequestError('Role and Static Role names must be unique');
    const existing = await m.store.getRole(name);
    const role: RoleEntry = {
      dbName: f.getOk('db_name') ?? existing?.dbName ?? '',
      creationStatements: f.getOk('creation_statements') ?? existing?.creationStatements ?? [],
      revocationStatements: f.getOk('revocation_statements') ?? existing?.revocationStatements ?? [],
      rollbackStatements: f.getOk('rollback_statements') ?? existing?.rollbackStatements ?? [],
      renewStatements: f.getOk('renew_statements') ?? existing?.renewStatements ?? [],
      defaultTTL: f.getOk('default_ttl') ?? existing?.defaultTTL ?? 0,
      maxTTL: f.getOk('max_ttl') ?? existing?.maxTTL ?? 0,
    };
    if (role.dbName === '') throw new BadRequestError('empty database name attribute');
    if (parseStatements(role.creationStatements).length === 0) throw new BadRequestError('empty creation statements');
    if (role.defaultTTL < 0 || role.maxTTL < 0) throw new BadRequestError('ttl and max_ttl cannot be negative');
    if (role.maxTTL > 0 && role.defaultTTL > role.maxTTL) throw new BadRequestError('ttl cannot be greater than max_ttl');
    await m.store.putRole(name, role);
  });
  return undefined;
};

const rolePath = definePath({
  pattern: `roles/${genericName('name')}`,
  fields: ROLE_FIELDS,
  existenceCheck: async (_req, f, ctx) => (await mountOf(ctx).store.getRole(f.get('name'))) !== undefined,
  operations: {
    create: writeRole,
    update: writeRole,
    read: async (_req, f, ctx) => {
      const role = await mountOf(ctx).store.getRole(f.get('name'));
      if (role === undefined) return undefined;
      return {
        data: {
          db_name: role.dbName,
          creation_statements: [...role.creationStatements],
          revocation_statements: [...role.revocationStatements],
          rollback_statements: [...role.rollbackStatements],
          renew_statements: [...role.renewStatements],
          default_ttl: role.defaultTTL,
          max_ttl: role.maxTTL,
          credential_type: 'password',
        },
      };
    },
    delete: async (_req, f, ctx) => {
      const m = mountOf(ctx);
      const name = f.get('name');
      // Leases already issued keep what they need to be revoked (see creds-path.ts).
      await m.locks.run(roleLock(name), () => m.store.deleteRole(name));
      return undefined;
    },
  },
  synopsis: 'Manage the roles that can be created with this backend.',
  description: `
This path lets you manage the roles that can be created with this backend.
A role names a database connection (db_name), the statements that create,
renew and revoke a user, and the TTLs of the credentials' leases.`,
});

const roleListPath = definePath({
  pattern: 'roles/?',
  fields: {},
  operations: {
    list: async (_req, _f, ctx) => {
      const keys = await mountOf(ctx).store.listRoles();
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Manage the roles that can be created with this backend.',
  description: 'List the dynamic roles.',
});

export const ROLE_PATHS: readonly PathDef[] = [roleListPath, rolePath];
