/**
 * Turns an auth method's login result into a token and the response's `auth` block. This is
 * the one place logins become tokens: the method decides who the caller is and its token
 * settings; the mount's TTLs and the system's bound them here.
 */
import type { MountSettings } from '../logical/backend.js';
import type { AuthBlock, ConfiguredTokenType, LoginAuth } from '../logical/request.js';
import { sanitizePolicies } from '../auth/token-fields.js';
import { DEFAULT_POLICY_NAME } from '../policy/builtin.js';
import type { TokenType } from './token-entry.js';
import type { IssuedToken, TokenStore } from './token-store.js';
import { computeCreateTTL } from './ttl.js';

export interface LoginContext {
  /** The auth mount that handled the login. */
  readonly mount: MountSettings;
  /** Full request path, recorded as the token's path (e.g. "auth/userpass/login/bob"). */
  readonly path: string;
  /** The caller's entity (from the login's alias): the token carries its id. */
  readonly identity?: LoginIdentity;
}

export interface LoginIdentity {
  readonly entityId: string;
  /** Policies of the entity and its groups; granted at request time, not stored on the token. */
  readonly policies: readonly string[];
}

export interface IssuedLogin {
  readonly auth: AuthBlock;
  readonly issued: IssuedToken;
  readonly warnings: readonly string[];
}

/** Resolve Vault's configured token types to the type actually issued. */
export function resolveTokenType(configured: ConfiguredTokenType): TokenType {
  return configured === 'batch' || configured === 'default-batch' ? 'batch' : 'service';
}

/** Token policies of a login: sanitised, plus `default` unless opted out. */
export function loginPolicies(login: Pick<LoginAuth, 'policies' | 'noDefaultPolicy'>): string[] {
  const names = sanitizePolicies(login.policies);
  if (!login.noDefaultPolicy && !names.includes(DEFAULT_POLICY_NAME) && !names.includes('root')) names.push(DEFAULT_POLICY_NAME);
  return names.sort();
}

export async function issueLoginToken(tokens: TokenStore, login: LoginAuth, ctx: LoginContext): Promise<IssuedLogin> {
  const policies = loginPolicies(login);
  const type = resolveTokenType(login.tokenType);
  const { ttl, maxTTL, warnings } = computeCreateTTL({
    requested: login.ttl,
    period: login.period,
    explicitMaxTTL: login.explicitMaxTTL,
    roleMaxTTL: login.maxTTL,
    mountDefaultTTL: ctx.mount.defaultLeaseTTL(),
    mountMaxTTL: ctx.mount.maxLeaseTTL(),
    root: false,
  });
  const mountName = ctx.mount.path.replace(/\/$/, '').replace(/\//g, '-');
  const issued = await tokens.create({
    policies,
    path: ctx.path,
    displayName: login.displayName === '' ? mountName : `${mountName}-${login.displayName}`,
    meta: login.metadata,
    ttl,
    maxTTL,
    explicitMaxTTL: login.explicitMaxTTL,
    period: login.period,
    numUses: login.numUses,
    renewable: type === 'service' && login.renewable,
    type,
    boundCidrs: login.boundCidrs,
    mountAccessor: ctx.mount.accessor,
    ...(ctx.identity !== undefined ? { entityId: ctx.identity.entityId } : {}),
  });
  const e = issued.entry;
  const identityPolicies = [...(ctx.identity?.policies ?? [])].sort();
  const auth: AuthBlock = {
    clientToken: issued.token,
    accessor: e.accessor,
    // Vault's `policies` is the union; `token_policies` what the token itself holds.
    policies: [...new Set([...e.policies, ...identityPolicies])].sort(),
    tokenPolicies: [...e.policies],
    identityPolicies,
    metadata: { ...e.meta },
    leaseDuration: e.creationTTL,
    renewable: e.renewable,
    entityId: e.entityId,
    tokenType: e.type,
    orphan: true,
    numUses: e.numUses,
  };
  return { auth, issued, warnings };
}
