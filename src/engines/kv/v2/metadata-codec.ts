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

/** A number as JSON; the fields are integers the engine computed, but never write invalid JSON. */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : '0';
}

export function encodeMetadata(meta: KeyMetadata): Buffer {
  let s =
    `{"c":${num(meta.createdTime)},"u":${num(meta.updatedTime)},"cur":${num(meta.currentVersion)},` +
    `"old":${num(meta.oldestVersion)},"max":${num(meta.maxVersions)},"cas":${meta.casRequired ? 'true' : 'false'},` +
    `"dva":${num(meta.deleteVersionAfter)},"cm":${JSON.stringify(meta.customMetadata ?? null)},"r":[`;
  let sep = '';
  for (const n in meta.versions) {
    const r = meta.versions[n] as VersionRecord;
    s += `${sep}[${num(Number(n))},${num(r.createdTime)},${r.deletionTime === null ? 'null' : num(r.deletionTime)},${r.destroyed ? 1 : 0}]`;
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
    if (!Object.isFrozen(r)) Object.freeze(r);
  }
  Object.freeze(meta.versions);
  if (meta.customMetadata !== null && !Object.isFrozen(meta.customMetadata)) Object.freeze(meta.customMetadata);
  return Object.freeze(meta);
}

/** The read cache's decoder for metadata: decoded once per cached entry and shared, frozen. */
export function decodeSharedMetadata(plain: Buffer): KeyMetadata {
  return freezeMetadata(decodeMetadata(plain));
}
