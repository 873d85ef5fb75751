/**
 * The token auth method mounted at auth/token/. Issue 2 serves the lookups clients use to
 * check a token (hvac's is_authenticated calls lookup-self); creation, renewal, revocation and
 * roles arrive with the full token store.
 */
import { BadRequestError } from '../errors.js';
import { createBackend, definePath } from '../framework/index.js';
import type { BackendContext, LogicalBackend } from '../logical/backend.js';
import type { Response } from '../logical/request.js';
import type { TokenEntry, TokenStore } from './token-store.js';

/** Vault's lookup answer for a token entry. */
export function renderTokenEntry(entry: TokenEntry, id: string | undefined, nowMs: number): Record<string, unknown> {
  const created = Math.floor(entry.creationTime / 1000);
  const expires = entry.ttl > 0 ? entry.creationTime + entry.ttl * 1000 : undefined;
  const out: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: created,
    creation_ttl: entry.ttl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: expires === undefined ? null : new Date(expires).toISOString(),
    explicit_max_ttl: 0,
    meta: Object.keys(entry.meta).length === 0 ? null : entry.meta,
    num_uses: 0,
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    renewable: false,
    ttl: expires === undefined ? 0 : Math.max(0, Math.floor((expires - nowMs) / 1000)),
    type: entry.type,
  };
  if (id !== undefined) out['id'] = id;
  return out;
}

export function createTokenBackend(tokens: TokenStore, ctx: BackendContext): LogicalBackend {
  const lookup = async (token: string): Promise<Response> => {
    const entry = await tokens.lookup(token);
    if (entry === undefined) throw new BadRequestError('bad token');
    return { data: renderTokenEntry(entry, token, ctx.clock.now()) };
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
