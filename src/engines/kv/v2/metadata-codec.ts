/**
 * How a secret's KeyMetadata is stored: compact JSON, written on every KV v2 write.
 *
 *   {"c":created,"u":updated,"cur":current,"old":oldest,"max":max_versions,"cas":bool,
 *    "dva":delete_version_after,"cm":custom_metadata|null,"r":[[n,created,deletion|null,0|1],...]}
 *
 * Every write stores the record of every live version (up to max_versions, 10 by default), so
 * the records are arrays, not objects with named fields: ten versions take ~300 bytes instead
 * of ~750, which keeps the entry inside one SQLite page (a row over ~1,000 bytes spills to an
 * overflow page, one more page written per write) and is less to stringify and encrypt.
 *
 * Entries written before this format (the KeyMetadata object itself as JSON, with a
 * `versions` object) still decode; they are rewritten compactly by the secret's next write.
 */
import type { KeyMetadata } from './layout.js';
import { VersionRecords, versionRecord, type CompactRecord } from './version-records.js';

interface CompactMetadata {
  c: number;
  u: number;
  cur: number;
  old: number;
  max: number;
  cas: boolean;
  dva: number;
  cm: Record<string, string> | null;
  r: CompactRecord[];
}

/**
 * The stored form. The numbers are integers the engine computed (clock milliseconds, counts);
 * the records are already text (version-records.ts), so an encoding renders no record again.
 */
export function encodeMetadata(meta: KeyMetadata): Buffer {
  return Buffer.from(
    `{"c":${meta.createdTime},"u":${meta.updatedTime},"cur":${meta.currentVersion},"old":${meta.oldestVersion},` +
      `"max":${meta.maxVersions},"cas":${meta.casRequired ? 'true' : 'false'},"dva":${meta.deleteVersionAfter},` +
      `"cm":${JSON.stringify(meta.customMetadata ?? null)},"r":${meta.records.json}}`,
    'utf8',
  );
}

/** The stored bytes as a KeyMetadata the caller owns (either format). */
export function decodeMetadata(plain: Buffer): KeyMetadata {
  const raw = JSON.parse(plain.toString('utf8')) as CompactMetadata | LegacyMetadata;
  if (!('r' in raw) || !Array.isArray(raw.r)) return fromLegacy(raw as LegacyMetadata);
  return {
    createdTime: raw.c,
    updatedTime: raw.u,
    currentVersion: raw.cur,
    oldestVersion: raw.old,
    maxVersions: raw.max,
    casRequired: raw.cas,
    deleteVersionAfter: raw.dva,
    customMetadata: raw.cm,
    records: VersionRecords.fromStored(raw.r),
  };
}

/** The form written before this codec: KeyMetadata's fields, versions keyed by decimal number. */
interface LegacyMetadata extends Omit<KeyMetadata, 'records'> {
  versions: Record<string, { createdTime: number; deletionTime: number | null; destroyed: boolean }>;
}

function fromLegacy(raw: LegacyMetadata): KeyMetadata {
  const { versions, ...fields } = raw;
  const records = Object.entries(versions).map(([n, r]) => versionRecord(Number(n), r.createdTime, r.deletionTime, r.destroyed));
  return { ...fields, records: VersionRecords.of(records) };
}

/** Freeze a KeyMetadata for sharing through the read cache (its records are frozen already). */
export function freezeMetadata(meta: KeyMetadata): KeyMetadata {
  if (meta.customMetadata !== null && !Object.isFrozen(meta.customMetadata)) Object.freeze(meta.customMetadata);
  return Object.freeze(meta);
}

/** The read cache's decoder for metadata: decoded once per cached entry and shared, frozen. */
export function decodeSharedMetadata(plain: Buffer): KeyMetadata {
  return freezeMetadata(decodeMetadata(plain));
}
