/**
 * The check Vault runs before anything else on sys/wrapping/lookup, rewrap and unwrap: the
 * token named in the body (`token`), or else the caller's own token, must be a live, unspent
 * wrapping token. Failing it is a 400, never a 403, so a used or expired wrapping token reads
 * the same whoever presents it.
 */
import { BadRequestError } from '../errors.js';
import type { Request } from '../logical/request.js';
import { invalidWrappingToken, type ResponseWrapping } from './response-wrapping.js';

const CHECKED_PATHS: ReadonlySet<string> = new Set(['sys/wrapping/lookup', 'sys/wrapping/rewrap', 'sys/wrapping/unwrap']);

/**
 * 'first-party': the caller's own token is the wrapping token (the token step spends it);
 * 'third-party': the body names it; 'none': not a checked path.
 */
export type WrappingCheck = 'none' | 'first-party' | 'third-party';

function validationError(reason: string): BadRequestError {
  return new BadRequestError(`error validating wrapping token: ${reason}`);
}

/** The wrapping token a request names: the body's `token`, else the caller's own. */
export function namedWrappingToken(req: Request): { token: string; thirdParty: boolean } {
  const raw = req.data['token'];
  if (raw === undefined || raw === null) return { token: req.clientToken, thirdParty: false };
  if (typeof raw !== 'string') throw validationError('could not decode token in request body');
  if (raw === '') throw validationError('empty token in request body');
  // Naming one's own token in the body too is still a first-party use, not a second use.
  return { token: raw, thirdParty: raw !== req.clientToken };
}

export async function checkWrappingToken(wrapping: ResponseWrapping, req: Request): Promise<WrappingCheck> {
  if (!CHECKED_PATHS.has(req.path)) return 'none';
  const { token, thirdParty } = namedWrappingToken(req);
  if (token === '') throw validationError('token is empty');
  if ((await wrapping.find(token)) === undefined) throw invalidWrappingToken();
  return thirdParty ? 'third-party' : 'first-party';
}

/**
 * The token step failed for a caller whose own token passed the check: a concurrent request
 * spent the single use in between. Answer as for any spent wrapping token.
 */
export function wrappingAuthFailure(check: WrappingCheck, err: unknown): never {
  throw check === 'first-party' ? invalidWrappingToken() : err;
}
