/**
 * What the auth/token/ handlers share: the token store, the policy store (sudo checks and
 * "policy does not exist" warnings), and the rendering of Vault's `auth` block.
 */
import type { BackendRequest, LoginRenewal, LoginRenewResult } from '../logical/backend.js';
import type { AuthBlock } from '../logical/request.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { DEFAULT_POLICY_NAME, ROOT_POLICY_NAME } from '../policy/builtin.js';
import { remainingTTL, type TokenEntry } from './token-entry.js';
import type { TokenStore } from './token-store.js';

export interface TokenDeps {
  readonly tokens: TokenStore;
  /** Absent only in tests of the bare backend: then only root callers count as sudo. */
  readonly policies?: PolicyStore;
  /**
   * Finds or creates the entity of an alias on the token mount (create with `entity_alias`);
   * absent in bare-backend tests, where the alias is only recorded.
   */
  readonly entityForAlias?: (mountAccessor: string, alias: string) => Promise<string>;
  /** The entity's current identity policies (lookups show them); absent in bare-backend tests. */
  readonly identityPolicies?: (entityId: string) => readonly string[];
  /**
   * Asks the auth method that issued a login token (found by the entry's mountAccessor)
   * whether and how it renews; undefined when that mount is gone or has no renewLogin.
   * Absent in bare-backend tests: then only the store's rules apply.
   */
  readonly renewWithMethod?: (entry: TokenEntry) => Promise<MethodRenewal | undefined>;
}

/** An auth method's renewal answer and its mount's current max TTL (seconds). */
export interface MethodRenewal {
  readonly result: LoginRenewResult;
  readonly mountMaxTTL: number;
}

/** What an auth method mounted at `routePrefix` ("auth/userpass/") is told about its token. */
export function loginRenewalOf(entry: TokenEntry, routePrefix: string, nowMs: number): LoginRenewal {
  return {
    path: entry.path.startsWith(routePrefix) ? entry.path.slice(routePrefix.length) : entry.path,
    displayName: entry.displayName,
    policies: entry.policies.filter((p) => p !== DEFAULT_POLICY_NAME),
    metadata: { ...entry.meta },
    issueTime: entry.creationTime,
    ttl: remainingTTL(entry, nowMs),
  };
}

/**
 * Whether the caller holds sudo on the request path (root tokens always do). Vault checks
 * this inside the token handlers for the options that need it (id, no_parent, period,
 * revoke-orphan), so a missing sudo is a 400 there, not the pipeline's 403.
 */
export async function callerHasSudo(deps: TokenDeps, req: BackendRequest): Promise<boolean> {
  const auth = req.auth;
  if (auth === undefined) return false;
  if (auth.root) return true;
  if (deps.policies === undefined) return false;
  const caps = (await deps.policies.acl(auth.policies)).capabilities(req.path);
  return caps.includes('sudo') || caps.includes('root');
}

/** Vault's warning for each policy a new token names that does not exist (yet). */
export async function missingPolicyWarnings(deps: TokenDeps, policies: readonly string[]): Promise<string[]> {
  if (deps.policies === undefined) return [];
  const out: string[] = [];
  for (const name of policies) {
    if (name === ROOT_POLICY_NAME) continue;
    if ((await deps.policies.get(name)) === undefined) out.push(`Policy ${JSON.stringify(name)} does not exist`);
  }
  return out;
}

/** The `auth` block answering a create or a renewal; `clientToken` is "" when unknown (accessor). */
export function authBlockOf(clientToken: string, entry: TokenEntry, leaseDuration: number): AuthBlock {
  return {
    clientToken,
    accessor: entry.accessor,
    policies: [...entry.policies],
    tokenPolicies: [...entry.policies],
    identityPolicies: [],
    metadata: { ...entry.meta },
    leaseDuration,
    renewable: entry.renewable,
    entityId: entry.entityId,
    tokenType: entry.type,
    orphan: entry.orphan,
    numUses: Math.max(0, entry.numUses),
  };
}
