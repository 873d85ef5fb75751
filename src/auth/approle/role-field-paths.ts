/**
 * role/<name>/<property>: read, update or reset (delete) one property of a role, so an ACL can
 * delegate just that property. Every write goes through the same checks as role/<name>.
 */
import { BadRequestError } from '../../errors.js';
import {
  definePath,
  literal,
  parseFields,
  type FieldData,
  type FieldSchemas,
  type PathDef,
} from '../../framework/index.js';
import type { BackendContext } from '../../logical/backend.js';
import { readTokenParams, renderTokenParams, TOKEN_FIELDS } from '../token-fields.js';
import { checkCidrs } from '../../util/cidr.js';
import { saltOf } from './layout.js';
import { getRole, requireRole, saveRole, withRoleLock, type RoleEntry } from './role-store.js';
import { ROLE_NAME_FIELD, rolePattern } from './role-paths.js';

/** A property's own fields; role_name comes from the path. */
type PropertyFields = FieldSchemas & { readonly role_name?: never };

interface PropertySpec<F extends PropertyFields> {
  readonly segment: string;
  readonly fields: F;
  readonly read: (role: RoleEntry) => Record<string, unknown>;
  /** The updated role; undefined when the request carried none of the fields. */
  readonly update?: (role: RoleEntry, f: FieldData<F>) => RoleEntry | undefined;
  readonly reset?: (role: RoleEntry) => RoleEntry;
  readonly synopsis: string;
}

/** Apply token_* values (already validated by the sub-path) through the shared token rules. */
function withToken(role: RoleEntry, values: Record<string, unknown>): RoleEntry {
  const { fields } = parseFields(TOKEN_FIELDS, values, {});
  const token = readTokenParams(fields, role.token);
  return { ...role, token: { ...token, tokenBoundCidrs: checkCidrs('token_bound_cidrs', token.tokenBoundCidrs) } };
}

async function mutate(ctx: BackendContext, name: string, change: (role: RoleEntry) => RoleEntry): Promise<undefined> {
  const salt = await saltOf(ctx.storage);
  await withRoleLock(ctx.storage, async () => {
    const role = await requireRole(ctx.storage, name);
    await saveRole(ctx.storage, salt, change(role), role);
  });
  return undefined;
}

function propertyPath<F extends PropertyFields>(spec: PropertySpec<F>): PathDef {
  const fields = { ...ROLE_NAME_FIELD, ...spec.fields };
  type All = typeof fields;
  const { update, reset } = spec;
  return definePath<All>({
    pattern: rolePattern(`/${literal(spec.segment)}`),
    fields,
    operations: {
      read: async (_req, f, ctx) => {
        const role = await getRole(ctx.storage, f.get('role_name'));
        return role === undefined ? undefined : { data: spec.read(role) };
      },
      ...(update === undefined
        ? {}
        : {
            update: (_req, f, ctx) =>
              mutate(ctx, f.get('role_name'), (role) => {
                const next = update(role, f);
                if (next === undefined) throw new BadRequestError(`missing ${Object.keys(spec.fields)[0]}`);
                return next;
              }),
          }),
      ...(reset === undefined ? {} : { delete: (_req, f, ctx) => mutate(ctx, f.get('role_name'), reset) }),
    },
    synopsis: spec.synopsis,
    description: `${spec.synopsis} The same property can be set through role/<role_name>.`,
  });
}

const token = (role: RoleEntry) => renderTokenParams(role.token);

export const ROLE_PROPERTY_PATHS: readonly PathDef[] = [
  propertyPath({
    segment: 'policies',
    fields: {
      policies: TOKEN_FIELDS.policies,
      token_policies: TOKEN_FIELDS.token_policies,
    },
    read: (role) => ({ policies: token(role)['token_policies'], token_policies: token(role)['token_policies'] }),
    update: (role, f) => {
      const policies = f.getOk('token_policies') ?? f.getOk('policies');
      return policies === undefined ? undefined : withToken(role, { token_policies: policies });
    },
    reset: (role) => ({ ...role, token: { ...role.token, tokenPolicies: [] } }),
    synopsis: 'Policies of the tokens issued by the role.',
  }),
  propertyPath({
    segment: 'secret-id-num-uses',
    fields: { secret_id_num_uses: { type: 'int', description: 'Default uses of a new secret ID; 0 = unlimited.' } },
    read: (role) => ({ secret_id_num_uses: role.secretIdNumUses }),
    update: (role, f) => {
      const v = f.getOk('secret_id_num_uses');
      return v === undefined ? undefined : { ...role, secretIdNumUses: v };
    },
    reset: (role) => ({ ...role, secretIdNumUses: 0 }),
    synopsis: 'Default number of uses of the secret IDs of the role.',
  }),
  propertyPath({
    segment: 'secret-id-ttl',
    fields: { secret_id_ttl: { type: 'duration', description: 'Default lifetime of a new secret ID; 0 = never expires.' } },
    read: (role) => ({ secret_id_ttl: role.secretIdTTL }),
    update: (role, f) => {
      const v = f.getOk('secret_id_ttl');
      return v === undefined ? undefined : { ...role, secretIdTTL: v };
    },
    reset: (role) => ({ ...role, secretIdTTL: 0 }),
    synopsis: 'Default lifetime of the secret IDs of the role.',
  }),
  propertyPath({
    segment: 'token-num-uses',
    fields: { token_num_uses: TOKEN_FIELDS.token_num_uses },
    read: (role) => ({ token_num_uses: role.token.tokenNumUses }),
    update: (role, f) => {
      const v = f.getOk('token_num_uses');
      return v === undefined ? undefined : withToken(role, { token_num_uses: v });
    },
    reset: (role) => ({ ...role, token: { ...role.token, tokenNumUses: 0 } }),
    synopsis: 'Number of uses of the tokens issued by the role.',
  }),
  propertyPath({
    segment: 'token-ttl',
    fields: { token_ttl: TOKEN_FIELDS.token_ttl },
    read: (role) => ({ token_ttl: role.token.tokenTTL }),
    update: (role, f) => {
      const v = f.getOk('token_ttl');
      return v === undefined ? undefined : withToken(role, { token_ttl: v });
    },
    reset: (role) => ({ ...role, token: { ...role.token, tokenTTL: 0 } }),
    synopsis: 'TTL of the tokens issued by the role.',
  }),
  propertyPath({
    segment: 'token-max-ttl',
    fields: { token_max_ttl: TOKEN_FIELDS.token_max_ttl },
    read: (role) => ({ token_max_ttl: role.token.tokenMaxTTL }),
    update: (role, f) => {
      const v = f.getOk('token_max_ttl');
      return v === undefined ? undefined : withToken(role, { token_max_ttl: v });
    },
    reset: (role) => ({ ...role, token: { ...role.token, tokenMaxTTL: 0 } }),
    synopsis: 'Maximum TTL of the tokens issued by the role.',
  }),
  propertyPath({
    segment: 'period',
    fields: {
      period: { type: 'duration', description: 'Deprecated alias of token_period.' },
      token_period: TOKEN_FIELDS.token_period,
    },
    read: (role) => ({ period: role.token.tokenPeriod, token_period: role.token.tokenPeriod }),
    update: (role, f) => {
      const v = f.getOk('token_period') ?? f.getOk('period');
      return v === undefined ? undefined : withToken(role, { token_period: v });
    },
    reset: (role) => ({ ...role, token: { ...role.token, tokenPeriod: 0 } }),
    synopsis: 'Period of the tokens issued by the role (periodic tokens).',
  }),
  propertyPath({
    segment: 'bind-secret-id',
    fields: { bind_secret_id: { type: 'bool', description: 'Require a secret ID at login.' } },
    read: (role) => ({ bind_secret_id: role.bindSecretId }),
    update: (role, f) => {
      const v = f.getOk('bind_secret_id');
      return v === undefined ? undefined : { ...role, bindSecretId: v };
    },
    reset: (role) => ({ ...role, bindSecretId: true }),
    synopsis: 'Whether login requires a secret ID.',
  }),
  propertyPath({
    segment: 'secret-id-bound-cidrs',
    fields: { secret_id_bound_cidrs: { type: 'comma-string-slice', description: 'CIDR blocks allowed to log in.' } },
    read: (role) => ({ secret_id_bound_cidrs: [...role.secretIdBoundCidrs] }),
    update: (role, f) => {
      const v = f.getOk('secret_id_bound_cidrs');
      return v === undefined ? undefined : { ...role, secretIdBoundCidrs: checkCidrs('secret_id_bound_cidrs', v) };
    },
    reset: (role) => ({ ...role, secretIdBoundCidrs: [] }),
    synopsis: 'CIDR blocks from which the role may log in.',
  }),
  propertyPath({
    segment: 'bound-cidr-list',
    fields: { bound_cidr_list: { type: 'comma-string-slice', description: 'Deprecated alias of secret_id_bound_cidrs.' } },
    read: (role) => ({ bound_cidr_list: [...role.secretIdBoundCidrs] }),
    update: (role, f) => {
      const v = f.getOk('bound_cidr_list');
      return v === undefined ? undefined : { ...role, secretIdBoundCidrs: checkCidrs('bound_cidr_list', v) };
    },
    reset: (role) => ({ ...role, secretIdBoundCidrs: [] }),
    synopsis: 'Deprecated: use secret-id-bound-cidrs.',
  }),
  propertyPath({
    segment: 'token-bound-cidrs',
    fields: { token_bound_cidrs: TOKEN_FIELDS.token_bound_cidrs },
    read: (role) => ({ token_bound_cidrs: [...role.token.tokenBoundCidrs] }),
    update: (role, f) => {
      const v = f.getOk('token_bound_cidrs');
      return v === undefined ? undefined : withToken(role, { token_bound_cidrs: v });
    },
    reset: (role) => ({ ...role, token: { ...role.token, tokenBoundCidrs: [] } }),
    synopsis: 'CIDR blocks from which the tokens issued by the role may be used.',
  }),
  propertyPath({
    segment: 'local-secret-ids',
    fields: {},
    read: (role) => ({ local_secret_ids: role.localSecretIds }),
    synopsis: 'Whether the secret IDs of the role are cluster-local (fixed at creation).',
  }),
];
