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
import type { KeyMetadata, VersionRecord } from './layout.js';

type CompactRecord = [number, number, number | null, 0 | 1];

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
 * The one way to make a VersionRecord: frozen, with its stored form rendered now. Records never
 * change once made and addVersion carries them over from write to write, so an encoding only
 * joins texts made earlier; turning millisecond times into text (doubles, not small integers,
 * to V8) was most of an encoding's cost.
 *
 * The text comes from JSON.stringify, which makes one flat string: a template literal would
 * leave a tree of V8 cons strings (~6 nodes and the pieces, ~300 bytes against ~50) for as long
 * as the record lives, and a cached secret keeps up to ten records. Measured under a steady KV
 * write load, such trees were half of the server's live heap.
 */
export function versionRecord(version: number, createdTime: number, deletionTime: number | null, destroyed: boolean): VersionRecord {
  return Object.freeze({
    version,
    createdTime,
    deletionTime,
    destroyed,
    stored: JSON.stringify([version, createdTime, deletionTime, destroyed ? 1 : 0]),
  });
}

/** The stored form. The numbers are integers the engine computed (clock milliseconds, counts). */
export function encodeMetadata(meta: KeyMetadata): Buffer {
  let s =
    `{"c":${meta.createdTime},"u":${meta.updatedTime},"cur":${meta.currentVersion},"old":${meta.oldestVersion},` +
    `"max":${meta.maxVersions},"cas":${meta.casRequired ? 'true' : 'false'},"dva":${meta.deleteVersionAfter},` +
    `"cm":${JSON.stringify(meta.customMetadata ?? null)},"r":[`;
  const records = meta.versions;
  for (let i = 0; i < records.length; i++) s += i === 0 ? (records[i] as VersionRecord).stored : `,${(records[i] as VersionRecord).stored}`;
  return Buffer.from(`${s}]}`, 'utf8');
}

/** The stored bytes as a KeyMetadata the caller owns (either format). */
export function decodeMetadata(plain: Buffer): KeyMetadata {
  const raw = JSON.parse(plain.toString('utf8')) as CompactMetadata | LegacyMetadata;
  if (!('r' in raw) || !Array.isArray(raw.r)) return fromLegacy(raw as LegacyMetadata);
  const versions: VersionRecord[] = [];
  for (const [n, createdTime, deletionTime, destroyed] of raw.r) {
    versions.push(versionRecord(n, createdTime, deletionTime, destroyed === 1));
  }
  return {
    createdTime: raw.c,
    updatedTime: raw.u,
    currentVersion: raw.cur,
    oldestVersion: raw.old,
    maxVersions: raw.max,
    casRequired: raw.cas,
    deleteVersionAfter: raw.dva,
    customMetadata: raw.cm,
    versions: sortedByVersion(versions),
  };
}

/** The form written before this codec: KeyMetadata's fields, versions keyed by decimal number. */
interface LegacyMetadata extends Omit<KeyMetadata, 'versions'> {
  versions: Record<string, { createdTime: number; deletionTime: number | null; destroyed: boolean }>;
}

function fromLegacy(raw: LegacyMetadata): KeyMetadata {
  const versions = Object.entries(raw.versions).map(([n, r]) => versionRecord(Number(n), r.createdTime, r.deletionTime, r.destroyed));
  return { ...raw, versions: sortedByVersion(versions) };
}

function sortedByVersion(records: VersionRecord[]): VersionRecord[] {
  for (let i = 1; i < records.length; i++) {
    if ((records[i - 1] as VersionRecord).version >= (records[i] as VersionRecord).version) {
      return records.sort((a, b) => a.version - b.version);
    }
  }
  return records;
}

/** Freeze a KeyMetadata for sharing through the read cache (its records are frozen already). */
export function freezeMetadata(meta: KeyMetadata): KeyMetadata {
  Object.freeze(meta.versions);
  if (meta.customMetadata !== null && !Object.isFrozen(meta.customMetadata)) Object.freeze(meta.customMetadata);
  return Object.freeze(meta);
}

/** The read cache's decoder for metadata: decoded once per cached entry and shared, frozen. */
export function decodeSharedMetadata(plain: Buffer): KeyMetadata {
  return freezeMetadata(decodeMetadata(plain));
}
