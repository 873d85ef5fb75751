/**
 * delete/<path>, undelete/<path>, destroy/<path>: act on listed versions of one key.
 * Delete and undelete only flip the deletion time in metadata; destroy removes the version's
 * data and marks it destroyed, in one batch with the metadata.
 */
import { BadRequestError } from '../../../errors.js';
import { definePath, type PathDef, type PathHandler } from '../../../framework/index.js';
import type { BatchOp } from '../../../storage/physical.js';
import { checkSecretPath } from '../secret-path.js';
import { KvStore, metadataPutOp, versionDeleteOp, versionKey, type KeyMetadata, type VersionRecord } from './layout.js';
import { VersionRecords, versionRecord } from './version-records.js';
import { isDeleted } from './versions.js';

const fields = {
  path: { type: 'string', description: 'Location of the secret.' },
  versions: { type: 'comma-int-slice', description: 'The versions to act on.' },
} as const;

/** The changed record, or undefined when the change does not apply to this one. */
type VersionChange = (record: VersionRecord, now: number) => VersionRecord | undefined;

function versionOperation(change: VersionChange, destroysData: boolean): PathHandler<typeof fields> {
  return async (_req, f, ctx) => {
    const path = checkSecretPath(f.get('path'));
    const versions = f.get('versions');
    if (versions.length === 0) throw new BadRequestError('no version number provided');
    const store = new KvStore(ctx.storage);
    const meta: KeyMetadata | undefined = await store.metadata(path);
    if (meta === undefined) return undefined;
    const now = ctx.clock.now();
    const ops: BatchOp[] = [];
    const changed = new Map<number, VersionRecord>();
    // Parsed once, for the listed versions and for the changed records (finding an old version
    // parses the records' text).
    const records = meta.records.list();
    const live = new Map(records.map((r) => [r.version, r]));
    for (const version of new Set(versions)) {
      const record = live.get(version);
      if (record === undefined) continue;
      const next = change(record, now);
      if (next !== undefined) changed.set(version, next);
      if (destroysData) ops.push(versionDeleteOp(versionKey(path, version)));
    }
    if (changed.size > 0) {
      meta.records = VersionRecords.of(records.map((r) => changed.get(r.version) ?? r));
      ops.push(metadataPutOp(path, meta));
    }
    if (ops.length > 0) await store.commit(ops);
    return undefined;
  };
}

const softDelete: VersionChange = (r, now) =>
  r.destroyed || isDeleted(r, now) ? undefined : versionRecord(r.version, r.createdTime, now, r.destroyed);

const undelete: VersionChange = (r) =>
  r.destroyed || r.deletionTime === null ? undefined : versionRecord(r.version, r.createdTime, null, r.destroyed);

const destroy: VersionChange = (r) => (r.destroyed ? undefined : versionRecord(r.version, r.createdTime, r.deletionTime, true));

export const deletePath = definePath({
  pattern: 'delete/(?<path>.*)',
  fields,
  operations: { update: versionOperation(softDelete, false) },
  synopsis: 'Marks one or more versions as deleted in the KV store.',
  description: `
Soft-deletes the listed versions: reads stop returning them, but their data
stays in storage and "undelete" restores them.
`,
});

export const undeletePath = definePath({
  pattern: 'undelete/(?<path>.*)',
  fields,
  operations: { update: versionOperation(undelete, false) },
  synopsis: 'Undeletes one or more versions from the KV store.',
  description: `
Restores soft-deleted versions (including a scheduled delete_version_after
deletion) so reads return them again. Destroyed versions cannot be restored.
`,
});

export const destroyPath = definePath({
  pattern: 'destroy/(?<path>.*)',
  fields,
  operations: { update: versionOperation(destroy, true) },
  synopsis: 'Permanently removes one or more versions in the KV store',
  description: `
Permanently deletes the data of the listed versions. Their metadata remains,
marked destroyed.
`,
});

export const VERSION_OPERATION_PATHS: readonly PathDef[] = [deletePath, undeletePath, destroyPath];
