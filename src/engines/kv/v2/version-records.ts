/**
 * A secret's version records, held as the one text the metadata codec stores them in
 * (`[[n,created,deletion|null,0|1],...]`, ascending versions) plus the newest record parsed.
 *
 * Why a text and not an array of records: every KV v2 write carries all live records (up to
 * max_versions, 10 by default) into the new metadata, and the read cache keeps that metadata
 * for every written secret. As objects, ten records were thirty heap objects per secret (the
 * record, its boxed creation time, its stored text): under a steady write load to 10,000
 * secrets, 300,000 objects and ~12 MB of a 40 MB live heap, which every mark-compact walks.
 * As one flat string they are one object the collector marks without looking inside. A write
 * still does not parse them: it finds the versions to prune by reading the leading version
 * numbers, and joins the kept text with the new record's.
 *
 * Instances are immutable (frozen) and shared through the read cache; changes make new ones.
 * The text is always built by JSON.stringify or Array.prototype.join, which make flat strings:
 * slices and `+` would keep trees or parents of strings alive for as long as the secret is cached.
 */

/**
 * One version's record. Immutable: made only by `versionRecord`; a change
 * (delete, undelete, destroy) makes a new record.
 */
export interface VersionRecord {
  readonly version: number;
  /** Milliseconds since the epoch. */
  readonly createdTime: number;
  /** When the version is (or was) soft-deleted; a future time schedules deletion. */
  readonly deletionTime: number | null;
  readonly destroyed: boolean;
}

/** One record as stored: [version, created, deletion or null, destroyed 0/1]. */
export type CompactRecord = [number, number, number | null, 0 | 1];

/** The one way to make a VersionRecord: frozen (records are shared and never change). */
export function versionRecord(version: number, createdTime: number, deletionTime: number | null, destroyed: boolean): VersionRecord {
  return Object.freeze({ version, createdTime, deletionTime, destroyed });
}

function compact(r: VersionRecord): CompactRecord {
  return [r.version, r.createdTime, r.deletionTime, r.destroyed ? 1 : 0];
}

function fromCompact(c: CompactRecord): VersionRecord {
  return versionRecord(c[0], c[1], c[2], c[3] === 1);
}

const OPEN = 0x5b; // [
const ZERO = 0x30;
const NINE = 0x39;

export class VersionRecords {
  static readonly EMPTY = new VersionRecords('[]', 0, undefined);

  private constructor(
    /** The stored form: a JSON array of compact records in ascending version order. */
    readonly json: string,
    readonly count: number,
    /** The record of the highest version (what reads of the current version need). */
    readonly newest: VersionRecord | undefined,
  ) {
    Object.freeze(this);
  }

  /** Records in any order (each version once). */
  static of(records: readonly VersionRecord[]): VersionRecords {
    if (records.length === 0) return VersionRecords.EMPTY;
    const sorted = [...records].sort((a, b) => a.version - b.version);
    return new VersionRecords(JSON.stringify(sorted.map(compact)), sorted.length, sorted[sorted.length - 1]);
  }

  /** From the codec's parsed form (trusted: it came through the barrier's authenticated encryption). */
  static fromStored(stored: CompactRecord[]): VersionRecords {
    if (stored.length === 0) return VersionRecords.EMPTY;
    for (let i = 1; i < stored.length; i++) {
      if ((stored[i - 1] as CompactRecord)[0] >= (stored[i] as CompactRecord)[0]) return VersionRecords.of(stored.map(fromCompact));
    }
    return new VersionRecords(JSON.stringify(stored), stored.length, fromCompact(stored[stored.length - 1] as CompactRecord));
  }

  /** Every record, ascending (parsed now: for the paths that list or change old versions). */
  list(): VersionRecord[] {
    if (this.count === 0) return [];
    return (JSON.parse(this.json) as CompactRecord[]).map(fromCompact);
  }

  /** The record of `version`, if it is live. */
  find(version: number): VersionRecord | undefined {
    if (this.newest === undefined) return undefined;
    if (this.newest.version === version) return this.newest;
    if (version > this.newest.version) return undefined;
    return this.list().find((r) => r.version === version);
  }

  /**
   * These records plus `record` (a version above every one of them), without those whose
   * version is `<= cutoff`, and the versions so dropped. Only the leading version numbers
   * are read: records are ascending, so the dropped ones are a prefix.
   */
  add(record: VersionRecord, cutoff: number): { records: VersionRecords; pruned: number[] } {
    const text = JSON.stringify(compact(record));
    const json = this.json;
    const pruned: number[] = [];
    // Each record starts at a '[' directly after the outer one or after "],".
    let at = 1;
    while (at < json.length - 1) {
      if (json.charCodeAt(at) !== OPEN) throw new Error('version records: malformed text');
      let version = 0;
      for (let i = at + 1; i < json.length; i++) {
        const c = json.charCodeAt(i);
        if (c < ZERO || c > NINE) break;
        version = version * 10 + (c - ZERO);
      }
      if (version > cutoff) break;
      pruned.push(version);
      const end = json.indexOf(']', at);
      if (end === -1) throw new Error('version records: malformed text');
      at = end + 2;
    }
    const kept = this.count - pruned.length;
    if (kept > 0 && json.charCodeAt(at) !== OPEN) throw new Error('version records: malformed text');
    const next = kept === 0 ? ['[', text, ']'].join('') : ['[', json.slice(at, json.length - 1), ',', text, ']'].join('');
    return { records: new VersionRecords(next, kept + 1, record), pruned };
  }

  /** These records with some replaced (same versions; versions not present are ignored). */
  replace(changed: ReadonlyMap<number, VersionRecord>): VersionRecords {
    return VersionRecords.of(this.list().map((r) => changed.get(r.version) ?? r));
  }
}
