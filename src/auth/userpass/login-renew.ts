/**
 * Renewal of a token this method issued, as Vault's userpass decides it: a user that no longer
 * exists gets no renewal (Vault's empty answer), a user whose policies changed since login is
 * refused, otherwise the user's current token_ttl, token_max_ttl and token_period apply.
 */
import { BadRequestError } from '../../errors.js';
import type { BackendContext, LoginRenewal, LoginRenewResult } from '../../logical/backend.js';
import { DEFAULT_POLICY_NAME } from '../../policy/builtin.js';
import { sanitizePolicies } from '../token-fields.js';
import { getUser } from './user-store.js';

export async function renewUserLogin(login: LoginRenewal, ctx: BackendContext): Promise<LoginRenewResult> {
  // Login records the (lower-cased) username in the token's metadata.
  const username = login.metadata['username'];
  const user = username === undefined ? undefined : await getUser(ctx.storage, username);
  if (user === undefined) return { kind: 'decline' };
  if (!samePolicies(user.token.tokenPolicies, login.policies)) throw new BadRequestError('policies have changed, not renewing');
  return { kind: 'renew', ttl: user.token.tokenTTL, maxTTL: user.token.tokenMaxTTL, period: user.token.tokenPeriod };
}

/** Vault's policy equivalence: the same set once "default" is left out on both sides. */
function samePolicies(a: readonly string[], b: readonly string[]): boolean {
  const norm = (names: readonly string[]): string[] => sanitizePolicies(names).filter((p) => p !== DEFAULT_POLICY_NAME);
  const x = norm(a);
  const y = norm(b);
  return x.length === y.length && x.every((p, i) => p === y[i]);
}
