/**
 * The userpass auth method: users with a password and token settings, and a login that
 * trades a correct password for a token (made by the pipeline from the returned LoginAuth).
 */
import { createBackend, type PathDef } from '../../framework/index.js';
import type { BackendContext, BackendRequest, LogicalBackend, SpecialPaths } from '../../logical/backend.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { loginPath } from './login-path.js';
import { renewUserLogin } from './login-renew.js';
import { USER_PATHS } from './users-paths.js';

export const USERPASS_PATHS: readonly PathDef[] = [...USER_PATHS, loginPath];

/** Login is how a caller gets a token, so it cannot require one. */
export const USERPASS_SPECIAL_PATHS: SpecialPaths = { unauthenticated: ['login/*'] };

export const USERPASS_HELP = `
The "userpass" credential provider allows authentication using a combination
of a username and password. No additional factors are supported.

The username/password combination is configured using the "users/" endpoints
by a user with root access. Authentication is then done by supplying the two
fields for "login".
`;

export function userpassFactory(ctx: BackendContext): LogicalBackend {
  const backend = createBackend(
    { paths: USERPASS_PATHS, specialPaths: USERPASS_SPECIAL_PATHS, help: USERPASS_HELP, renewLogin: renewUserLogin },
    ctx,
  );
  // Password and policy changes read the user, then write it back: one user's writes must
  // not interleave, or one change would silently undo the other.
  const writes = new KeyedMutex();
  return {
    specialPaths: backend.specialPaths,
    ...(backend.describePaths !== undefined ? { describePaths: backend.describePaths } : {}),
    handleRequest(req: BackendRequest) {
      const user = userOfWrite(req);
      return user === undefined ? backend.handleRequest(req) : writes.run(user, () => backend.handleRequest(req));
    },
    existenceCheck: (req) => backend.existenceCheck(req),
    ...(backend.renewLogin !== undefined ? { renewLogin: backend.renewLogin } : {}),
  };
}

/** The lower-cased user a users/... write changes, if it is one. */
function userOfWrite(req: BackendRequest): string | undefined {
  const op = req.operation;
  if (op !== 'create' && op !== 'update' && op !== 'delete') return undefined;
  const parts = req.relativePath.split('/');
  if (parts[0] !== 'users' || parts[1] === undefined || parts[1] === '') return undefined;
  return parts[1].toLowerCase();
}
