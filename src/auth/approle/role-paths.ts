/**
 * role/ (LIST), role/<name> (create, update, read, delete) and role/<name>/role-id.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError } from '../../errors.js';
import { definePath, genericName, type FieldSchemas, type PathHandler } from '../../framework/index.js';
import { EMPTY_TOKEN_PARAMS, readTokenParams, TOKEN_FIELDS } from '../token-fields.js';
import { checkCidrs } from '../../util/cidr.js';
import { saltOf } from './layout.js';
import {
  getRole,
  listRoles,
  MAX_ROLE_NAME_BYTES,
  renderRole,
  requireRole,
  roleDeleteOps,
  saveRole,
  withRoleLock,
  type RoleEntry,
} from './role-store.js';
import { allSecretIdDeleteOps, SecretIdScope } from './secret-id-store.js';

export const ROLE_NAME_FIELD = {
  role_name: { type: 'string', description: 'Name of the role.' },
} as const satisfies FieldSchemas;

/** role/<name> and role/<name>/<suffix>. */
export function rolePattern(suffix = ''): string {
  return `role/${genericName('role_name')}${suffix}`;
}

const ROLE_FIELDS = {
  ...ROLE_NAME_FIELD,
  role_id: { type: 'string', description: 'Identifier of the role; a UUID when not given.' },
  bind_secret_id: { type: 'bool', description: 'Require a secret ID at login.', default: true },
  secret_id_bound_cidrs: { type: 'comma-string-slice', description: 'CIDR blocks allowed to log in with this role.' },
  bound_cidr_list: { type: 'comma-string-slice', description: 'Deprecated alias of secret_id_bound_cidrs.' },
  secret_id_num_uses: { type: 'int', description: 'Default uses of a new secret ID; 0 = unlimited.' },
  secret_id_ttl: { type: 'duration', description: 'Default lifetime of a new secret ID; 0 = never expires.' },
  local_secret_ids: { type: 'bool', description: 'Keep secret IDs in cluster-local storage; only at creation.' },
  period: { type: 'duration', description: 'Deprecated alias of token_period.' },
  ...TOKEN_FIELDS,
} as const satisfies FieldSchemas;

const writeRole: PathHandler<typeof ROLE_FIELDS> = async (_req, f, ctx) => {
  const name = f.get('role_name');
  if (Buffer.byteLength(name, 'utf8') > MAX_ROLE_NAME_BYTES) {
    throw new BadRequestError(`role_name is longer than maximum of ${MAX_ROLE_NAME_BYTES} bytes`);
  }
  const salt = await saltOf(ctx.storage);
  await withRoleLock(ctx.storage, async () => {
    const prev = await getRole(ctx.storage, name);
    if (prev !== undefined && f.getOk('local_secret_ids') !== undefined) {
      throw new BadRequestError('local_secret_ids can only be modified during role creation');
    }
    const prevToken = prev?.token ?? EMPTY_TOKEN_PARAMS;
    const legacyPeriod = f.getOk('period');
    const tokenBase =
      legacyPeriod !== undefined && f.getOk('token_period') === undefined ? { ...prevToken, tokenPeriod: legacyPeriod } : prevToken;
    const token = readTokenParams(f, tokenBase);
    const cidrs = f.getOk('secret_id_bound_cidrs') ?? f.getOk('bound_cidr_list');
    const role: RoleEntry = {
      name,
      roleId: f.get('role_id') !== '' ? f.get('role_id') : (prev?.roleId ?? randomUUID()),
      bindSecretId: f.getOk('bind_secret_id') ?? prev?.bindSecretId ?? true,
      secretIdBoundCidrs: cidrs !== undefined ? checkCidrs('secret_id_bound_cidrs', cidrs) : (prev?.secretIdBoundCidrs ?? []),
      secretIdNumUses: f.getOk('secret_id_num_uses') ?? prev?.secretIdNumUses ?? 0,
      secretIdTTL: f.getOk('secret_id_ttl') ?? prev?.secretIdTTL ?? 0,
      localSecretIds: prev?.localSecretIds ?? f.get('local_secret_ids'),
      token: { ...token, tokenBoundCidrs: checkCidrs('token_bound_cidrs', token.tokenBoundCidrs) },
    };
    await saveRole(ctx.storage, salt, role, prev);
  });
  return undefined;
};

export const rolePath = definePath({
  pattern: rolePattern(),
  fields: ROLE_FIELDS,
  existenceCheck: async (_req, f, ctx) => (await getRole(ctx.storage, f.get('role_name'))) !== undefined,
  operations: {
    create: writeRole,
    update: writeRole,
    read: async (_req, f, ctx) => {
      const role = await getRole(ctx.storage, f.get('role_name'));
      return role === undefined ? undefined : { data: renderRole(role) };
    },
    delete: async (_req, f, ctx) => {
      const salt = await saltOf(ctx.storage);
      await withRoleLock(ctx.storage, async () => {
        const role = await getRole(ctx.storage, f.get('role_name'));
        if (role === undefined) return;
        // The role, its index and every secret ID go in one batch: no half-deleted role.
        const secretIds = await allSecretIdDeleteOps(new SecretIdScope(ctx.storage, salt, role));
        await ctx.storage.batch([...secretIds, ...roleDeleteOps(salt, role)]);
      });
      return undefined;
    },
  },
  synopsis: 'Register a role with the backend.',
  description: `
A role sets the conditions under which its role ID and secret IDs log in (bind_secret_id,
secret_id_bound_cidrs, secret_id_num_uses, secret_id_ttl) and the token a login receives
(token_* fields). At least one constraint must be enabled. Deleting a role deletes its
secret IDs.
`,
});

export const roleListPath = definePath({
  pattern: 'role/?',
  fields: {},
  operations: {
    list: async (_req, _f, ctx) => {
      const keys = await listRoles(ctx.storage);
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Lists all the roles registered with the backend.',
  description: 'The list contains the names of the roles.',
});

export const roleIdPath = definePath({
  pattern: rolePattern('/role-id'),
  fields: {
    ...ROLE_NAME_FIELD,
    role_id: { type: 'string', description: 'Identifier of the role.' },
  },
  operations: {
    read: async (_req, f, ctx) => {
      const role = await getRole(ctx.storage, f.get('role_name'));
      return role === undefined ? undefined : { data: { role_id: role.roleId } };
    },
    update: async (_req, f, ctx) => {
      const roleId = f.get('role_id');
      if (roleId === '') throw new BadRequestError('missing role_id');
      const salt = await saltOf(ctx.storage);
      await withRoleLock(ctx.storage, async () => {
        const role = await requireRole(ctx.storage, f.get('role_name'));
        await saveRole(ctx.storage, salt, { ...role, roleId }, role);
      });
      return undefined;
    },
  },
  synopsis: 'Read or set the role ID of a role.',
  description: 'The role ID identifies the role at login. It must be unique across the roles of the mount.',
});
