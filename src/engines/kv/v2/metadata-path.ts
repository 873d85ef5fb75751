/**
 * metadata/<path>: read key metadata with every version, write or PATCH the key's settings
 * and custom_metadata (never creating a version), delete the key with all its versions, and
 * LIST the folder of secret paths.
 */
import { BadRequestError, NotFoundError } from '../../../errors.js';
import { definePath, formatTime, type FieldData, type PathHandler } from '../../../framework/index.js';
import { formatDuration } from '../../../util/duration.js';
import { checkSecretPath, isValidSecretPath, listPrefix } from '../secret-path.js';
import { checkCustomMetadata } from './custom-metadata.js';
import { deleteOp, KvStore, metadataKey, newMetadata, versionDeleteOp, versionKey, type KeyMetadata } from './layout.js';

const fields = {
  path: { type: 'string', description: 'Location of the secret.' },
  max_versions: {
    type: 'int',
    description: "The number of versions to keep. If not set, the backend's configured max version is used.",
  },
  cas_required: {
    type: 'bool',
    description: "If true the key will require the cas parameter to be set on all write requests. If false, the backend's configuration will be used.",
  },
  delete_version_after: {
    type: 'duration',
    description: "The length of time before a version is deleted. If not set, the backend's configured delete_version_after is used. Cannot be greater than the backend's delete_version_after.",
  },
  custom_metadata: {
    type: 'map',
    description: 'User-provided key-value pairs that are used to describe arbitrary and version-agnostic information about a secret.',
  },
} as const;

type MetadataFields = FieldData<typeof fields>;

function renderMetadata(meta: KeyMetadata): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const record of meta.records.list()) {
    versions[String(record.version)] = {
      created_time: formatTime(record.createdTime),
      deletion_time: record.deletionTime === null ? '' : formatTime(record.deletionTime),
      destroyed: record.destroyed,
    };
  }
  return {
    cas_required: meta.casRequired,
    created_time: formatTime(meta.createdTime),
    current_version: meta.currentVersion,
    custom_metadata: meta.customMetadata,
    delete_version_after: formatDuration(meta.deleteVersionAfter),
    max_versions: meta.maxVersions,
    oldest_version: meta.oldestVersion,
    updated_time: formatTime(meta.updatedTime),
    versions,
  };
}

function checkMaxVersions(n: number): number {
  if (n < 0) throw new BadRequestError('max_versions must be greater than or equal to 0');
  return n;
}

/** Apply the settings the caller sent; a negative delete_version_after disables it. */
function applySettings(meta: KeyMetadata, f: MetadataFields): void {
  const maxVersions = f.getOk('max_versions');
  if (maxVersions !== undefined) meta.maxVersions = checkMaxVersions(maxVersions);
  const casRequired = f.getOk('cas_required');
  if (casRequired !== undefined) meta.casRequired = casRequired;
  const deleteAfter = f.getOk('delete_version_after');
  if (deleteAfter !== undefined) meta.deleteVersionAfter = Math.max(0, deleteAfter);
}

const writeMetadata: PathHandler<typeof fields> = async (_req, f, ctx) => {
  const path = checkSecretPath(f.get('path'));
  const store = new KvStore(ctx.storage);
  const meta = (await store.metadata(path)) ?? newMetadata(ctx.clock.now());
  applySettings(meta, f);
  const custom = f.getOk('custom_metadata');
  if (custom !== undefined) meta.customMetadata = checkCustomMetadata(custom);
  await store.saveMetadata(path, meta);
  return undefined;
};

/** JSON merge patch of the settings: an explicit null resets a setting to its default. */
const patchMetadata: PathHandler<typeof fields> = async (req, f, ctx) => {
  const path = checkSecretPath(f.get('path'));
  const store = new KvStore(ctx.storage);
  const meta = await store.metadata(path);
  if (meta === undefined) throw new NotFoundError();
  const cleared = (name: string): boolean => Object.prototype.hasOwnProperty.call(req.data, name) && req.data[name] === null;
  if (cleared('max_versions')) meta.maxVersions = 0;
  if (cleared('cas_required')) meta.casRequired = false;
  if (cleared('delete_version_after')) meta.deleteVersionAfter = 0;
  if (cleared('custom_metadata')) meta.customMetadata = null;
  applySettings(meta, f);
  const custom = f.getOk('custom_metadata');
  if (custom !== undefined) {
    const merged: Record<string, unknown> = { ...(meta.customMetadata ?? {}) };
    for (const [k, v] of Object.entries(custom)) {
      if (v === null) delete merged[k];
      else Object.defineProperty(merged, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    meta.customMetadata = checkCustomMetadata(merged);
  }
  await store.saveMetadata(path, meta);
  return undefined;
};

const deleteMetadata: PathHandler<typeof fields> = async (_req, f, ctx) => {
  const path = checkSecretPath(f.get('path'));
  const store = new KvStore(ctx.storage);
  const meta = await store.metadata(path);
  if (meta === undefined) return undefined;
  const ops = meta.records.list().map((r) => versionDeleteOp(versionKey(path, r.version)));
  ops.push(deleteOp(metadataKey(path)));
  await store.commit(ops);
  return undefined;
};

export const metadataPath = definePath({
  // "metadata" alone is the root folder, so LIST works with or without the trailing slash.
  pattern: 'metadata(?:/(?<path>.*))?',
  fields,
  existenceCheck: async (_req, f, ctx) => {
    const path = f.get('path');
    return isValidSecretPath(path) && (await new KvStore(ctx.storage).metadata(path)) !== undefined;
  },
  operations: {
    read: async (_req, f, ctx) => {
      const meta = await new KvStore(ctx.storage).metadata(checkSecretPath(f.get('path')));
      return meta === undefined ? undefined : { data: renderMetadata(meta) };
    },
    create: writeMetadata,
    update: writeMetadata,
    patch: patchMetadata,
    delete: deleteMetadata,
    list: async (_req, f, ctx) => {
      const keys = await new KvStore(ctx.storage).list(listPrefix(f.get('path')));
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Configures settings for the KV store',
  description: `
This path lets you read and configure a key's metadata: max_versions,
cas_required, delete_version_after and custom_metadata. Reads also return every
version's created_time, deletion_time and destroyed flag. Writing metadata does
not create a version. Deleting the metadata permanently removes the key and all
of its versions. A LIST returns the keys below a folder; folders end in "/".
`,
});
