/**
 * lookup, lookup-self and lookup-accessor: a token's properties in Vault's field set. A lookup
 * by accessor never reveals the token (`id` is ""), and an unknown token is Vault's 403
 * "bad token" whichever way it was named.
 */
import { BadRequestError, PermissionDeniedError } from '../errors.js';
import { definePath, formatTime, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { TokenDeps } from './token-deps.js';
import { remainingTTL, type TokenEntry } from './token-entry.js';
import type { FoundToken } from './token-store.js';

/** Vault's lookup answer for a token entry; `id` is the token, or "" when looked up by accessor. */
export function renderTokenEntry(entry: TokenEntry, id: string | undefined, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: Math.floor(entry.creationTime / 1000),
    creation_ttl: entry.creationTTL,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTime === 0 ? null : formatTime(entry.expireTime),
    explicit_max_ttl: entry.explicitMaxTTL,
    id: id ?? '',
    issue_time: formatTime(entry.creationTime),
    meta: Object.keys(entry.meta).length === 0 ? null : { ...entry.meta },
    num_uses: Math.max(0, entry.numUses),
    orphan: entry.orphan,
    path: entry.path,
    policies: [...entry.policies],
    renewable: entry.renewable && entry.expireTime !== 0,
    ttl: remainingTTL(entry, nowMs),
    type: entry.type,
  };
  if (entry.period > 0) out['period'] = entry.period;
  if (entry.role !== '') out['role'] = entry.role;
  if (entry.boundCidrs.length > 0) out['bound_cidrs'] = [...entry.boundCidrs];
  if (entry.lastRenewalTime > 0) {
    out['last_renewal_time'] = Math.floor(entry.lastRenewalTime / 1000);
    out['last_renewal'] = formatTime(entry.lastRenewalTime);
  }
  return out;
}

export function lookupPaths(deps: TokenDeps): PathDef[] {
  const { tokens } = deps;
  const answer = (found: FoundToken | undefined, id: string, now: number): Response => {
    if (found === undefined) throw new PermissionDeniedError('bad token');
    const data = renderTokenEntry(found.entry, id, now);
    const identityPolicies = deps.identityPolicies?.(found.entry.entityId) ?? [];
    if (identityPolicies.length > 0) data['identity_policies'] = [...identityPolicies];
    return { data };
  };
  const byToken = async (token: string, now: number): Promise<Response> => {
    if (token === '') throw new BadRequestError('missing token ID');
    return answer(await tokens.lookup(token), token, now);
  };
  const byAccessor = async (accessor: string, now: number): Promise<Response> => {
    if (accessor === '') throw new BadRequestError('missing accessor');
    const found = await tokens.lookupAccessor(accessor);
    if (found === undefined) throw new BadRequestError('invalid accessor');
    return answer(found, '', now);
  };
  const tokenField = { token: { type: 'string', description: 'The token to look up.', sensitive: true } } as const;

  return [
    definePath({
      pattern: 'lookup-self',
      fields: { token: { type: 'string', description: 'Ignored: the calling token is looked up.', sensitive: true } },
      operations: {
        read: async (req, _f, ctx) => byToken(req.clientToken, ctx.clock.now()),
        update: async (req, _f, ctx) => byToken(req.clientToken, ctx.clock.now()),
      },
      synopsis: 'Look up the calling token.',
      description: 'Returns the properties of the token used for this request.',
    }),
    definePath({
      pattern: 'lookup',
      fields: tokenField,
      operations: {
        // Without a token in the body or query, Vault looks up the caller.
        update: async (req, f, ctx) => byToken(f.get('token') || req.clientToken, ctx.clock.now()),
        read: async (req, f, ctx) => byToken(f.get('token') || req.clientToken, ctx.clock.now()),
      },
      synopsis: 'Look up a token.',
      description: 'Returns the properties of the given token.',
    }),
    definePath({
      pattern: 'lookup-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token to look up.' } },
      operations: {
        update: async (_req, f, ctx) => byAccessor(f.get('accessor'), ctx.clock.now()),
      },
      synopsis: 'Look up a token by its accessor.',
      description: 'Returns the properties of the token with this accessor; the token itself is not revealed.',
    }),
  ];
}
