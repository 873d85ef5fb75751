/**
 * revoke, revoke-self, revoke-accessor, revoke-orphan and LIST accessors. Revoking takes the
 * whole tree (children first); revoke-orphan (sudo) takes only the token and leaves its
 * children as orphans. Revoking a token that is already gone succeeds quietly (204), as in
 * Vault; revoke-orphan of an unknown token is Vault's 400. Batch tokens cannot be revoked:
 * they are not stored, so they live until they expire or their parent goes.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import { callerHasSudo, type TokenDeps } from './token-deps.js';
import type { FoundToken } from './token-store.js';

function revocable(found: FoundToken): string {
  if (found.entry.type === 'batch') throw new BadRequestError('batch tokens cannot be revoked');
  return found.idHash;
}

export function revokePaths(deps: TokenDeps): PathDef[] {
  const { tokens } = deps;
  const tokenField = { token: { type: 'string', description: 'The token to revoke.', sensitive: true } } as const;
  return [
    definePath({
      pattern: 'revoke',
      fields: tokenField,
      operations: {
        update: async (_req, f) => {
          const token = f.get('token');
          if (token === '') throw new BadRequestError('missing token ID');
          const found = await tokens.lookup(token);
          if (found !== undefined) await tokens.revokeTree(revocable(found));
          return undefined;
        },
      },
      synopsis: 'Revoke a token and all its children.',
      description: 'Revokes the given token and every token created under it.',
    }),
    definePath({
      pattern: 'revoke-self',
      fields: {},
      operations: {
        update: async (req) => {
          const found = await tokens.lookup(req.clientToken);
          if (found !== undefined) await tokens.revokeTree(revocable(found));
          return undefined;
        },
      },
      synopsis: 'Revoke the calling token and all its children.',
      description: 'Revokes the token used for this request and every token created under it.',
    }),
    definePath({
      pattern: 'revoke-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token to revoke.' } },
      operations: {
        update: async (_req, f) => {
          const accessor = f.get('accessor');
          if (accessor === '') throw new BadRequestError('missing accessor');
          const found = await tokens.lookupAccessor(accessor);
          if (found === undefined) throw new BadRequestError('invalid accessor');
          await tokens.revokeTree(revocable(found));
          return undefined;
        },
      },
      synopsis: 'Revoke a token and its children by the token accessor.',
      description: 'Revokes the token with this accessor and every token created under it.',
    }),
    definePath({
      pattern: 'revoke-orphan',
      fields: tokenField,
      operations: {
        update: async (req, f) => {
          const token = f.get('token');
          if (token === '') throw new BadRequestError('missing token ID');
          if (!(await callerHasSudo(deps, req))) throw new BadRequestError('root or sudo privileges required to revoke and orphan');
          const found = await tokens.lookup(token);
          if (found === undefined) throw new BadRequestError('token to revoke not found');
          await tokens.revokeOrphan(revocable(found));
          return undefined;
        },
      },
      synopsis: 'Revoke a token, leaving its children as orphans.',
      description: 'Revokes the given token only; its children lose their parent and live on. Needs sudo.',
    }),
    definePath({
      pattern: 'accessors/?',
      fields: {},
      operations: {
        list: async () => {
          const keys = await tokens.listAccessors();
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
      synopsis: 'List the accessors of all tokens.',
      description: 'Every token accessor; needs sudo, since accessors can revoke any token.',
    }),
  ];
}
