/**
 * login/:username: check the password and answer with a LoginAuth; the pipeline turns it into
 * a token. Wrong user and wrong password get the same answer after the same work.
 */
import { BadRequestError, InvalidCredentialsError, PermissionDeniedError } from '../../errors.js';
import { definePath, genericName } from '../../framework/index.js';
import { loginAuthFrom } from '../token-fields.js';
import { addressAllowed } from '../../util/cidr.js';
import { verifyAgainstNobody, verifyPassword } from './password-hash.js';
import { getUser } from './user-store.js';

/** Vault's text for both an unknown user and a wrong password. */
export const INVALID_CREDENTIALS = 'invalid username or password';

export const loginPath = definePath({
  pattern: `login/${genericName('username')}`,
  fields: {
    username: { type: 'lowercase-string', description: 'Username of the user.' },
    password: { type: 'string', description: 'Password of the user.', sensitive: true },
  },
  operations: {
    update: async (req, f, ctx) => {
      const username = f.get('username');
      const password = f.get('password');
      if (password === '') throw new BadRequestError('missing password');
      const user = await getUser(ctx.storage, username);
      const valid = user === undefined ? await verifyAgainstNobody(password) : await verifyPassword(password, user.password);
      if (user === undefined || !valid) throw new InvalidCredentialsError(INVALID_CREDENTIALS);
      if (!addressAllowed(req.remoteAddr, user.token.tokenBoundCidrs)) throw new PermissionDeniedError();
      return {
        login: loginAuthFrom(user.token, { displayName: username, metadata: { username }, alias: { name: username } }),
      };
    },
  },
  synopsis: 'Log in with a username and password.',
  description: `
This endpoint authenticates using a username and password. On success the
response carries a token with the user's policies and token settings.
`,
});
