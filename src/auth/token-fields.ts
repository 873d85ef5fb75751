/**
 * The `token_*` fields every auth method role (userpass users, approle roles, token roles)
 * accepts, as Vault's tokenutil defines them: one schema, one parser, one renderer, so the
 * methods agree on names, defaults and validation.
 */
import { BadRequestError } from '../errors.js';
import type { FieldData, FieldSchemas } from '../framework/index.js';
import type { ConfiguredTokenType, LoginAuth } from '../logical/request.js';

/** Persisted token settings of a role or user. Durations in seconds, 0 = unset. */
export interface TokenParams {
  readonly tokenPolicies: readonly string[];
  readonly tokenTTL: number;
  readonly tokenMaxTTL: number;
  readonly tokenExplicitMaxTTL: number;
  readonly tokenPeriod: number;
  readonly tokenNumUses: number;
  readonly tokenNoDefaultPolicy: boolean;
  readonly tokenType: ConfiguredTokenType;
  readonly tokenBoundCidrs: readonly string[];
}

export const EMPTY_TOKEN_PARAMS: TokenParams = Object.freeze({
  tokenPolicies: [],
  tokenTTL: 0,
  tokenMaxTTL: 0,
  tokenExplicitMaxTTL: 0,
  tokenPeriod: 0,
  tokenNumUses: 0,
  tokenNoDefaultPolicy: false,
  tokenType: 'default',
  tokenBoundCidrs: [],
});

export const TOKEN_FIELDS = {
  token_policies: { type: 'comma-string-slice', description: 'Policies attached to tokens issued here.' },
  policies: { type: 'comma-string-slice', description: 'Deprecated alias of token_policies.' },
  token_ttl: { type: 'duration', description: 'Initial TTL of issued tokens.' },
  token_max_ttl: { type: 'duration', description: 'Maximum lifetime of issued tokens, renewals included.' },
  token_explicit_max_ttl: { type: 'duration', description: 'A hard cap on token lifetime that renewals cannot lift.' },
  token_period: { type: 'duration', description: 'Makes issued tokens periodic with this renewal period.' },
  token_num_uses: { type: 'int', description: 'Uses allowed per issued token; 0 = unlimited.' },
  token_no_default_policy: { type: 'bool', description: 'Do not attach the default policy.' },
  token_type: { type: 'string', description: 'service, batch, default, default-service or default-batch.', default: 'default' },
  token_bound_cidrs: { type: 'comma-string-slice', description: 'CIDR blocks issued tokens may be used from.' },
} as const satisfies FieldSchemas;

const TOKEN_TYPES: readonly ConfiguredTokenType[] = ['default', 'service', 'batch', 'default-service', 'default-batch'];

/** Trimmed, lower-cased, de-duplicated, sorted policy names (Vault's SanitizePolicies without "default"). */
export function sanitizePolicies(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const v = n.trim().toLowerCase();
    if (v !== '') out.add(v);
  }
  return [...out].sort();
}

/**
 * Apply the token fields a request sent onto `prev` (create starts from EMPTY_TOKEN_PARAMS,
 * update from the stored value). `policies` is honoured when `token_policies` is absent.
 */
export function readTokenParams(fields: FieldData<typeof TOKEN_FIELDS>, prev: TokenParams = EMPTY_TOKEN_PARAMS): TokenParams {
  const policies = fields.getOk('token_policies') ?? fields.getOk('policies');
  const type = fields.getOk('token_type');
  if (type !== undefined && !TOKEN_TYPES.includes(type as ConfiguredTokenType)) {
    throw new BadRequestError(`invalid 'token_type' value "${type}"`);
  }
  const numUses = fields.getOk('token_num_uses');
  if (numUses !== undefined && numUses < 0) throw new BadRequestError("'token_num_uses' cannot be negative");
  const next: TokenParams = {
    tokenPolicies: policies === undefined ? prev.tokenPolicies : sanitizePolicies(policies),
    tokenTTL: fields.getOk('token_ttl') ?? prev.tokenTTL,
    tokenMaxTTL: fields.getOk('token_max_ttl') ?? prev.tokenMaxTTL,
    tokenExplicitMaxTTL: fields.getOk('token_explicit_max_ttl') ?? prev.tokenExplicitMaxTTL,
    tokenPeriod: fields.getOk('token_period') ?? prev.tokenPeriod,
    tokenNumUses: numUses ?? prev.tokenNumUses,
    tokenNoDefaultPolicy: fields.getOk('token_no_default_policy') ?? prev.tokenNoDefaultPolicy,
    tokenType: (type as ConfiguredTokenType | undefined) ?? prev.tokenType,
    tokenBoundCidrs: fields.getOk('token_bound_cidrs') ?? prev.tokenBoundCidrs,
  };
  if (next.tokenMaxTTL > 0 && next.tokenTTL > next.tokenMaxTTL) {
    throw new BadRequestError('"token_ttl" value must be less than "token_max_ttl" value');
  }
  if (next.tokenType === 'batch' && next.tokenPeriod > 0) throw new BadRequestError('batch tokens cannot be periodic');
  if (next.tokenType === 'batch' && next.tokenNumUses > 0) throw new BadRequestError('batch tokens cannot have num_uses set');
  return next;
}

/** The token_* fields of a read response, Vault's names and shapes. */
export function renderTokenParams(p: TokenParams): Record<string, unknown> {
  return {
    token_bound_cidrs: [...p.tokenBoundCidrs],
    token_explicit_max_ttl: p.tokenExplicitMaxTTL,
    token_max_ttl: p.tokenMaxTTL,
    token_no_default_policy: p.tokenNoDefaultPolicy,
    token_num_uses: p.tokenNumUses,
    token_period: p.tokenPeriod,
    token_policies: [...p.tokenPolicies],
    token_ttl: p.tokenTTL,
    token_type: p.tokenType,
  };
}

/** A login result carrying these token settings. */
export function loginAuthFrom(
  p: TokenParams,
  who: { displayName: string; metadata?: Record<string, string>; alias?: LoginAuth['alias']; extraPolicies?: readonly string[] },
): LoginAuth {
  return {
    displayName: who.displayName,
    policies: sanitizePolicies([...p.tokenPolicies, ...(who.extraPolicies ?? [])]),
    metadata: who.metadata ?? {},
    ttl: p.tokenTTL,
    maxTTL: p.tokenMaxTTL,
    explicitMaxTTL: p.tokenExplicitMaxTTL,
    period: p.tokenPeriod,
    numUses: p.tokenNumUses,
    renewable: true,
    noDefaultPolicy: p.tokenNoDefaultPolicy,
    tokenType: p.tokenType,
    boundCidrs: p.tokenBoundCidrs,
    ...(who.alias !== undefined ? { alias: who.alias } : {}),
  };
}
