/**
 * static-roles/ (LIST), static-roles/<name> (write, read, delete), static-creds/<name> and
 * rotate-role/<name>. A static role maps to one existing database user whose password the
 * engine owns: it is set when the role is created (the engine must know it) and rotated every
 * rotation_period by the mount's scheduler, or on demand.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, formatTime, genericName, type FieldSchemas, type PathDef, type PathHandler } from '../../framework/index.js';
import { mountOf } from './mount-state.js';
import { ROLE_NAME_FIELD } from './role-paths.js';
import { nextDue, roleLock, rotateLocked, rotateStaticRole } from './static-rotation.js';
import { isRoleAllowed, type StaticRoleEntry } from './store.js';

/** Vault's lower bound on rotation_period. */
export const MIN_ROTATION_PERIOD = 5;

const STATIC_ROLE_FIELDS = {
  ...ROLE_NAME_FIELD,
  db_name: { type: 'string', description: 'Name of the database connection this role uses.' },
  username: { type: 'string', description: 'The existing database user this role manages.' },
  rotation_period: { type: 'duration', description: 'How often the password is rotated; at least 5 seconds.' },
  rotation_statements: { type: 'string-slice', description: 'Statements setting the password; {{name}} and {{password}} are filled in.' },
} as const satisfies FieldSchemas;

/** Quotes, backslashes and control characters would let a username escape a templated statement. */
function checkUsername(username: string): void {
  if (/["'\\\u0000-\u001f]/.test(username)) throw new BadRequestError('username contains characters that are not allowed (quotes, backslash, control characters)');
}

const writeStaticRole: PathHandler<typeof STATIC_ROLE_FIELDS> = async (_req, f, ctx) => {
  const m = mountOf(ctx);
  const name = f.get('name');
  const next = await m.locks.run(roleLock(name), async () => {
    if ((await m.store.getRole(name)) !== undefined) throw new BadRequestError('Role and Static Role names must be unique');
    const existing = await m.store.getStaticRole(name);
    const dbName = f.getOk('db_name');
    const username = f.getOk('username');
    if (existing !== undefined) {
      if (dbName !== undefined && dbName !== existing.dbName) throw new BadRequestError('cannot update static role db_name');
      if (username !== undefined && username !== existing.username) throw new BadRequestError('cannot update static account username');
    } else {
      if (dbName === undefined || dbName === '') throw new BadRequestError('database name is a required field');
      if (username === undefined || username === '') throw new BadRequestError('username is a required field to create a static account');
      checkUsername(username);
    }
    const rotationPeriod = f.getOk('rotation_period') ?? existing?.rotationPeriod;
    if (rotationPeriod === undefined) throw new BadRequestError('rotation_period is required to create static accounts');
    if (rotationPeriod < MIN_ROTATION_PERIOD) throw new BadRequestError(`rotation_period must be ${MIN_ROTATION_PERIOD} seconds or more`);
    const rotationStatements = f.getOk('rotation_statements') ?? existing?.rotationStatements ?? [];

    if (existing !== undefined) {
      const updated: StaticRoleEntry = { ...existing, rotationPeriod, rotationStatements };
      await m.store.putStaticRole(name, updated);
      return nextDue(updated, ctx.clock.now());
    }
    const config = await m.store.getConfig(dbName!);
    if (config === undefined) throw new BadRequestError(`could not find database with name: ${dbName!}`);
    if (!isRoleAllowed(config, name)) throw new BadRequestError(`"${name}" is not an allowed role`);
    const role: StaticRoleEntry = { dbName: dbName!, username: username!, rotationPeriod, rotationStatements, password: '', lastVaultRotation: 0 };
    try {
      // The engine cannot know the current password, so a new static role starts with a rotation.
      return await rotateLocked(m, name, role);
    } catch (err) {
      await m.store.deleteStaticRole(name);
      throw err;
    }
  });
  m.scheduler.set(name, next);
  return undefined;
};

const staticRolePath = definePath({
  pattern: `static-roles/${genericName('name')}`,
  fields: STATIC_ROLE_FIELDS,
  existenceCheck: async (_req, f, ctx) => (await mountOf(ctx).store.getStaticRole(f.get('name'))) !== undefined,
  operations: {
    create: writeStaticRole,
    update: writeStaticRole,
    read: async (_req, f, ctx) => {
      const role = await mountOf(ctx).store.getStaticRole(f.get('name'));
      if (role === undefined) return undefined;
      return {
        data: {
          db_name: role.dbName,
          username: role.username,
          rotation_period: role.rotationPeriod,
          rotation_statements: [...role.rotationStatements],
          last_vault_rotation: formatTime(role.lastVaultRotation),
          credential_type: 'password',
        },
      };
    },
    delete: async (_req, f, ctx) => {
      const m = mountOf(ctx);
      const name = f.get('name');
      // The database user was created outside the engine and stays; only the role goes.
      await m.locks.run(roleLock(name), () => m.store.deleteStaticRole(name));
      m.scheduler.remove(name);
      return undefined;
    },
  },
  synopsis: 'Manage the static roles that can be created with this backend.',
  description: `
This path lets you manage the static roles: each maps to one existing database
user whose password the engine sets on creation and rotates every
rotation_period.`,
});

const staticRoleListPath = definePath({
  pattern: 'static-roles/?',
  fields: {},
  operations: {
    list: async (_req, _f, ctx) => {
      const keys = await mountOf(ctx).store.listStaticRoles();
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Manage the static roles that can be created with this backend.',
  description: 'List the static roles.',
});

const staticCredsPath = definePath({
  pattern: `static-creds/${genericName('name')}`,
  fields: ROLE_NAME_FIELD,
  operations: {
    read: async (_req, f, ctx) => {
      const name = f.get('name');
      const role = await mountOf(ctx).store.getStaticRole(name);
      if (role === undefined) throw new BadRequestError(`unknown role: ${name}`);
      const dueMs = role.lastVaultRotation + role.rotationPeriod * 1000;
      return {
        data: {
          username: role.username,
          password: role.password,
          last_vault_rotation: formatTime(role.lastVaultRotation),
          rotation_period: role.rotationPeriod,
          ttl: Math.max(0, Math.floor((dueMs - ctx.clock.now()) / 1000)),
        },
      };
    },
  },
  synopsis: 'Request database credentials for a certain static role.',
  description: 'Returns the current username and password of a static role, and how long until its next rotation.',
});

const rotateRolePath = definePath({
  pattern: `rotate-role/${genericName('name')}`,
  fields: ROLE_NAME_FIELD,
  operations: {
    update: async (_req, f, ctx) => {
      const m = mountOf(ctx);
      const name = f.get('name');
      const next = await rotateStaticRole(m, name);
      if (next === undefined) throw new BadRequestError(`no static role found for role name: ${name}`);
      m.scheduler.set(name, next);
      return undefined;
    },
  },
  synopsis: 'Request to rotate the credentials for a static user account.',
  description: 'Rotates the password of a static role now; its next scheduled rotation is counted from now.',
});

export const STATIC_ROLE_PATHS: readonly PathDef[] = [staticRoleListPath, staticRolePath, staticCredsPath, rotateRolePath];
