/**
 * The rules of KV v2 versions: which settings apply (key metadata over engine config), when a
 * version counts as deleted, how a new version is added and old ones pruned, and how versions
 * are rendered in responses.
 */
import { BadRequestError } from '../../../errors.js';
import { formatTime } from '../../../framework/index.js';
import type { BatchOp } from '../../../storage/physical.js';
import {
  DEFAULT_MAX_VERSIONS,
  sharedMetadataPutOp,
  versionDeleteOp,
  newMetadata,
  versionPutOp,
  versionKeyPrefix,
  type KeyMetadata,
  type KvConfig,
  type VersionRecord,
  type KvStore,
} from './layout.js';
import { versionRecord } from './version-records.js';

export function effectiveMaxVersions(meta: KeyMetadata, config: KvConfig): number {
  if (meta.maxVersions > 0) return meta.maxVersions;
  if (config.maxVersions > 0) return config.maxVersions;
  return DEFAULT_MAX_VERSIONS;
}

/** The key's delete_version_after, capped by the engine's when both are set. */
export function effectiveDeleteAfter(meta: KeyMetadata | undefined, config: KvConfig): number {
  const own = meta?.deleteVersionAfter ?? 0;
  if (own > 0 && config.deleteVersionAfter > 0) return Math.min(own, config.deleteVersionAfter);
  return own > 0 ? own : Math.max(0, config.deleteVersionAfter);
}

/** A version is deleted once its deletion time has come (soft delete or delete_version_after). */
export function isDeleted(record: VersionRecord, now: number): boolean {
  return record.deletionTime !== null && record.deletionTime <= now;
}

export function isReadable(record: VersionRecord, now: number): boolean {
  return !record.destroyed && !isDeleted(record, now);
}

/** The record of a live version. */
export function findVersion(meta: KeyMetadata, version: number): VersionRecord | undefined {
  return meta.records.find(version);
}

/** Replace the records of the same versions in `meta` (an owned copy, not the shared one). */
export function replaceVersions(meta: KeyMetadata, changed: ReadonlyMap<number, VersionRecord>): void {
  meta.records = meta.records.replace(changed);
}

/** The per-version metadata block of data, subkeys and write responses. */
export function versionMetadataResponse(meta: KeyMetadata, version: number, record: VersionRecord): Record<string, unknown> {
  return {
    created_time: formatTime(record.createdTime),
    custom_metadata: meta.customMetadata,
    deletion_time: record.deletionTime === null ? '' : formatTime(record.deletionTime),
    destroyed: record.destroyed,
    version,
  };
}

/** Enforce check-and-set: required by key or engine, and must name the current version. */
export function checkCas(meta: KeyMetadata | undefined, config: KvConfig, cas: number | undefined): void {
  const required = config.casRequired || meta?.casRequired === true;
  if (cas === undefined) {
    if (required) throw new BadRequestError('check-and-set parameter required for this call');
    return;
  }
  if (cas !== (meta?.currentVersion ?? 0)) {
    throw new BadRequestError('check-and-set parameter did not match the current version');
  }
}

export interface NewVersion {
  /** Deep-frozen: the write shares it with the read cache. */
  readonly meta: KeyMetadata;
  readonly version: number;
  readonly record: VersionRecord;
  /** Metadata put, version put, and deletes of pruned versions: apply as one batch. */
  readonly ops: readonly BatchOp[];
}

/**
 * Add a version holding data, pruning versions beyond max_versions. Does not write. `existing`
 * is left as it is (it may be the shared, frozen decoded entry): the answer's metadata is a new
 * object with new records; version records are never changed, only added or dropped.
 */
export function addVersion(
  path: string,
  existing: KeyMetadata | undefined,
  config: KvConfig,
  data: Record<string, unknown>,
  now: number,
): NewVersion {
  const base = existing ?? newMetadata(now);
  const versionsAt = versionKeyPrefix(path);
  const version = base.currentVersion + 1;
  const deleteAfter = effectiveDeleteAfter(base, config);
  const record = versionRecord(version, now, deleteAfter > 0 ? now + deleteAfter * 1000 : null, false);
  // Not kept by the read cache: a version is read back far less often than it is written.
  const ops: BatchOp[] = [versionPutOp(versionsAt + String(version), data)];
  const cutoff = version - effectiveMaxVersions(base, config);
  const { records, pruned } = base.records.add(record, cutoff);
  for (const old of pruned) ops.push(versionDeleteOp(versionsAt + String(old)));
  // Field by field rather than spread: copying a frozen object by spread takes V8's slow path.
  const meta: KeyMetadata = {
    createdTime: base.createdTime,
    updatedTime: now,
    currentVersion: version,
    oldestVersion: cutoff > 0 ? Math.max(base.oldestVersion, cutoff + 1) : base.oldestVersion,
    maxVersions: base.maxVersions,
    casRequired: base.casRequired,
    deleteVersionAfter: base.deleteVersionAfter,
    customMetadata: base.customMetadata,
    records,
  };
  // Frozen from here on: the read cache shares it with the next reader.
  ops.push(sharedMetadataPutOp(path, meta));
  return { meta, version, record, ops };
}

/**
 * A version for reading (0 = the current one): undefined when the key or version does not
 * exist; `data` undefined when the version is deleted, destroyed or expired at `now`, so
 * callers answer 404 with the version's metadata as Vault does. `data` and custom metadata
 * are the shared, frozen decoded entries (layout.ts sharedVersion): never modify the answer.
 */
export async function readVersion(
  store: KvStore,
  path: string,
  requested: number,
  now: number,
): Promise<{ metadata: Record<string, unknown>; data: Record<string, unknown> | undefined } | undefined> {
  const meta = await store.sharedMetadata(path);
  if (meta === undefined) return undefined;
  const version = requested === 0 ? meta.currentVersion : requested;
  const record = findVersion(meta, version);
  if (record === undefined) return undefined;
  const stored = isReadable(record, now) ? await store.sharedVersion(path, version) : undefined;
  return { metadata: versionMetadataResponse(meta, version, record), data: stored?.data };
}
