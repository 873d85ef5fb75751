/**
 * The AppRole auth method: machines log in with a role ID and a secret ID. Only login is
 * reachable without a token; secret IDs of local_secret_ids roles live in storage this
 * cluster keeps to itself (see layout.ts).
 */
import { createBackend, type PathDef } from '../../framework/index.js';
import type { BackendContext, BackendRequest, LogicalBackend, SpecialPaths } from '../../logical/backend.js';
import { LOCAL_PATHS, saltOf } from './layout.js';
import { loginPath } from './login-path.js';
import { renewRoleLogin } from './login-renew.js';
import { ROLE_PROPERTY_PATHS } from './role-field-paths.js';
import { roleIdPath, roleListPath, rolePath } from './role-paths.js';
import { roleByRoleId } from './role-store.js';
import {
  accessorDestroyPath,
  accessorLookupPath,
  customSecretIdPath,
  secretIdDestroyPath,
  secretIdLookupPath,
  secretIdPath,
} from './secret-id-paths.js';
import { tidyPath } from './tidy-path.js';

export const APPROLE_PATHS: readonly PathDef[] = [
  loginPath,
  roleListPath,
  rolePath,
  roleIdPath,
  ...ROLE_PROPERTY_PATHS,
  secretIdPath,
  secretIdLookupPath,
  secretIdDestroyPath,
  accessorLookupPath,
  accessorDestroyPath,
  customSecretIdPath,
  tidyPath,
];

export const APPROLE_SPECIAL_PATHS: SpecialPaths = {
  unauthenticated: ['login'],
  local: LOCAL_PATHS,
};

export const APPROLE_HELP = `
The AppRole auth method lets machines and services log in with a role ID and a secret ID.
A role (role/<role_name>) decides what a login must present and where from, and what token
it receives; its secret IDs are generated at role/<role_name>/secret-id.
`;

/** The role a login names by its role_id (rate limit quotas with a role). */
async function loginRole(req: BackendRequest, ctx: BackendContext): Promise<string | undefined> {
  const roleId = req.data['role_id'];
  if (req.relativePath !== 'login' || typeof roleId !== 'string' || roleId === '') return undefined;
  return (await roleByRoleId(ctx.storage, await saltOf(ctx.storage), roleId))?.name;
}

export function approleFactory(ctx: BackendContext): LogicalBackend {
  return createBackend(
    { paths: APPROLE_PATHS, specialPaths: APPROLE_SPECIAL_PATHS, help: APPROLE_HELP, renewLogin: renewRoleLogin, resolveRole: loginRole },
    ctx,
  );
}
