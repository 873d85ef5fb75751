/**
 * The cubbyhole secrets engine: private storage per token. Every service token has a random
 * cubbyhole id (TokenEntry.cubbyholeId, never derived from the token); its data lives at
 * `<cubbyholeId>/<path>` in the mount's storage, so no token can name another's keys, root
 * included. The mount is local (never replicated) and exists exactly once, at `cubbyhole/`.
 * A token's cubbyhole is destroyed when the token is revoked (core wires the token store's
 * revoke hook to `destroyCubbyhole`). Response wrapping stores wrapped responses here too.
 */
import { BadRequestError, PermissionDeniedError } from '../../errors.js';
import { createBackend, definePath, matchAll, type PathDef, type PathHandler } from '../../framework/index.js';
import type { BackendContext, BackendRequest, LogicalBackend } from '../../logical/backend.js';
import type { Storage } from '../../logical/storage.js';
import { StorageView } from '../../logical/storage.js';
import type { Router } from '../../router/router.js';
import { checkSecretPath, isValidSecretPath, listPrefix } from '../kv/secret-path.js';

/** Where the one cubbyhole mount lives (a required mount of the core). */
export const CUBBYHOLE_MOUNT_PATH = 'cubbyhole/';
export const CUBBYHOLE_TYPE = 'cubbyhole';
export const CUBBYHOLE_DESCRIPTION = 'per-token private secret storage';

/** Deleting a cubbyhole goes in batches of this many keys. */
const DELETE_BATCH = 500;

/** Storage prefix of one token's cubbyhole, relative to the mount's view. */
export function cubbyholePrefix(cubbyholeId: string): string {
  if (cubbyholeId === '' || cubbyholeId.includes('/')) throw new Error('invalid cubbyhole id');
  return `${cubbyholeId}/`;
}

/** The storage of the mounted cubbyhole engine (throws while it is not mounted, e.g. sealed). */
export function mountedCubbyholeStorage(router: Router, storage: Storage): StorageView {
  const route = router.get(CUBBYHOLE_MOUNT_PATH);
  if (route === undefined || route.entry.type !== CUBBYHOLE_TYPE) throw new Error('the cubbyhole mount is not loaded');
  return new StorageView(storage, route.storagePrefix);
}

/** Delete every key of one cubbyhole. Tokens without one (batch tokens) have nothing to delete. */
export async function destroyCubbyhole(mountStorage: StorageView, cubbyholeId: string): Promise<void> {
  if (cubbyholeId === '') return;
  const view = mountStorage.sub(cubbyholePrefix(cubbyholeId));
  const keys = await view.listRecursive();
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    await view.batch(keys.slice(i, i + DELETE_BATCH).map((key) => ({ type: 'delete' as const, key })));
  }
}

/** The caller's own cubbyhole. Batch tokens carry no storage of their own, so they have none. */
function ownCubbyhole(req: BackendRequest, ctx: BackendContext): StorageView {
  const auth = req.auth;
  if (auth === undefined) throw new PermissionDeniedError();
  if (auth.tokenType !== 'service' || auth.cubbyholeId === '') {
    throw new BadRequestError('cubbyhole operations are only supported by "service" type tokens');
  }
  return ctx.storage.sub(cubbyholePrefix(auth.cubbyholeId));
}

const pathField = {
  path: { type: 'string', description: 'Specifies the path of the secret.' },
} as const;

const write: PathHandler<typeof pathField> = async (req, fields, ctx) => {
  const view = ownCubbyhole(req, ctx);
  const path = checkSecretPath(fields.get('path'));
  if (Object.keys(req.data).length === 0) throw new BadRequestError('missing data fields');
  await view.putJSON(path, req.data);
  return undefined;
};

const secretPath = definePath({
  pattern: matchAll('path'),
  fields: pathField,
  takesArbitraryInput: true,
  existenceCheck: async (req, fields, ctx) => {
    const path = fields.get('path');
    if (!isValidSecretPath(path)) return false;
    return (await ownCubbyhole(req, ctx).get(path)) !== undefined;
  },
  operations: {
    read: async (req, fields, ctx) => {
      const view = ownCubbyhole(req, ctx);
      const data = await view.getJSON<Record<string, unknown>>(checkSecretPath(fields.get('path')));
      return data === undefined ? undefined : { data };
    },
    create: write,
    update: write,
    delete: async (req, fields, ctx) => {
      await ownCubbyhole(req, ctx).delete(checkSecretPath(fields.get('path')));
      return undefined;
    },
    list: async (req, fields, ctx) => {
      const keys = await ownCubbyhole(req, ctx).list(listPrefix(fields.get('path')));
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Read, write, list and delete secrets in the calling token\'s own cubbyhole.',
  description: `
Stores arbitrary JSON objects under any path, like KV version 1, but in a space
that belongs to the calling token alone: another token (root included) sees a
different cubbyhole. Everything stored is deleted when the token is revoked.
`,
});

export const CUBBYHOLE_PATHS: readonly PathDef[] = [secretPath];

const CUBBYHOLE_HELP = `
Private secret storage for each token. A token can read and write only its own
cubbyhole; nothing is shared between tokens, and a token's cubbyhole is
destroyed together with the token. Response wrapping keeps wrapped responses
in the cubbyhole of the wrapping token.
`;

export function cubbyholeFactory(ctx: BackendContext): LogicalBackend {
  // One instance, at its fixed path: a second cubbyhole mount would split tokens' data.
  if (ctx.mount.path !== CUBBYHOLE_MOUNT_PATH) {
    throw new PermissionDeniedError(`mount type of "${CUBBYHOLE_TYPE}" is not mountable`);
  }
  return createBackend({ paths: CUBBYHOLE_PATHS, help: CUBBYHOLE_HELP }, ctx);
}
