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
 * Each record's stored text after its version number, kept on the record itself (a hidden,
 * non-enumerable property set when the record is frozen: records never change once made, and
 * addVersion carries them over from write to write). Turning their millisecond times into text
 * is most of an encoding's cost (doubles, not small integers, to V8); a side table keyed by
 * record would be a WeakMap of ~100,000 entries that every full GC has to walk.
 */
const TEXT = Symbol('stored text');

type TextedRecord = VersionRecord & { readonly [TEXT]?: string };

function recordText(r: VersionRecord): string {
  return `${r.createdTime},${r.deletionTime === null ? 'null' : r.deletionTime},${r.destroyed ? 1 : 0}]`;
}

function recordTail(r: TextedRecord): string {
  return r[TEXT] ?? recordText(r);
}

/** The stored form. The numbers are integers the engine computed (clock milliseconds, counts). */
export function encodeMetadata(meta: KeyMetadata): Buffer {
  let s =
    `{"c":${meta.createdTime},"u":${meta.updatedTime},"cur":${meta.currentVersion},"old":${meta.oldestVersion},` +
    `"max":${meta.maxVersions},"cas":${meta.casRequired ? 'true' : 'false'},"dva":${meta.deleteVersionAfter},` +
    `"cm":${JSON.stringify(meta.customMetadata ?? null)},"r":[`;
  let sep = '';
  for (const n in meta.versions) {
    s += `${sep}[${n},${recordTail(meta.versions[n] as VersionRecord)}`;
    sep = ',';
  }
  return Buffer.from(`${s}]}`, 'utf8');
}

/** The stored bytes as a KeyMetadata the caller owns (either format). */
export function decodeMetadata(plain: Buffer): KeyMetadata {
  const raw = JSON.parse(plain.toString('utf8')) as CompactMetadata | KeyMetadata;
  if (!('r' in raw) || !Array.isArray(raw.r)) return raw as KeyMetadata;
  const versions: Record<string, VersionRecord> = {};
  for (const [n, createdTime, deletionTime, destroyed] of raw.r) {
    versions[String(n)] = { createdTime, deletionTime, destroyed: destroyed === 1 };
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
    versions,
  };
}

/**
 * Freeze a KeyMetadata for sharing through the read cache. Records already frozen (copied from
 * an earlier shared value by addVersion) are skipped: nothing below a record needs freezing.
 */
export function freezeMetadata(meta: KeyMetadata): KeyMetadata {
  for (const n in meta.versions) {
    const r = meta.versions[n] as VersionRecord;
    if (Object.isFrozen(r)) continue;
    Object.defineProperty(r, TEXT, { value: recordText(r), enumerable: false });
    Object.freeze(r);
  }
  Object.freeze(meta.versions);
  if (meta.customMetadata !== null && !Object.isFrozen(meta.customMetadata)) Object.freeze(meta.customMetadata);
  return Object.freeze(meta);
}

/** The read cache's decoder for metadata: decoded once per cached entry and shared, frozen. */
export function decodeSharedMetadata(plain: Buffer): KeyMetadata {
  return freezeMetadata(decodeMetadata(plain));
}
