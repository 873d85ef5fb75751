/**
 * create, create-orphan and create/:role_name: a caller's token makes a new token, by Vault's
 * rules. The caller is the parent (unless orphan); a batch or limited-use caller makes none;
 * `id`, `no_parent` and `period` need sudo; policies follow token-policies.ts; TTLs follow
 * ttl.ts with the auth/token mount's default and max. The answer is Vault's `auth` block.
 *
 * entity_alias is validated against the role's allowed_entity_aliases; the identity store finds
 * or creates that alias on the token mount, and its entity (not the parent's) is the token's.
 */
import { BadRequestError } from '../errors.js';
import { definePath, genericName, type FieldData, type FieldSchemas, type PathDef } from '../framework/index.js';
import type { BackendContext, BackendRequest } from '../logical/backend.js';
import type { Response } from '../logical/request.js';
import { ROOT_POLICY_NAME } from '../policy/builtin.js';
import { authBlockOf, callerHasSudo, missingPolicyWarnings, type TokenDeps } from './token-deps.js';
import type { TokenType } from './token-entry.js';
import { anyGlobMatches, choosePolicies } from './token-policies.js';
import { getRole, type TokenRole } from './token-roles.js';
import { computeCreateTTL } from './ttl.js';

const CREATE_FIELDS = {
  role_name: { type: 'string', description: 'Create the token against this token role.' },
  id: { type: 'string', description: 'Value of the token (root or sudo only).', sensitive: true },
  policies: { type: 'comma-string-slice', description: 'Policies of the token; by default those of the caller.' },
  meta: { type: 'string-map', description: 'Metadata, passed through to audit.' },
  no_parent: { type: 'bool', description: 'Create an orphan (root or sudo only).' },
  no_default_policy: { type: 'bool', description: 'Do not attach the default policy.' },
  renewable: { type: 'bool', description: 'Whether the token may be renewed.', default: true },
  lease: { type: 'duration', description: 'Deprecated alias of ttl.' },
  ttl: { type: 'duration', description: 'Initial TTL of the token.' },
  type: { type: 'string', description: 'service or batch.' },
  explicit_max_ttl: { type: 'duration', description: 'Hard cap on the token lifetime, renewals included.' },
  display_name: { type: 'string', description: 'Display name; prefixed with "token-".' },
  num_uses: { type: 'int', description: 'Uses allowed; 0 = unlimited.' },
  period: { type: 'duration', description: 'Makes the token periodic (root or sudo only).' },
  entity_alias: { type: 'string', description: 'Entity alias to attach (with a role listing it).' },
} as const satisfies FieldSchemas;

type CreateFields = FieldData<typeof CREATE_FIELDS>;

/** Vault's display-name rule: "token-" + name, anything but [A-Za-z0-9-] becomes "-", one trailing "-" dropped. */
export function tokenDisplayName(name: string): string {
  if (name === '') return 'token';
  const full = `token-${name}`.replace(/[^a-zA-Z0-9-]/g, '-');
  return full.endsWith('-') ? full.slice(0, -1) : full;
}

function resolveType(requested: string, role: TokenRole | undefined): TokenType {
  let type = requested;
  if (role !== undefined) {
    if (role.tokenType === 'service' || role.tokenType === 'batch') type = role.tokenType;
    else if (role.tokenType === 'default-batch' && type === '') type = 'batch';
  }
  if (type === '' || type === 'service') return 'service';
  if (type === 'batch') return 'batch';
  throw new BadRequestError("invalid 'token_type' value");
}

function positive(value: number | undefined, name: string): number {
  if (value === undefined) return 0;
  if (value < 0) throw new BadRequestError(`${name} must be positive`);
  return value;
}

/** The lesser of two settings where 0 means unset. */
function lesserSet(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

function checkCustomId(id: string): void {
  if (id.startsWith('s.')) throw new BadRequestError("custom token ID cannot have the 's.' prefix");
  // A dot would let a chosen ID pass for a batch ("b.") or namespaced token.
  if (id.includes('.')) throw new BadRequestError("custom token ID cannot have a '.' in the value");
}

async function createToken(deps: TokenDeps, req: BackendRequest, f: CreateFields, ctx: BackendContext, orphanPath: boolean): Promise<Response> {
  const { tokens } = deps;
  const roleName = orphanPath ? '' : f.get('role_name');
  let role: TokenRole | undefined;
  if (roleName !== '') {
    role = await getRole(tokens.roles, roleName);
    if (role === undefined) throw new BadRequestError(`unknown role ${roleName}`);
  }

  const parent = await tokens.lookup(req.clientToken);
  if (parent === undefined) throw new BadRequestError('parent token lookup failed: no parent found');
  if (parent.entry.type === 'batch') throw new BadRequestError('batch tokens cannot create more tokens');
  // Any use limit (the pipeline already spent one of them) would escape through a child.
  if (parent.entry.numUses !== 0) throw new BadRequestError('restricted use token cannot generate child tokens');
  const sudo = await callerHasSudo(deps, req);

  const explicitAsked = positive(f.getOk('explicit_max_ttl'), 'explicit_max_ttl');
  const periodAsked = positive(f.getOk('period'), 'period');
  const numUsesAsked = f.get('num_uses');
  const type = resolveType(f.get('type'), role);
  if (type === 'batch') {
    if (explicitAsked !== 0) throw new BadRequestError('batch tokens cannot have "explicit_max_ttl" set');
    if (numUsesAsked !== 0) throw new BadRequestError('batch tokens cannot have "num_uses" set');
    if (periodAsked !== 0) throw new BadRequestError('batch tokens cannot have "period" set');
  }
  if (numUsesAsked < 0) throw new BadRequestError('number of uses cannot be negative');

  const entityAlias = f.get('entity_alias');
  if (entityAlias !== '') {
    if (role === undefined) throw new BadRequestError("'entity_alias' is only allowed in combination with token role");
    if (!anyGlobMatches(role.allowedEntityAliases, entityAlias.toLowerCase())) throw new BadRequestError("invalid 'entity_alias' value");
  }

  const policies = choosePolicies({
    requested: f.get('policies'),
    noDefaultPolicy: f.get('no_default_policy') || (role?.tokenNoDefaultPolicy ?? false),
    parentPolicies: parent.entry.policies,
    sudo,
    ...(role !== undefined ? { role } : {}),
  });
  const root = policies.includes(ROOT_POLICY_NAME);
  if (root && type === 'batch') throw new BadRequestError('batch tokens cannot be root tokens');

  let orphan = orphanPath;
  if (role !== undefined) orphan = role.orphan;
  else if (f.get('no_parent')) {
    if (!sudo) throw new BadRequestError('root or sudo privileges required to create orphan token');
    orphan = true;
  }

  const id = f.get('id');
  if (id !== '') {
    if (!sudo) throw new BadRequestError('root or sudo privileges required to specify token id');
    checkCustomId(id);
  }
  if (periodAsked > 0 && !sudo) throw new BadRequestError('root or sudo privileges required to create periodic token');
  const requestedTTL = positive(f.getOk('ttl') ?? f.getOk('lease'), f.has('ttl') ? 'ttl' : 'lease');

  const warnings: string[] = [];
  let explicitMaxTTL = explicitAsked;
  let period = periodAsked;
  // Role ceilings combine with the request's: the lesser wins (batch tokens take neither).
  if (role !== undefined && type !== 'batch') {
    if (role.tokenExplicitMaxTTL !== 0) {
      if (explicitMaxTTL !== 0) {
        explicitMaxTTL = Math.min(explicitMaxTTL, role.tokenExplicitMaxTTL);
        warnings.push(`Explicit max TTL specified both during creation call and in role; using the lesser value of ${explicitMaxTTL} seconds`);
      } else explicitMaxTTL = role.tokenExplicitMaxTTL;
    }
    if (role.tokenPeriod !== 0) {
      if (period !== 0) {
        period = Math.min(period, role.tokenPeriod);
        warnings.push(`Period specified both during creation call and in role; using the lesser value of ${period} seconds`);
      } else period = role.tokenPeriod;
    }
  }

  let ttl: number;
  let maxTTL = 0;
  if (root && requestedTTL === 0 && period === 0) {
    // Root tokens asked for no TTL never expire, unless an explicit max bounds them.
    ttl = explicitMaxTTL;
  } else {
    const computed = computeCreateTTL({
      requested: requestedTTL,
      period,
      explicitMaxTTL,
      roleMaxTTL: 0,
      mountDefaultTTL: ctx.mount.defaultLeaseTTL(),
      mountMaxTTL: ctx.mount.maxLeaseTTL(),
      root,
    });
    ttl = computed.ttl;
    maxTTL = computed.maxTTL;
    warnings.push(...computed.warnings);
  }

  let renewable = type === 'service' && f.get('renewable') && (role?.renewable ?? true);
  let boundCidrs: readonly string[] = role !== undefined ? role.tokenBoundCidrs : orphan ? [] : parent.entry.boundCidrs;
  if (ttl === 0) {
    if (parent.entry.expireTime !== 0) throw new BadRequestError('expiring root tokens cannot create non-expiring root tokens');
    // A token that never expires has nothing to renew, and Vault does not CIDR-bind it.
    renewable = false;
    boundCidrs = [];
  }

  let path = orphanPath ? 'auth/token/create-orphan' : 'auth/token/create';
  if (role !== undefined) path = `auth/token/create/${role.name}${role.pathSuffix !== '' ? `/${role.pathSuffix}` : ''}`;

  // An alias means "this token's entity comes from the alias", so the parent's is not inherited.
  let entityId = orphan ? '' : parent.entry.entityId;
  if (entityAlias !== '') entityId = deps.entityForAlias === undefined ? '' : await deps.entityForAlias(ctx.mount.accessor, entityAlias);

  const issued = await tokens.create({
    policies,
    path,
    displayName: tokenDisplayName(f.get('display_name')),
    meta: f.get('meta'),
    ttl,
    maxTTL,
    explicitMaxTTL,
    period,
    numUses: lesserSet(numUsesAsked, type === 'batch' ? 0 : (role?.tokenNumUses ?? 0)),
    renewable,
    type,
    parent: orphan ? '' : parent.idHash,
    entityId,
    role: role?.name ?? '',
    boundCidrs,
    mountAccessor: ctx.mount.accessor,
    ...(entityAlias !== '' ? { entityAlias } : {}),
    ...(id !== '' ? { id } : {}),
  });
  warnings.push(...(await missingPolicyWarnings(deps, issued.entry.policies)));
  return {
    auth: authBlockOf(issued.token, issued.entry, issued.entry.creationTTL),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export function createPaths(deps: TokenDeps): PathDef[] {
  return [
    definePath({
      pattern: 'create',
      fields: CREATE_FIELDS,
      operations: { update: async (req, f, ctx) => createToken(deps, req, f, ctx, false) },
      synopsis: 'Create a token, a child of the calling token.',
      description: 'Creates a token with a subset of the caller\'s policies (any policies with sudo), as a child of the caller unless no_parent is set by a sudo caller.',
    }),
    definePath({
      pattern: 'create-orphan',
      fields: CREATE_FIELDS,
      operations: { update: async (req, f, ctx) => createToken(deps, req, f, ctx, true) },
      synopsis: 'Create a token with no parent.',
      description: 'As create, but the new token is an orphan: revoking or expiring the caller leaves it alone.',
    }),
    definePath({
      pattern: `create/${genericName('role_name')}`,
      fields: CREATE_FIELDS,
      operations: { update: async (req, f, ctx) => createToken(deps, req, f, ctx, false) },
      synopsis: 'Create a token against a token role.',
      description: 'Creates a token with the settings of the named role; the role overrides the options of the call.',
    }),
  ];
}
