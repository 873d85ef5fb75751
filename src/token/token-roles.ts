/**
 * Token roles (auth/token/roles/:role_name): named presets for auth/token/create/:role_name
 * that can hand out policies, orphans and periodic tokens a caller could not ask for alone.
 * Roles are replicated configuration, stored as JSON under TOKEN_ROLES_PREFIX (the token
 * store's `roles` view), keyed by role name.
 */
import { BadRequestError } from '../errors.js';
import { definePath, genericName, type FieldData, type FieldSchemas, type PathDef, type PathHandler } from '../framework/index.js';
import type { StorageView } from '../logical/storage.js';
import { TOKEN_FIELDS } from '../auth/token-fields.js';
import { CidrError, parseCidrList } from '../util/cidr.js';
import type { TokenDeps } from './token-deps.js';
import { sanitizeTokenPolicies, type RolePolicyRules } from './token-policies.js';

export type RoleTokenType = 'service' | 'batch' | 'default-service' | 'default-batch';

export interface TokenRole extends RolePolicyRules {
  readonly name: string;
  readonly orphan: boolean;
  readonly renewable: boolean;
  readonly pathSuffix: string;
  /** Lower-cased; globs allowed. */
  readonly allowedEntityAliases: readonly string[];
  readonly tokenType: RoleTokenType;
  /** Effective settings (seconds; 0 = unset), whichever of the current or legacy field set them. */
  readonly tokenPeriod: number;
  readonly tokenExplicitMaxTTL: number;
  readonly tokenNumUses: number;
  readonly tokenNoDefaultPolicy: boolean;
  readonly tokenBoundCidrs: readonly string[];
  /** What the deprecated period / explicit_max_ttl / bound_cidrs set, echoed by reads as Vault does. */
  readonly legacyPeriod: number;
  readonly legacyExplicitMaxTTL: number;
  readonly legacyBoundCidrs: readonly string[];
}

const ROLE_TOKEN_TYPES: readonly string[] = ['service', 'batch', 'default-service', 'default-batch'];

export function getRole(roles: StorageView, name: string): Promise<TokenRole | undefined> {
  return roles.getJSON<TokenRole>(name);
}

const ROLE_NAME = { role_name: { type: 'string', description: 'Name of the token role.' } } as const satisfies FieldSchemas;

const ROLE_FIELDS = {
  ...ROLE_NAME,
  allowed_policies: { type: 'comma-string-slice', description: 'Policies tokens of this role may have (instead of a subset of the parent).' },
  disallowed_policies: { type: 'comma-string-slice', description: 'Policies tokens of this role may never have.' },
  allowed_policies_glob: { type: 'comma-string-slice', description: 'Glob patterns of allowed policies.' },
  disallowed_policies_glob: { type: 'comma-string-slice', description: 'Glob patterns of disallowed policies.' },
  orphan: { type: 'bool', description: 'Tokens of this role have no parent.' },
  renewable: { type: 'bool', description: 'Tokens of this role may be renewed.', default: true },
  path_suffix: { type: 'string', description: 'Appended to the token path after the role name.' },
  allowed_entity_aliases: { type: 'comma-string-slice', description: 'Entity aliases (globs allowed) a create may name.' },
  token_type: { type: 'string', description: 'service, batch, default-service or default-batch.', default: 'default-service' },
  token_period: TOKEN_FIELDS.token_period,
  token_explicit_max_ttl: TOKEN_FIELDS.token_explicit_max_ttl,
  token_num_uses: TOKEN_FIELDS.token_num_uses,
  token_no_default_policy: TOKEN_FIELDS.token_no_default_policy,
  token_bound_cidrs: TOKEN_FIELDS.token_bound_cidrs,
  period: { type: 'duration', description: 'Deprecated alias of token_period.' },
  explicit_max_ttl: { type: 'duration', description: 'Deprecated alias of token_explicit_max_ttl.' },
  bound_cidrs: { type: 'comma-string-slice', description: 'Deprecated alias of token_bound_cidrs.' },
} as const satisfies FieldSchemas;

type RoleFields = FieldData<typeof ROLE_FIELDS>;

function cidrs(values: readonly string[]): string[] {
  try {
    return parseCidrList(values);
  } catch (err) {
    if (err instanceof CidrError) throw new BadRequestError(err.message);
    throw err;
  }
}

function nonNegative(value: number, name: string): number {
  if (value < 0) throw new BadRequestError(`"${name}" cannot be negative`);
  return value;
}

/** A current field supersedes its deprecated twin; the twin only counts when sent alone. */
function withLegacy<T>(current: T | undefined, legacy: T | undefined, prev: { value: T; legacy: T }, none: T): { value: T; legacy: T } {
  if (current !== undefined) return { value: current, legacy: none };
  if (legacy !== undefined) return { value: legacy, legacy };
  return prev;
}

function roleFrom(f: RoleFields, name: string, prev: TokenRole | undefined): TokenRole {
  const type = f.getOk('token_type') ?? prev?.tokenType ?? f.get('token_type');
  // Vault's tokenutil also knows "default"; for a token role it means default-service.
  const tokenType = (type === 'default' ? 'default-service' : type) as RoleTokenType;
  if (!ROLE_TOKEN_TYPES.includes(tokenType)) throw new BadRequestError(`invalid 'token_type' value ${JSON.stringify(type)}`);

  const period = withLegacy(f.getOk('token_period'), f.getOk('period'), { value: prev?.tokenPeriod ?? 0, legacy: prev?.legacyPeriod ?? 0 }, 0);
  const explicit = withLegacy(
    f.getOk('token_explicit_max_ttl'),
    f.getOk('explicit_max_ttl'),
    { value: prev?.tokenExplicitMaxTTL ?? 0, legacy: prev?.legacyExplicitMaxTTL ?? 0 },
    0,
  );
  const sentCidrs = f.getOk('token_bound_cidrs');
  const legacyCidrs = f.getOk('bound_cidrs');
  const bound = withLegacy<readonly string[]>(
    sentCidrs === undefined ? undefined : cidrs(sentCidrs),
    legacyCidrs === undefined ? undefined : cidrs(legacyCidrs),
    { value: prev?.tokenBoundCidrs ?? [], legacy: prev?.legacyBoundCidrs ?? [] },
    [],
  );
  const suffix = f.getOk('path_suffix') ?? prev?.pathSuffix ?? '';
  if (suffix.split('/').includes('..')) throw new BadRequestError('error registering path suffix: path cannot contain parent references');
  const lowerAll = (xs: readonly string[]): string[] => [...new Set(xs.map((x) => x.trim().toLowerCase()).filter((x) => x !== ''))].sort();

  const role: TokenRole = {
    name,
    allowedPolicies: pick(f.getOk('allowed_policies'), prev?.allowedPolicies, (xs) => sanitizeTokenPolicies(xs, false)),
    disallowedPolicies: pick(f.getOk('disallowed_policies'), prev?.disallowedPolicies, lowerAll),
    allowedPoliciesGlob: pick(f.getOk('allowed_policies_glob'), prev?.allowedPoliciesGlob, lowerAll),
    disallowedPoliciesGlob: pick(f.getOk('disallowed_policies_glob'), prev?.disallowedPoliciesGlob, lowerAll),
    orphan: f.getOk('orphan') ?? prev?.orphan ?? false,
    renewable: f.getOk('renewable') ?? prev?.renewable ?? true,
    pathSuffix: suffix,
    allowedEntityAliases: pick(f.getOk('allowed_entity_aliases'), prev?.allowedEntityAliases, lowerAll),
    tokenType,
    tokenPeriod: nonNegative(period.value, 'token_period'),
    tokenExplicitMaxTTL: nonNegative(explicit.value, 'token_explicit_max_ttl'),
    tokenNumUses: nonNegative(f.getOk('token_num_uses') ?? prev?.tokenNumUses ?? 0, 'token_num_uses'),
    tokenNoDefaultPolicy: f.getOk('token_no_default_policy') ?? prev?.tokenNoDefaultPolicy ?? false,
    tokenBoundCidrs: [...bound.value],
    legacyPeriod: period.legacy,
    legacyExplicitMaxTTL: explicit.legacy,
    legacyBoundCidrs: [...bound.legacy],
  };
  if (role.tokenType === 'batch') {
    // Batch tokens are never stored, so nothing could revoke, renew or count them.
    if (!role.orphan) throw new BadRequestError("'token_type' cannot be 'batch' when role is set to generate non-orphan tokens");
    if (role.tokenPeriod !== 0) throw new BadRequestError("'token_type' cannot be 'batch' when role is set to generate periodic tokens");
    if (role.renewable) throw new BadRequestError("'token_type' cannot be 'batch' when role is set to generate renewable tokens");
    if (role.tokenExplicitMaxTTL !== 0) throw new BadRequestError("'token_type' cannot be 'batch' when role is set to generate tokens with an explicit max TTL");
    if (role.tokenNumUses !== 0) throw new BadRequestError("'token_type' cannot be 'batch' when role is set to generate tokens with limited use count");
  }
  return role;
}

function pick(sent: readonly string[] | undefined, prev: readonly string[] | undefined, clean: (xs: readonly string[]) => string[]): string[] {
  if (sent !== undefined) return clean(sent);
  return [...(prev ?? [])];
}

function renderRole(role: TokenRole): Record<string, unknown> {
  const data: Record<string, unknown> = {
    allowed_entity_aliases: [...role.allowedEntityAliases],
    allowed_policies: [...role.allowedPolicies],
    allowed_policies_glob: [...role.allowedPoliciesGlob],
    disallowed_policies: [...role.disallowedPolicies],
    disallowed_policies_glob: [...role.disallowedPoliciesGlob],
    explicit_max_ttl: role.legacyExplicitMaxTTL,
    name: role.name,
    orphan: role.orphan,
    path_suffix: role.pathSuffix,
    period: role.legacyPeriod,
    renewable: role.renewable,
    token_bound_cidrs: [...role.tokenBoundCidrs],
    token_explicit_max_ttl: role.tokenExplicitMaxTTL,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_num_uses: role.tokenNumUses,
    token_period: role.tokenPeriod,
    token_type: role.tokenType,
  };
  if (role.legacyBoundCidrs.length > 0) data['bound_cidrs'] = [...role.legacyBoundCidrs];
  return data;
}

export function rolePaths(deps: TokenDeps, mountMaxTTL: () => number): PathDef[] {
  const roles = deps.tokens.roles;
  const write: PathHandler<typeof ROLE_FIELDS> = async (_req, f) => {
    const name = f.get('role_name');
    if (name === '') throw new BadRequestError('role name cannot be empty');
    const role = roleFrom(f, name, await getRole(roles, name));
    await roles.putJSON(name, role);
    const max = mountMaxTTL();
    if (max > 0 && role.tokenExplicitMaxTTL > max) {
      return {
        warnings: [
          `Given explicit max TTL of ${role.tokenExplicitMaxTTL} is greater than system/mount allowed value of ${max} seconds; tokens created against this role are capped at the mount's maximum`,
        ],
      };
    }
    return undefined;
  };

  return [
    definePath({
      pattern: 'roles/?',
      fields: {},
      operations: {
        list: async () => {
          const keys = (await roles.list('')).filter((k) => !k.endsWith('/'));
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
      synopsis: 'List the token roles.',
      description: 'The names of every token role.',
    }),
    definePath({
      pattern: `roles/${genericName('role_name')}`,
      fields: ROLE_FIELDS,
      existenceCheck: async (_req, f) => (await getRole(roles, f.get('role_name'))) !== undefined,
      operations: {
        create: write,
        update: write,
        read: async (_req, f) => {
          const role = await getRole(roles, f.get('role_name'));
          return role === undefined ? undefined : { data: renderRole(role) };
        },
        delete: async (_req, f) => {
          await roles.delete(f.get('role_name'));
          return undefined;
        },
      },
      synopsis: 'Create, read, update or delete a token role.',
      description: `
A token role presets what auth/token/create/<role_name> issues: the policies it may
grant (allowed/disallowed, exact or glob), orphan and renewable tokens, periods, explicit
max TTLs, use limits, bound CIDRs and the token type. Role settings override the options
of the create call.
`,
    }),
  ];
}
