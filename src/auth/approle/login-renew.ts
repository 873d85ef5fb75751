/**
 * Renewal of a token this method issued, as Vault's AppRole decides it: the role named in the
 * token's metadata (role_name, written by login) must still exist, and its current token_ttl,
 * token_max_ttl and token_period apply.
 */
import { BadRequestError } from '../../errors.js';
import type { BackendContext, LoginRenewal, LoginRenewResult } from '../../logical/backend.js';
import { getRole } from './role-store.js';

export async function renewRoleLogin(login: LoginRenewal, ctx: BackendContext): Promise<LoginRenewResult> {
  const name = login.metadata['role_name'] ?? '';
  if (name === '') throw new BadRequestError('failed to fetch role_name during renewal');
  const role = await getRole(ctx.storage, name);
  if (role === undefined) throw new BadRequestError(`role ${JSON.stringify(name)} does not exist during renewal`);
  return { kind: 'renew', ttl: role.token.tokenTTL, maxTTL: role.token.tokenMaxTTL, period: role.token.tokenPeriod };
}
