/**
 * data/<path>: read a version, write a new version (with check-and-set), PATCH the latest
 * version with a JSON merge patch, and DELETE (soft-delete) the latest version.
 */
import { BadRequestError, NotFoundError } from '../../../errors.js';
import type { BackendContext } from '../../../logical/backend.js';
import type { Response } from '../../../logical/request.js';
import { coerce, definePath, type FieldData, type PathHandler } from '../../../framework/index.js';
import { checkSecretPath, isValidSecretPath } from '../secret-path.js';
import { isPlainObject, mergePatch } from './json-merge.js';
import { KvStore, type KeyMetadata, type KvConfig } from './layout.js';
import { versionRecord } from './version-records.js';
import {
  addVersion,
  checkCas,
  findVersion,
  isDeleted,
  isReadable,
  readVersion,
  replaceVersions,
  versionMetadataResponse,
} from './versions.js';

const fields = {
  path: { type: 'string', description: 'Location of the secret.' },
  version: { type: 'int', description: 'If provided during a read, the value at the version number will be returned.' },
  options: {
    type: 'map',
    description: 'Options for writing a KV entry. Set the "cas" value to use a Check-And-Set operation.',
  },
  data: {
    type: 'map',
    description: 'The contents of the data map will be stored and returned on read.',
    sensitive: true,
  },
} as const;

type DataFields = FieldData<typeof fields>;

/** options.cas, if the caller sent one. */
function casOption(f: DataFields): number | undefined {
  const raw = f.getOk('options')?.cas;
  if (raw === undefined || raw === null) return undefined;
  try {
    return coerce('int', raw);
  } catch (err) {
    throw new BadRequestError(`error converting input ${JSON.stringify(raw)} for field "cas": ${(err as Error).message}`);
  }
}

async function readData(f: DataFields, ctx: BackendContext): Promise<Response | undefined> {
  const path = checkSecretPath(f.get('path'));
  const found = await readVersion(new KvStore(ctx.storage), path, f.get('version'), ctx.clock.now());
  if (found === undefined) return undefined;
  const { data, metadata } = found;
  // Deleted or destroyed: 404, but with the version's metadata so clients can tell why.
  if (data === undefined) return { statusCode: 404, data: { data: null, metadata } };
  return { data: { data, metadata } };
}

/** Runs under the backend's per-secret write lock, so `meta` is still current when it commits. */
async function commitVersion(
  path: string,
  store: KvStore,
  meta: KeyMetadata | undefined,
  config: KvConfig,
  data: Record<string, unknown>,
  ctx: BackendContext,
): Promise<Response> {
  const next = addVersion(path, meta, config, data, ctx.clock.now());
  await store.commit(next.ops);
  return { data: versionMetadataResponse(next.meta, next.version, next.record) };
}

const writeData: PathHandler<typeof fields> = async (_req, f, ctx) => {
  const path = checkSecretPath(f.get('path'));
  const data = f.getOk('data');
  if (data === undefined) throw new BadRequestError('no data provided');
  const store = new KvStore(ctx.storage);
  // Shared (frozen, parsed once per cached entry): addVersion copies what it changes.
  const meta = await store.sharedMetadata(path);
  const config = await store.config();
  checkCas(meta, config, casOption(f));
  return commitVersion(path, store, meta, config, data, ctx);
};

const patchData: PathHandler<typeof fields> = async (_req, f, ctx) => {
  const path = checkSecretPath(f.get('path'));
  const patch = f.getOk('data');
  if (patch === undefined) throw new BadRequestError('no data provided');
  const store = new KvStore(ctx.storage);
  const meta = await store.metadata(path);
  const record = meta === undefined ? undefined : findVersion(meta, meta.currentVersion);
  if (meta === undefined || record === undefined || !isReadable(record, ctx.clock.now())) throw new NotFoundError();
  const config = await store.config();
  checkCas(meta, config, casOption(f));
  const current = await store.version(path, meta.currentVersion);
  if (current === undefined) throw new NotFoundError();
  const merged = mergePatch(current.data, patch);
  if (!isPlainObject(merged)) throw new BadRequestError('patch must produce a JSON object');
  return commitVersion(path, store, meta, config, merged, ctx);
};

const deleteLatest: PathHandler<typeof fields> = async (_req, f, ctx) => {
  const path = checkSecretPath(f.get('path'));
  const store = new KvStore(ctx.storage);
  const meta = await store.metadata(path);
  if (meta === undefined) return undefined;
  const now = ctx.clock.now();
  const record = findVersion(meta, meta.currentVersion);
  if (record === undefined || record.destroyed || isDeleted(record, now)) return undefined;
  replaceVersions(meta, new Map([[record.version, versionRecord(record.version, record.createdTime, now, false)]]));
  await store.saveMetadata(path, meta);
  return undefined;
};

export const dataPath = definePath({
  pattern: 'data/(?<path>.*)',
  fields,
  existenceCheck: async (_req, f, ctx) => {
    const path = f.get('path');
    return isValidSecretPath(path) && (await new KvStore(ctx.storage).sharedMetadata(path)) !== undefined;
  },
  operations: {
    read: (_req, f, ctx) => readData(f, ctx),
    create: writeData,
    update: writeData,
    patch: patchData,
    delete: deleteLatest,
  },
  synopsis: 'Write, Patch, Read, and Delete data in the Key-Value Store.',
  description: `
This path takes a key name and value data and stores it in the Key-Value store.
A read returns the latest version unless "version" is given. A write creates a
new version; with options.cas it only succeeds if the current version matches
(0 = the key must not exist). A PATCH applies a JSON merge patch to the latest
version and stores the result as a new version. A DELETE soft-deletes the
latest version; it can be recovered with the "undelete" path.
`,
});
