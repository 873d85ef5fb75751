/**
 * One-level listing over an ordered key space, shared by every backend that stores full keys.
 *
 * Keys are ordered by Unicode code point, which is the byte order of their UTF-8 form: the order
 * SQLite's BINARY collation and PostgreSQL's "C" collation already give, and the order Vault's Go
 * code sorts in. A backend only has to provide a lazy ordered scan; the walk below asks for one
 * key per child folder and then seeks past that folder's contents, so listing a level costs
 * O(children) seeks however many keys lie deeper.
 */

import { InvalidKeyError, checkKey } from './physical.js';

/**
 * Keys in code point order from `from` (inclusive or exclusive) up to, not including, `below`
 * (undefined: no upper bound). Must be lazy: the walk stops reading after the first key of a
 * folder.
 */
export type KeyScan = (from: string, inclusive: boolean, below: string | undefined) => Iterable<string>;

/** Compare two keys by code point (UTF-8 byte order), not by UTF-16 code unit as `<` does. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// UTF-16 sorts surrogates (code points above U+FFFF) below U+E000..U+FFFF; code point order puts
// them above. Lifting surrogates over that block fixes the order for well-formed strings.
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/**
 * The first string after every key that starts with `folder` (which ends with "/"):
 * '0' is the character right after '/', so "a/" + anything < "a0".
 */
export function folderEnd(folder: string): string {
  return folder.slice(0, -1) + '0';
}

/** A list prefix is '' (the root) or a valid key ending with '/'. */
export function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) throw new InvalidKeyError('list prefix must be empty or end with "/"');
  checkKey(prefix);
}

/** `limit` <= 0 means no limit, as in OpenBao's ListPage. */
export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit)) throw new RangeError('list limit must be an integer');
  return limit > 0 ? limit : Number.POSITIVE_INFINITY;
}

/**
 * Direct children of `prefix` strictly after `after` ('' = from the start), at most `limit`
 * (positive, or Infinity), in code point order. Folders appear once, as "name/". Callers
 * validate the arguments.
 */
export function listOneLevel(scan: KeyScan, prefix: string, after: string, limit: number): string[] {
  const below = prefix === '' ? undefined : folderEnd(prefix);
  let from = prefix;
  let inclusive = true;
  if (after !== '') {
    // After a folder, skip its whole subtree; after a leaf, start just past the leaf's key.
    inclusive = after.endsWith('/');
    from = prefix + (inclusive ? folderEnd(after) : after);
  }
  const out: string[] = [];
  // Every pass either reaches the end of the range or ends at a folder and seeks strictly past
  // it, so the number of passes is bounded by the number of folders under prefix.
  for (;;) {
    let nextFrom: string | undefined;
    for (const key of scan(from, inclusive, below)) {
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) {
        out.push(rest);
        if (out.length >= limit) return out;
        continue;
      }
      const folder = rest.slice(0, slash + 1);
      // Only an `after` with an inner '/' (not a real entry name) can precede its own folder.
      if (after === '' || compareKeys(folder, after) > 0) {
        out.push(folder);
        if (out.length >= limit) return out;
      }
      nextFrom = prefix + folderEnd(folder);
      break;
    }
    if (nextFrom === undefined) return out;
    from = nextFrom;
    inclusive = true;
  }
}

/**
 * One level of an unordered set of full keys, for small in-memory stores (test doubles):
 * the same walk and order as the real backends.
 */
export function oneLevelOf(keys: Iterable<string>, prefix: string): string[] {
  const sorted = [...keys].filter((k) => k.startsWith(prefix)).sort(compareKeys);
  const scan: KeyScan = function* (from, inclusive, below) {
    for (const k of sorted) {
      const c = compareKeys(k, from);
      if (c < 0 || (c === 0 && !inclusive)) continue;
      if (below !== undefined && compareKeys(k, below) >= 0) return;
      yield k;
    }
  };
  return listOneLevel(scan, prefix, '', Number.POSITIVE_INFINITY);
}
