/**
 * The token auth method mounted at auth/token/. Issue 2 serves the lookups clients use to
 * check a token (hvac's is_authenticated calls lookup-self); creation, renewal, revocation and
 * roles arrive with the full token store.
 */
import { BadRequestError } from '../errors.js';
import { createBackend, definePath } from '../framework/index.js';
import type { BackendContext, LogicalBackend } from '../logical/backend.js';
import type { Response } from '../logical/request.js';
import { remainingTTL, type TokenEntry } from './token-entry.js';
import type { TokenStore } from './token-store.js';

/** Vault's lookup answer for a token entry; `id` only when the caller presented the token. */
export function renderTokenEntry(entry: TokenEntry, id: string | undefined, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: Math.floor(entry.creationTime / 1000),
    creation_ttl: entry.creationTTL,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTime === 0 ? null : new Date(entry.expireTime).toISOString(),
    explicit_max_ttl: entry.explicitMaxTTL,
    meta: Object.keys(entry.meta).length === 0 ? null : entry.meta,
    num_uses: Math.max(0, entry.numUses),
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl: remainingTTL(entry, nowMs),
    type: entry.type,
  };
  if (entry.period > 0) out['period'] = entry.period;
  if (entry.role !== '') out['role'] = entry.role;
  if (entry.boundCidrs.length > 0) out['bound_cidrs'] = entry.boundCidrs;
  if (entry.lastRenewalTime > 0) out['last_renewal_time'] = Math.floor(entry.lastRenewalTime / 1000);
  out['issue_time'] = new Date(entry.creationTime).toISOString();
  if (id !== undefined) out['id'] = id;
  return out;
}

export function createTokenBackend(tokens: TokenStore, ctx: BackendContext): LogicalBackend {
  const lookup = async (token: string): Promise<Response> => {
    const found = await tokens.lookup(token);
    if (found === undefined) throw new BadRequestError('bad token');
    return { data: renderTokenEntry(found.entry, token, ctx.clock.now()) };
  };
  return createBackend(
    {
      paths: [
        definePath({
          pattern: 'lookup-self',
          fields: {},
          operations: {
            read: async (req) => lookup(req.clientToken),
            update: async (req) => lookup(req.clientToken),
          },
          synopsis: 'Look up the calling token.',
          description: 'Returns the properties of the token used for this request.',
        }),
        definePath({
          pattern: 'lookup',
          fields: { token: { type: 'string', description: 'The token to look up.', sensitive: true } },
          operations: {
            update: async (req, f) => lookup(f.get('token') || req.clientToken),
            read: async (req) => lookup(req.clientToken),
          },
          synopsis: 'Look up a token.',
          description: 'Returns the properties of the given token.',
        }),
      ],
      help: 'The token auth method: every request is authenticated with a token.',
    },
    ctx,
  );
}
