/**
 * creds/<name>: a new database user per read, with a lease. The lease keeps the username, the
 * role and (in case the role is deleted before the lease ends) the role's database and
 * revocation statements; never the password. Renewal runs the role's renew statements with
 * the new expiration; revocation (expiry, sys/leases/revoke, the token's revocation) runs its
 * revocation statements or the plugin's default (drop the user).
 */
import { BadRequestError } from '../../errors.js';
import { calculateRenewTTL } from '../../expiration/renew-ttl.js';
import { definePath, genericName, type PathDef, type SecretDef } from '../../framework/index.js';
import type { BackendContext, LeaseHandle } from '../../logical/backend.js';
import { usernameFor, passwordFor } from './credentials.js';
import { databaseFailure } from './engine-errors.js';
import { mountOf, type DatabaseMount } from './mount-state.js';
import type { DatabasePlugin } from './plugin-api.js';
import { ROLE_NAME_FIELD } from './role-paths.js';
import { isRoleAllowed } from './store.js';

/** `Response.secret.type` of dynamic credentials. */
export const CREDS_SECRET_TYPE = 'creds';

async function pluginFor(m: DatabaseMount, dbName: string, what: string): Promise<DatabasePlugin> {
  if ((await m.store.getConfig(dbName)) === undefined) throw new BadRequestError(`${what}: could not find database with name: ${dbName}`);
  return m.connections.get(dbName).catch((err: unknown) => {
    throw databaseFailure(err, what);
  });
}

const credsPath = definePath({
  pattern: `creds/${genericName('name')}`,
  fields: ROLE_NAME_FIELD,
  operations: {
    read: async (req, f, ctx) => {
      const m = mountOf(ctx);
      const name = f.get('name');
      const role = await m.store.getRole(name);
      if (role === undefined) throw new BadRequestError(`unknown role: ${name}`);
      const config = await m.store.getConfig(role.dbName);
      if (config === undefined) throw new BadRequestError(`could not find database with name: ${role.dbName}`);
      if (!isRoleAllowed(config, name)) throw new BadRequestError(`"${name}" is not an allowed role`);

      const mountMax = ctx.mount.maxLeaseTTL();
      const max = role.maxTTL > 0 ? Math.min(role.maxTTL, mountMax) : mountMax;
      const ttl = Math.min(role.defaultTTL > 0 ? role.defaultTTL : ctx.mount.defaultLeaseTTL(), max);
      const now = ctx.clock.now();
      const username = usernameFor(config, req.auth?.displayName ?? '', name, now);
      const password = await passwordFor(config, ctx.passwordFromPolicy);
      const plugin = await m.connections.get(role.dbName).catch((err: unknown) => {
        throw databaseFailure(err, 'unable to create user');
      });
      try {
        await plugin.createUser({ username, password, expiration: now + ttl * 1000, statements: role.creationStatements });
      } catch (err) {
        throw databaseFailure(err);
      }
      return {
        data: { username, password },
        secret: {
          type: CREDS_SECRET_TYPE,
          ttl,
          ...(role.maxTTL > 0 ? { maxTTL: role.maxTTL } : {}),
          renewable: true,
          internalData: {
            username,
            role: name,
            db_name: role.dbName,
            revocation_statements: [...role.revocationStatements],
          },
        },
      };
    },
  },
  synopsis: 'Request database credentials for a certain role.',
  description: `
This path reads database credentials for a certain role. The database
credentials will be generated on demand and will be automatically revoked when
the lease is up.`,
});

export const CREDS_PATHS: readonly PathDef[] = [credsPath];

function internalString(lease: LeaseHandle, key: string): string {
  const v = lease.internalData[key];
  if (typeof v !== 'string' || v === '') throw new BadRequestError(`secret is missing ${key} internal data`);
  return v;
}

function internalStrings(lease: LeaseHandle, key: string): string[] {
  const v = lease.internalData[key];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

async function revokeCreds(lease: LeaseHandle, ctx: BackendContext): Promise<void> {
  const m = mountOf(ctx);
  const username = internalString(lease, 'username');
  const role = await m.store.getRole(internalString(lease, 'role'));
  // A deleted role's lease still revokes, with what the lease recorded at issue.
  const dbName = role?.dbName ?? internalString(lease, 'db_name');
  const statements = role?.revocationStatements ?? internalStrings(lease, 'revocation_statements');
  const plugin = await pluginFor(m, dbName, 'unable to revoke user');
  try {
    await plugin.revokeUser({ username, statements });
  } catch (err) {
    throw databaseFailure(err);
  }
}

async function renewCreds(lease: LeaseHandle, increment: number, ctx: BackendContext): Promise<{ ttl: number; maxTTL?: number }> {
  const m = mountOf(ctx);
  const username = internalString(lease, 'username');
  const roleName = internalString(lease, 'role');
  const role = await m.store.getRole(roleName);
  if (role === undefined) throw new BadRequestError(`error during renew: could not find role with name ${roleName}`);
  const now = ctx.clock.now();
  // The same rule the expiration manager applies to our answer, so the database's VALID UNTIL
  // and the lease end together.
  const { ttl } = calculateRenewTTL({
    now,
    issueTime: lease.issueTime,
    increment,
    backendTTL: role.defaultTTL > 0 ? role.defaultTTL : ctx.mount.defaultLeaseTTL(),
    backendMaxTTL: role.maxTTL,
    mountMaxTTL: ctx.mount.maxLeaseTTL(),
  });
  const plugin = await pluginFor(m, role.dbName, 'unable to renew user');
  try {
    await plugin.renewUser({ username, expiration: now + ttl * 1000, statements: role.renewStatements });
  } catch (err) {
    throw databaseFailure(err);
  }
  return { ttl, ...(role.maxTTL > 0 ? { maxTTL: role.maxTTL } : {}) };
}

export const CREDS_SECRET: SecretDef = { revoke: revokeCreds, renew: renewCreds };
