/**
 * The token auth method mounted at auth/token/: create (plain, orphan, against a role),
 * lookup, renew and revoke (by token, self, accessor), revoke-orphan, accessors, roles and
 * tidy. The handlers work on the token store (local storage) and its roles view (replicated);
 * the mount's own storage view is unused.
 */
import { createBackend, type PathDef } from '../framework/index.js';
import type { BackendContext, LogicalBackend, SpecialPaths } from '../logical/backend.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { createPaths } from './token-create.js';
import type { TokenDeps } from './token-deps.js';
import { lookupPaths } from './token-lookup.js';
import { renewPaths } from './token-renew.js';
import { revokePaths } from './token-revoke.js';
import { rolePaths } from './token-roles.js';
import type { TokenStore } from './token-store.js';
import { tidyPaths } from './token-tidy.js';

export { renderTokenEntry } from './token-lookup.js';

/** Vault's: listing accessors and the legacy URL form of revoke-orphan need sudo. */
export const TOKEN_SPECIAL_PATHS: SpecialPaths = { root: ['revoke-orphan/*', 'accessors*'] };

export const TOKEN_HELP = `
The token credential backend is always enabled and builtin to Vault.
Client tokens are used to identify a client and to allow Vault to associate
policies and ACLs which are enforced on every request. This backend also
allows for generating sub-tokens as well as revocation of tokens. The tokens
are renewable if associated with a lease.
`;

/** The path table (built per backend: handlers close over the stores). */
export function tokenPaths(deps: TokenDeps, mountMaxTTL: () => number): PathDef[] {
  return [
    ...createPaths(deps),
    ...lookupPaths(deps),
    ...renewPaths(deps),
    ...revokePaths(deps),
    ...rolePaths(deps, mountMaxTTL),
    ...tidyPaths(deps),
  ];
}

export function createTokenBackend(
  tokens: TokenStore,
  ctx: BackendContext,
  policies?: PolicyStore,
  identity?: Pick<TokenDeps, 'entityForAlias' | 'identityPolicies' | 'renewWithMethod'>,
): LogicalBackend {
  const deps: TokenDeps = { tokens, ...(policies !== undefined ? { policies } : {}), ...identity };
  return createBackend({ paths: tokenPaths(deps, () => ctx.mount.maxLeaseTTL()), specialPaths: TOKEN_SPECIAL_PATHS, help: TOKEN_HELP }, ctx);
}
