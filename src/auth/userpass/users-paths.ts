/**
 * users/ paths of userpass: create, read, update and delete a user, list users, change a
 * password, replace the policies. Usernames are lower-cased before anything else, as Vault does.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, genericName, type FieldData, type FieldSchemas, type PathDef, type PathHandler } from '../../framework/index.js';
import { readTokenParams, renderTokenParams, sanitizePolicies, TOKEN_FIELDS, type TokenParams } from '../token-fields.js';
import { checkCidrs } from '../../util/cidr.js';
import { hashPassword, type PasswordHash } from './password-hash.js';
import { deleteUser, getUser, listUsers, NO_LEGACY_FIELDS, putUser, type LegacyFields, type StoredUser } from './user-store.js';

const USERNAME_FIELD = {
  username: { type: 'lowercase-string', description: 'Username of the user (stored lower-cased).' },
} as const satisfies FieldSchemas;

const PASSWORD_FIELD = {
  password: { type: 'string', description: 'Password of the user.', sensitive: true },
} as const satisfies FieldSchemas;

const USER_FIELDS = {
  ...USERNAME_FIELD,
  ...PASSWORD_FIELD,
  ...TOKEN_FIELDS,
  ttl: { type: 'duration', description: 'Deprecated alias of token_ttl.' },
  max_ttl: { type: 'duration', description: 'Deprecated alias of token_max_ttl.' },
} as const satisfies FieldSchemas;

const POLICIES_FIELDS = {
  ...USERNAME_FIELD,
  token_policies: TOKEN_FIELDS.token_policies,
  policies: TOKEN_FIELDS.policies,
} as const satisfies FieldSchemas;

function missingUser(): BadRequestError {
  return new BadRequestError('username does not exist');
}

function requirePassword(password: string | undefined): string | undefined {
  if (password === '') throw new BadRequestError('missing password');
  return password;
}

/** The token settings a write leaves behind, with Vault's handling of the deprecated fields. */
function applyTokenFields(f: FieldData<typeof USER_FIELDS>, prev: StoredUser | undefined): { token: TokenParams; legacy: LegacyFields } {
  let token = readTokenParams(f, prev?.token);
  const before = prev?.legacy ?? NO_LEGACY_FIELDS;
  // A token_* field supersedes its deprecated twin; the twin only counts when sent alone.
  let policies = before.policies;
  if (f.getOk('token_policies') !== undefined) policies = false;
  else if (f.getOk('policies') !== undefined) policies = true;
  let ttl = before.ttl;
  const legacyTTL = f.getOk('ttl');
  if (f.getOk('token_ttl') !== undefined) ttl = 0;
  else if (legacyTTL !== undefined) {
    ttl = legacyTTL;
    token = { ...token, tokenTTL: legacyTTL };
  }
  let maxTTL = before.maxTTL;
  const legacyMax = f.getOk('max_ttl');
  if (f.getOk('token_max_ttl') !== undefined) maxTTL = 0;
  else if (legacyMax !== undefined) {
    maxTTL = legacyMax;
    token = { ...token, tokenMaxTTL: legacyMax };
  }
  if (token.tokenMaxTTL > 0 && token.tokenTTL > token.tokenMaxTTL) {
    throw new BadRequestError('"token_ttl" value must be less than "token_max_ttl" value');
  }
  token = { ...token, tokenBoundCidrs: checkCidrs('token_bound_cidrs', token.tokenBoundCidrs) };
  return { token, legacy: { policies, ttl, maxTTL } };
}

const writeUser: PathHandler<typeof USER_FIELDS> = async (_req, f, ctx) => {
  const username = f.get('username');
  const prev = await getUser(ctx.storage, username);
  const password = requirePassword(f.getOk('password'));
  // Validate everything cheap before paying for the hash.
  const { token, legacy } = applyTokenFields(f, prev);
  let hash: PasswordHash;
  if (password !== undefined) hash = await hashPassword(password);
  else if (prev !== undefined) hash = prev.password;
  else throw new BadRequestError('missing password');
  await putUser(ctx.storage, username, { password: hash, token, legacy });
  return undefined;
};

function renderUser(user: StoredUser): Record<string, unknown> {
  const data = renderTokenParams(user.token);
  if (user.legacy.ttl > 0) data['ttl'] = user.legacy.ttl;
  if (user.legacy.maxTTL > 0) data['max_ttl'] = user.legacy.maxTTL;
  if (user.legacy.policies && user.token.tokenPolicies.length > 0) data['policies'] = [...user.token.tokenPolicies];
  return data;
}

const userPath = definePath({
  pattern: `users/${genericName('username')}`,
  fields: USER_FIELDS,
  existenceCheck: async (_req, f, ctx) => (await getUser(ctx.storage, f.get('username'))) !== undefined,
  operations: {
    create: writeUser,
    update: writeUser,
    read: async (_req, f, ctx) => {
      const user = await getUser(ctx.storage, f.get('username'));
      return user === undefined ? undefined : { data: renderUser(user) };
    },
    delete: async (_req, f, ctx) => {
      await deleteUser(ctx.storage, f.get('username'));
      return undefined;
    },
  },
  synopsis: 'Manage users allowed to authenticate.',
  description: `
This endpoint allows you to create, read, update, and delete users
that are allowed to authenticate. The password is required on create
and stored only as a salted scrypt hash; the token_* fields shape the
tokens a login as this user receives.
`,
});

const usersListPath = definePath({
  pattern: 'users/?',
  fields: {},
  operations: {
    list: async (_req, _f, ctx) => {
      const keys = await listUsers(ctx.storage);
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'List the users.',
  description: 'The names of every user of this mount.',
});

const passwordPath = definePath({
  pattern: `users/${genericName('username')}/password`,
  fields: { ...USERNAME_FIELD, ...PASSWORD_FIELD },
  operations: {
    update: async (_req, f, ctx) => {
      const username = f.get('username');
      const user = await getUser(ctx.storage, username);
      if (user === undefined) throw missingUser();
      const password = f.get('password');
      if (password === '') throw new BadRequestError('missing password');
      await putUser(ctx.storage, username, { ...user, password: await hashPassword(password) });
      return undefined;
    },
  },
  synopsis: "Reset a user's password.",
  description: 'Replaces the password of an existing user; tokens already issued stay valid.',
});

const policiesPath = definePath({
  pattern: `users/${genericName('username')}/policies`,
  fields: POLICIES_FIELDS,
  operations: {
    update: async (_req, f, ctx) => {
      const username = f.get('username');
      const user = await getUser(ctx.storage, username);
      if (user === undefined) throw missingUser();
      const current = f.getOk('token_policies');
      const legacy = current === undefined ? f.getOk('policies') : undefined;
      const sent = current ?? legacy;
      if (sent === undefined) return undefined;
      await putUser(ctx.storage, username, {
        ...user,
        token: { ...user.token, tokenPolicies: sanitizePolicies(sent) },
        legacy: { ...user.legacy, policies: legacy !== undefined },
      });
      return undefined;
    },
  },
  synopsis: 'Update the policies associated with a user.',
  description: 'Replaces the token policies of an existing user.',
});

export const USER_PATHS: readonly PathDef[] = [usersListPath, userPath, passwordPath, policiesPath];
