/**
 * Sets of UTF-16 code units as sorted, disjoint, inclusive ranges. Path patterns compile to
 * JavaScript regexes without the `u` flag, which match code units, so this is the alphabet the
 * overlap analysis must reason about.
 */

export type CharSet = readonly (readonly [number, number])[];

export const MAX_UNIT = 0xffff;

export function normalize(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function single(ch: string): CharSet {
  const c = ch.charCodeAt(0);
  return [[c, c]];
}

export function union(...sets: CharSet[]): CharSet {
  return normalize(sets.flat());
}

export function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

export function intersect(a: CharSet, b: CharSet): CharSet {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    const lo = Math.max(alo, blo);
    const hi = Math.min(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return out;
}

export function isEmpty(set: CharSet): boolean {
  return set.length === 0;
}

export function contains(set: CharSet, unit: number): boolean {
  return set.some(([lo, hi]) => unit >= lo && unit <= hi);
}

const PREFERRED = 'abcdefghijklmnopqrstuvwxyz0123456789-_.ABCDEFGHIJKLMNOPQRSTUVWXYZ/';

/** A readable member of a non-empty set, for example paths. */
export function pick(set: CharSet): string {
  for (const ch of PREFERRED) if (contains(set, ch.charCodeAt(0))) return ch;
  for (const [lo, hi] of set) {
    for (let c = lo; c <= hi && c < lo + 64; c++) {
      if (c < 0xd800 || c > 0xdfff) return String.fromCharCode(c);
    }
  }
  return String.fromCharCode(set[0]![0]);
}

export const DIGIT: CharSet = [[0x30, 0x39]];
export const WORD: CharSet = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
export const SPACE: CharSet = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
/** JavaScript's `.` without the s flag: anything but line terminators. */
export const DOT: CharSet = complement(normalize([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]));
