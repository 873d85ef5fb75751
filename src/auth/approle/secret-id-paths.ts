/**
 * Secret IDs of a role: generate (role/<name>/secret-id), push a chosen one
 * (custom-secret-id), list accessors, look up and destroy by value or by accessor.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { definePath, type FieldData, type FieldSchemas, type PathHandler } from '../../framework/index.js';
import type { BackendContext } from '../../logical/backend.js';
import type { Response } from '../../logical/request.js';
import { checkCidrs, isSubset, quoteList } from '../../util/cidr.js';
import { saltOf } from './layout.js';
import { requireRole, withRoleLock, type RoleEntry } from './role-store.js';
import { ROLE_NAME_FIELD, rolePattern } from './role-paths.js';
import {
  createSecretId,
  destroySecretId,
  findByAccessor,
  getSecretId,
  listAccessors,
  renderSecretId,
  SecretIdScope,
  type SecretIdEntry,
} from './secret-id-store.js';

const ISSUE_FIELDS = {
  ...ROLE_NAME_FIELD,
  metadata: { type: 'string', description: 'JSON object of string values attached to the secret ID and its tokens.' },
  cidr_list: { type: 'comma-string-slice', description: "CIDR blocks the secret ID may be used from; within the role's." },
  token_bound_cidrs: { type: 'comma-string-slice', description: "CIDR blocks the issued tokens may be used from; within the role's." },
  num_uses: { type: 'int', description: "Uses of this secret ID; overrides the role's secret_id_num_uses." },
  ttl: { type: 'duration', description: "Lifetime of this secret ID; overrides the role's secret_id_ttl." },
} as const satisfies FieldSchemas;

const CUSTOM_FIELDS = {
  ...ISSUE_FIELDS,
  secret_id: { type: 'string', description: 'The secret ID to register.', sensitive: true },
} as const satisfies FieldSchemas;

const SECRET_ID_FIELDS = {
  ...ROLE_NAME_FIELD,
  secret_id: { type: 'string', description: 'A secret ID of the role.', sensitive: true },
} as const satisfies FieldSchemas;

const ACCESSOR_FIELDS = {
  ...ROLE_NAME_FIELD,
  secret_id_accessor: { type: 'string', description: 'Accessor of a secret ID of the role.' },
} as const satisfies FieldSchemas;

function parseMetadata(raw: string): Record<string, string> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new BadRequestError(`failed to parse metadata: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('failed to parse metadata: expected a JSON object');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new BadRequestError(`failed to parse metadata: value of ${JSON.stringify(k)} is not a string`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The secret ID's settings from the request, within the role's bounds (Vault's rules and texts). */
function entryFor(role: RoleEntry, f: FieldData<typeof ISSUE_FIELDS>, nowMs: number): SecretIdEntry {
  const metadata = parseMetadata(f.get('metadata'));

  const cidrList = checkCidrs('cidr_list', f.get('cidr_list'));
  if (role.secretIdBoundCidrs.length > 0 && cidrList.length > 0 && !isSubset(role.secretIdBoundCidrs, cidrList)) {
    throw new BadRequestError(
      `failed to verify the CIDR restrictions set on the secret ID: CIDR blocks on the secret ID ${quoteList(cidrList)} should be a subset of CIDR blocks on the role ${quoteList(role.secretIdBoundCidrs)}`,
    );
  }
  const tokenCidrs = checkCidrs('token_bound_cidrs', f.get('token_bound_cidrs'));
  const roleTokenCidrs = role.token.tokenBoundCidrs;
  if (roleTokenCidrs.length > 0 && tokenCidrs.length > 0 && !isSubset(roleTokenCidrs, tokenCidrs)) {
    throw new BadRequestError(
      `failed to verify the token bound CIDR restrictions set on the secret ID: CIDR blocks on the secret ID ${quoteList(tokenCidrs)} should be a subset of token bound CIDR blocks on the role ${quoteList(roleTokenCidrs)}`,
    );
  }

  let numUses = role.secretIdNumUses;
  const numUsesSent = f.getOk('num_uses');
  if (numUsesSent !== undefined) {
    if (numUsesSent < 0) throw new BadRequestError('num_uses cannot be negative');
    // 0 means unlimited, which is "more" than any limit the role sets.
    if (role.secretIdNumUses > 0 && (numUsesSent === 0 || numUsesSent > role.secretIdNumUses)) {
      throw new BadRequestError("num_uses cannot be higher than the role's secret_id_num_uses");
    }
    numUses = numUsesSent;
  }

  let ttl = role.secretIdTTL;
  const ttlSent = f.getOk('ttl');
  if (ttlSent !== undefined) {
    if (ttlSent < 0) throw new BadRequestError('ttl cannot be negative');
    if (role.secretIdTTL > 0 && (ttlSent === 0 || ttlSent > role.secretIdTTL)) {
      throw new BadRequestError("ttl cannot be longer than the role's secret_id_ttl");
    }
    ttl = ttlSent;
  }

  return {
    accessor: randomUUID(),
    creationTime: nowMs,
    lastUpdatedTime: nowMs,
    expirationTime: ttl > 0 ? nowMs + ttl * 1000 : 0,
    numUses,
    ttl,
    cidrList,
    tokenBoundCidrs: tokenCidrs,
    metadata,
  };
}

async function issue(
  ctx: BackendContext,
  f: FieldData<typeof ISSUE_FIELDS>,
  secretId: string,
): Promise<Response> {
  const salt = await saltOf(ctx.storage);
  // Under the role lock: a role deleted (and perhaps recreated) meanwhile must not inherit it.
  return withRoleLock(ctx.storage, async () => {
    const role = await requireRole(ctx.storage, f.get('role_name'));
    if (!role.bindSecretId) throw new BadRequestError('bind_secret_id is not set on the role');
    const entry = entryFor(role, f, ctx.clock.now());
    await createSecretId(new SecretIdScope(ctx.storage, salt, role), secretId, entry);
    return {
      data: {
        secret_id: secretId,
        secret_id_accessor: entry.accessor,
        secret_id_num_uses: entry.numUses,
        secret_id_ttl: entry.ttl,
      },
    };
  });
}

async function scopeOf(ctx: BackendContext, roleName: string): Promise<SecretIdScope> {
  const salt = await saltOf(ctx.storage);
  return new SecretIdScope(ctx.storage, salt, await requireRole(ctx.storage, roleName));
}

function requiredSecretId(f: FieldData<typeof SECRET_ID_FIELDS>): string {
  const secretId = f.get('secret_id');
  if (secretId === '') throw new BadRequestError('missing secret_id');
  return secretId;
}

function requiredAccessor(f: FieldData<typeof ACCESSOR_FIELDS>): string {
  const accessor = f.get('secret_id_accessor');
  if (accessor === '') throw new BadRequestError('missing secret_id_accessor');
  return accessor;
}

function accessorNotFound(accessor: string): NotFoundError {
  return new NotFoundError(`failed to find accessor entry for secret_id_accessor: ${JSON.stringify(accessor)}`);
}

export const secretIdPath = definePath({
  pattern: rolePattern('/secret-id/?'),
  fields: ISSUE_FIELDS,
  operations: {
    update: (_req, f, ctx) => issue(ctx, f, randomUUID()),
    list: async (_req, f, ctx) => {
      const keys = await listAccessors(await scopeOf(ctx, f.get('role_name')));
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Generate a secret ID for the role, or list the accessors of its secret IDs.',
  description: `
A write generates a new secret ID (a UUID) and returns it with its accessor. ttl and num_uses
override the role's defaults but may not exceed them; cidr_list and token_bound_cidrs must lie
within the role's blocks. metadata is a JSON object of strings set on issued tokens.
`,
});

export const customSecretIdPath = definePath({
  pattern: rolePattern('/custom-secret-id'),
  fields: CUSTOM_FIELDS,
  operations: {
    update: async (_req, f, ctx) => {
      const secretId = f.get('secret_id');
      if (secretId === '') throw new BadRequestError('missing secret_id');
      return issue(ctx, f, secretId);
    },
  },
  synopsis: 'Register a secret ID of your choosing for the role.',
  description: 'As role/<role_name>/secret-id, with the secret ID supplied by the caller ("push" model).',
});

const lookupBySecretId: PathHandler<typeof SECRET_ID_FIELDS> = async (_req, f, ctx) => {
  const secretId = requiredSecretId(f);
  const entry = await getSecretId(await scopeOf(ctx, f.get('role_name')), secretId);
  return entry === undefined ? undefined : { data: renderSecretId(entry) };
};

const destroyBySecretId: PathHandler<typeof SECRET_ID_FIELDS> = async (_req, f, ctx) => {
  const secretId = requiredSecretId(f);
  const scope = await scopeOf(ctx, f.get('role_name'));
  await destroySecretId(scope, scope.keyOf(secretId));
  return undefined;
};

export const secretIdLookupPath = definePath({
  pattern: rolePattern('/secret-id/lookup'),
  fields: SECRET_ID_FIELDS,
  operations: { update: lookupBySecretId },
  synopsis: 'Read the properties of a secret ID of the role.',
  description: 'Answers with no content when the secret ID is not one of the role.',
});

export const secretIdDestroyPath = definePath({
  pattern: rolePattern('/secret-id/destroy'),
  fields: SECRET_ID_FIELDS,
  operations: { update: destroyBySecretId, delete: destroyBySecretId },
  synopsis: 'Destroy a secret ID of the role.',
  description: 'Removing a secret ID that does not exist is not an error.',
});

const lookupByAccessor: PathHandler<typeof ACCESSOR_FIELDS> = async (_req, f, ctx) => {
  const accessor = requiredAccessor(f);
  const found = await findByAccessor(await scopeOf(ctx, f.get('role_name')), accessor);
  if (found === undefined) throw accessorNotFound(accessor);
  return { data: renderSecretId(found.entry) };
};

const destroyByAccessor: PathHandler<typeof ACCESSOR_FIELDS> = async (_req, f, ctx) => {
  const accessor = requiredAccessor(f);
  const scope = await scopeOf(ctx, f.get('role_name'));
  const found = await findByAccessor(scope, accessor);
  if (found === undefined) throw accessorNotFound(accessor);
  await destroySecretId(scope, found.secretIdKey);
  return undefined;
};

export const accessorLookupPath = definePath({
  pattern: rolePattern('/secret-id-accessor/lookup'),
  fields: ACCESSOR_FIELDS,
  operations: { update: lookupByAccessor },
  synopsis: 'Read the properties of a secret ID of the role by its accessor.',
  description: 'An accessor that belongs to another role is not found.',
});

export const accessorDestroyPath = definePath({
  pattern: rolePattern('/secret-id-accessor/destroy'),
  fields: ACCESSOR_FIELDS,
  operations: { update: destroyByAccessor, delete: destroyByAccessor },
  synopsis: 'Destroy a secret ID of the role by its accessor.',
  description: 'An accessor that belongs to another role is not found.',
});
