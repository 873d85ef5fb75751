/**
 * login: role_id (+ secret_id when the role binds one) -> a LoginAuth the pipeline turns into a
 * token. Checks run cheapest and least destructive first, so a refused login never spends a
 * secret ID use: role ID, the role's CIDR bindings, then the secret ID under its lock.
 */
import { BadRequestError, InvalidCredentialsError, PermissionDeniedError } from '../../errors.js';
import { definePath } from '../../framework/index.js';
import { loginAuthFrom } from '../token-fields.js';
import { addressAllowed } from '../../util/cidr.js';
import { saltOf } from './layout.js';
import { roleByRoleId } from './role-store.js';
import { consumeSecretId, SecretIdScope } from './secret-id-store.js';

export const loginPath = definePath({
  pattern: 'login',
  fields: {
    role_id: { type: 'string', description: 'Role ID of the role.' },
    secret_id: { type: 'string', description: 'A secret ID of the role.', sensitive: true },
  },
  operations: {
    update: async (req, f, ctx) => {
      const roleId = f.get('role_id');
      if (roleId === '') throw new BadRequestError('missing role_id');
      const salt = await saltOf(ctx.storage);
      const role = await roleByRoleId(ctx.storage, salt, roleId);
      if (role === undefined) throw new InvalidCredentialsError('invalid role ID');
      const addr = req.remoteAddr;
      if (!addressAllowed(addr, role.secretIdBoundCidrs)) {
        throw new BadRequestError(`source address ${JSON.stringify(addr)} unauthorized through CIDR restrictions on the role`);
      }
      // A token bound elsewhere would be useless to this caller; refuse before spending a use.
      if (!addressAllowed(addr, role.token.tokenBoundCidrs)) throw new PermissionDeniedError();

      let metadata: Record<string, string> = {};
      let tokenBoundCidrs = role.token.tokenBoundCidrs;
      if (role.bindSecretId) {
        const secretId = f.get('secret_id');
        if (secretId === '') throw new BadRequestError('missing secret_id');
        const used = await consumeSecretId(new SecretIdScope(ctx.storage, salt, role), secretId, addr, ctx.clock.now());
        if (!used.ok) {
          if (used.reason === 'cidr') {
            throw new BadRequestError(`source address ${JSON.stringify(addr)} unauthorized through CIDR restrictions on the secret ID`);
          }
          if (used.reason === 'token-cidr') throw new PermissionDeniedError();
          throw new InvalidCredentialsError('invalid secret id');
        }
        metadata = { ...used.entry.metadata };
        if (used.entry.tokenBoundCidrs.length > 0) tokenBoundCidrs = used.entry.tokenBoundCidrs;
      }
      metadata['role_name'] = role.name;
      return {
        login: loginAuthFrom(
          { ...role.token, tokenBoundCidrs },
          { displayName: role.name, metadata, alias: { name: role.roleId, metadata } },
        ),
      };
    },
  },
  synopsis: 'Issue a token based on the credentials supplied.',
  description: `
Log in with the role ID of a role and, when the role has bind_secret_id, one of its secret
IDs. The role's and the secret ID's CIDR bindings are checked against the caller's address;
a secret ID with limited uses spends one.
`,
});
