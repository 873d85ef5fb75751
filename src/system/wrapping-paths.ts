/**
 * sys/wrapping/*: wrap arbitrary data, and look up, rewrap or unwrap a wrapping token.
 * Before any of lookup/rewrap/unwrap runs, the pipeline has already checked that the token
 * they name is a live wrapping token (src/wrapping/token-check.ts); lookup is unauthenticated.
 */
import { BadRequestError, InternalError, PermissionDeniedError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { BackendRequest } from '../logical/backend.js';
import type { Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import type { ResponseWrapping, StoredWrapping } from '../wrapping/response-wrapping.js';
import { namedWrappingToken } from '../wrapping/token-check.js';

const tokenField = {
  token: { type: 'string', description: 'The wrapping token; defaults to the token of the request.', sensitive: true },
} as const;

/** The caller's own cubbyhole id, when the caller's token is the wrapping token. */
function ownCubbyholeId(req: BackendRequest): string {
  if (req.auth === undefined || req.auth.cubbyholeId === '') throw new PermissionDeniedError();
  return req.auth.cubbyholeId;
}

/** Read the wrapped contents, spending the token's single use either way. */
function withContents<T>(wrapping: ResponseWrapping, req: BackendRequest, use: (stored: StoredWrapping) => Promise<T>): Promise<T> {
  const { token, thirdParty } = namedWrappingToken(req);
  if (thirdParty) return wrapping.redeem(token, use);
  return wrapping.readOwn(ownCubbyholeId(req)).then(use);
}

/** Unwrap answers with the stored document itself, byte for byte (original request id included). */
function unwrapped(stored: StoredWrapping): Response {
  if (stored.response === '') return { raw: { status: 204, body: undefined } };
  return { raw: { status: 200, body: stored.response, contentType: 'application/json' } };
}

export function wrappingPaths(core: Core): PathDef[] {
  const wrapping = core.wrapping;

  const lookup = async (req: BackendRequest): Promise<Response> => {
    const { token } = namedWrappingToken(req);
    if (token === '') throw new BadRequestError('missing "token" value in input');
    const info = await wrapping.lookup(token);
    return { data: { creation_path: info.creation_path, creation_time: info.creation_time, creation_ttl: info.creation_ttl } };
  };

  return [
    definePath({
      pattern: 'wrapping/wrap',
      fields: {},
      takesArbitraryInput: true,
      operations: {
        update: async (req) => {
          // The pipeline's wrapping step does the wrapping; this endpoint only makes it mandatory.
          if (req.wrapTTL <= 0) throw new BadRequestError('endpoint requires response wrapping to be used');
          return { data: { ...req.data } };
        },
      },
      synopsis: 'Response-wraps an arbitrary JSON object.',
      description: 'Returns a wrapping token whose unwrapped response carries the request body as its data. Requires X-Vault-Wrap-TTL.',
    }),
    definePath({
      pattern: 'wrapping/unwrap',
      fields: tokenField,
      operations: {
        update: async (req) => withContents(wrapping, req, async (stored) => unwrapped(stored)),
      },
      synopsis: 'Unwraps a response-wrapping token.',
      description: 'Returns the original wrapped response. The token is single use: it is revoked, with its contents, by this call.',
    }),
    definePath({
      pattern: 'wrapping/lookup',
      fields: tokenField,
      operations: { read: lookup, update: lookup },
      synopsis: 'Looks up the properties of a response-wrapping token.',
      description: 'Reports creation_path, creation_time and creation_ttl without using the token.',
    }),
    definePath({
      pattern: 'wrapping/rewrap',
      fields: tokenField,
      operations: {
        update: async (req) =>
          withContents(wrapping, req, async (stored) => {
            const original = stored.info.creation_ttl;
            if (!Number.isInteger(original) || original <= 0) throw new InternalError('invalid creation_ttl in the wrapping information');
            // A shorter X-Vault-Wrap-TTL wins, as for any wrapped response.
            const ttl = req.wrapTTL > 0 && req.wrapTTL < original ? req.wrapTTL : original;
            const wrapInfo = await wrapping.wrap({ ttl, creationPath: stored.info.creation_path, response: stored.response });
            return { wrapInfo };
          }),
      },
      synopsis: 'Rotates a response-wrapping token.',
      description: 'Moves the wrapped response to a new wrapping token with the original creation TTL and path; the old token is revoked.',
    }),
  ];
}
