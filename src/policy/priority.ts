/**
 * Vault's priority between non-exact rules that match one path ("Priority matching" in the
 * policies documentation). P1 loses to P2 when, in order:
 *   1. P1's first wildcard (+) or glob (*) occurs earlier;
 *   2. P1 ends in * and P2 does not;
 *   3. P1 has more + segments;
 *   4. P1 is shorter;
 *   5. P1 is smaller lexicographically.
 * Positions and lengths are in UTF-8 bytes and rule 5 compares bytes, as Vault's Go strings do.
 */

export interface WildcardShape {
  /** The pattern without its trailing "*". */
  readonly wcPath: string;
  readonly isPrefix: boolean;
  /** Byte offset of the first "+" (segment patterns) or of the "*" (plain globs). */
  readonly firstWildcard: number;
  /** Number of whole "+" segments. */
  readonly wildcards: number;
  /** Byte length of wcPath. */
  readonly byteLength: number;
}

/** Shape of a pattern as written (leading "/" already removed), for a non-exact pattern. */
export function shapeOf(pattern: string): WildcardShape {
  const isPrefix = pattern.endsWith('*');
  const wcPath = isPrefix ? pattern.slice(0, -1) : pattern;
  const plus = pattern.indexOf('+');
  const firstWildcard = Buffer.byteLength(plus >= 0 ? pattern.slice(0, plus) : wcPath);
  const wildcards = wcPath.split('/').filter((s) => s === '+').length;
  return { wcPath, isPrefix, firstWildcard, wildcards, byteLength: Buffer.byteLength(wcPath) };
}

/** Whether `a` takes priority over `b`. Distinct patterns are totally ordered. */
export function outranks(a: WildcardShape, b: WildcardShape): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard > b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return !a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards < b.wildcards;
  if (a.byteLength !== b.byteLength) return a.byteLength > b.byteLength;
  return Buffer.compare(Buffer.from(a.wcPath), Buffer.from(b.wcPath)) > 0;
}
