/**
 * KV version 1: one unversioned JSON object per path. Writes replace the whole object; a `ttl`
 * key (or the legacy `lease`) is advisory: it is reported as the lease duration of reads but
 * never expires anything, and no lease is created.
 */
import { BadRequestError } from '../../../errors.js';
import type { BackendContext, BackendRequest, LogicalBackend } from '../../../logical/backend.js';
import type { Response } from '../../../logical/request.js';
import { parseDurationSeconds } from '../../../util/duration.js';
import { createBackend, definePath, matchAll, type PathDef, type PathHandler } from '../../../framework/index.js';
import { checkSecretPath, isValidSecretPath, listPrefix } from '../secret-path.js';

/** Every secret lives at DATA_PREFIX + its path. Written and read only by this engine; replicated with the mount. */
export const DATA_PREFIX = 'data/';

const pathField = {
  path: { type: 'string', description: 'Location of the secret.' },
} as const;

/** The advisory TTL of a stored object, if it carries one. */
function advisoryTTL(stored: Readonly<Record<string, unknown>>): unknown {
  return stored.ttl ?? stored.lease;
}

function parseTTL(raw: unknown): number {
  return Math.max(0, parseDurationSeconds(raw));
}

async function readSecret(path: string, ctx: BackendContext): Promise<Response | undefined> {
  const stored = await ctx.storage.getJSON<Record<string, unknown>>(DATA_PREFIX + checkSecretPath(path));
  if (stored === undefined) return undefined;
  let ttl = ctx.mount.defaultLeaseTTL();
  const raw = advisoryTTL(stored);
  if (raw !== undefined) {
    try {
      ttl = parseTTL(raw);
    } catch {
      // Written before validation existed, or by hand: fall back to the mount default.
    }
  }
  // An advisory duration only: no lease id, never renewable, nothing to revoke.
  return { data: stored, secret: { ttl, renewable: false } };
}

const writeSecret: PathHandler<typeof pathField> = async (req, fields, ctx) => {
  const path = checkSecretPath(fields.get('path'));
  if (Object.keys(req.data).length === 0) throw new BadRequestError('missing data fields');
  const ttl = advisoryTTL(req.data);
  if (ttl !== undefined) {
    try {
      parseTTL(ttl);
    } catch (err) {
      throw new BadRequestError(`failed to parse ttl: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  await ctx.storage.putJSON(DATA_PREFIX + path, req.data);
  return undefined;
};

const secretPath = definePath({
  pattern: matchAll('path'),
  fields: pathField,
  takesArbitraryInput: true,
  existenceCheck: async (_req, fields, ctx) => {
    const path = fields.get('path');
    if (!isValidSecretPath(path)) return false;
    return (await ctx.storage.get(DATA_PREFIX + path)) !== undefined;
  },
  operations: {
    read: (_req, fields, ctx) => readSecret(fields.get('path'), ctx),
    create: writeSecret,
    update: writeSecret,
    delete: async (_req, fields, ctx) => {
      await ctx.storage.delete(DATA_PREFIX + checkSecretPath(fields.get('path')));
      return undefined;
    },
    list: async (_req, fields, ctx) => {
      const keys = await ctx.storage.list(DATA_PREFIX + listPrefix(fields.get('path')));
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Pass-through secret storage to the storage backend, allowing you to read/write arbitrary data into secret storage.',
  description: `
The pass-through backend reads and writes arbitrary data into secret storage,
encrypting it along the way.

A TTL can be specified when writing with the "ttl" field. If given, the
duration of leases returned by this backend will be set to this value. This
can be used as a hint from the writer of a secret to the consumer of a secret
that the consumer should re-read the value before the TTL has expired.
However, any revocation must be handled by the user of this backend; the lease
duration does not affect the provided data in any way.
`,
});

export const KV_V1_PATHS: readonly PathDef[] = [secretPath];

export const KV_V1_HELP = `
The KV backend (version 1) reads and writes arbitrary secrets to the storage
backend. Writes replace the whole value; there is no versioning.
`;

export function kvV1Factory(ctx: BackendContext): LogicalBackend {
  // Every write of a KV v1 mount writes its (replicated, unless the mount is local) data.
  return createBackend({ paths: KV_V1_PATHS, help: KV_V1_HELP, writesShared: (req) => isWrite(req.operation) }, ctx);
}

function isWrite(op: BackendRequest['operation']): boolean {
  return op === 'create' || op === 'update' || op === 'delete';
}
