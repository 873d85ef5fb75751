/**
 * auth/token/tidy: clears what a crash or a missed expiry can leave in the token store.
 *  - stored tokens that are expired, or whose parent chain is gone, are revoked (their tree,
 *    with the revoke listeners: cubbyholes, leases);
 *  - parent-index entries whose child is gone are deleted; the children of a parent that is
 *    gone are revoked. (Vault's tidy makes such children orphans; in Arca a token dies with
 *    its parent, so orphaning them would bring dead tokens back to life.)
 *  - accessor entries pointing at no token are deleted.
 * It runs to completion inside the request and answers 200 with counts, rather than Vault's
 * 202 "started" (the store is local and tidy is rare; a summary is more useful).
 */
import { definePath, type PathDef } from '../framework/index.js';
import type { TokenDeps } from './token-deps.js';
import { ACCESSOR_PREFIX, ID_PREFIX, PARENT_PREFIX, type TokenStore } from './token-store.js';

export interface TidySummary {
  readonly tokensRevoked: number;
  readonly parentEntriesRemoved: number;
  readonly accessorsRemoved: number;
}

function leaves(keys: readonly string[]): string[] {
  return keys.filter((k) => !k.endsWith('/'));
}

export async function tidyTokens(tokens: TokenStore): Promise<TidySummary> {
  const view = tokens.storage;
  const exists = async (idHash: string): Promise<boolean> => (await view.get(ID_PREFIX + idHash)) !== undefined;
  let tokensRevoked = 0;
  let parentEntriesRemoved = 0;
  let accessorsRemoved = 0;

  // lookupHash answers undefined for expired tokens and for tokens whose parent chain is gone.
  for (const idHash of leaves(await view.list(ID_PREFIX))) {
    if (!(await exists(idHash))) continue; // revoked as part of an earlier tree
    if ((await tokens.lookupHash(idHash)) === undefined) {
      await tokens.revokeTree(idHash);
      tokensRevoked++;
    }
  }

  for (const folder of await view.list(PARENT_PREFIX)) {
    if (!folder.endsWith('/')) continue;
    const parent = folder.slice(0, -1);
    const parentLive = await exists(parent);
    for (const child of leaves(await view.list(`${PARENT_PREFIX}${folder}`))) {
      if (!parentLive && (await exists(child))) {
        await tokens.revokeTree(child);
        tokensRevoked++;
      }
      if (!parentLive || !(await exists(child))) {
        await view.delete(`${PARENT_PREFIX}${folder}${child}`);
        parentEntriesRemoved++;
      }
    }
  }

  for (const key of leaves(await view.list(ACCESSOR_PREFIX))) {
    const ref = await view.getJSON<{ idHash: string }>(ACCESSOR_PREFIX + key);
    if (ref === undefined || !(await exists(ref.idHash))) {
      await view.delete(ACCESSOR_PREFIX + key);
      accessorsRemoved++;
    }
  }
  return { tokensRevoked, parentEntriesRemoved, accessorsRemoved };
}

export function tidyPaths(deps: TokenDeps): PathDef[] {
  return [
    definePath({
      pattern: 'tidy',
      fields: {},
      operations: {
        update: async () => {
          const s = await tidyTokens(deps.tokens);
          return {
            data: {
              tokens_revoked: s.tokensRevoked,
              parent_index_entries_removed: s.parentEntriesRemoved,
              accessors_removed: s.accessorsRemoved,
            },
          };
        },
      },
      synopsis: 'Clean up invalid entries in the token store.',
      description: 'Revokes expired tokens and tokens whose parent is gone, and removes index entries that point at nothing.',
    }),
  ];
}
