/**
 * The compiled lookup structure of an ACL. Patterns are sorted once into three kinds:
 *  - exact paths: one Map lookup;
 *  - plain globs (`secret/foo*`, no "+"): a Map keyed by the prefix, probed only at the
 *    prefix lengths that exist, longest first, so the longest matching prefix is found in
 *    at most (distinct prefix lengths) lookups;
 *  - patterns containing "+": a trie over path segments ("+" is one more edge), walked
 *    once per request; each trie node is visited at most once.
 * A request never scans the rule list.
 */
import type { Permissions } from './permissions.js';
import { outranks, shapeOf, type WildcardShape } from './priority.js';

export interface WildcardEntry extends WildcardShape {
  /** The pattern as written. */
  readonly pattern: string;
  readonly perms: Permissions;
}

interface SegmentNode {
  readonly literal: Map<string, SegmentNode>;
  plus: SegmentNode | undefined;
  /** Patterns ending here whose last segment must equal the path's ("+" = any). */
  readonly whole: Map<string, WildcardEntry>;
  /** Glob patterns ending here whose last segment is a prefix of the path's ("+" = any). */
  readonly prefix: { readonly last: string; readonly entry: WildcardEntry }[];
}

function node(): SegmentNode {
  return { literal: new Map(), plus: undefined, whole: new Map(), prefix: [] };
}

export class PathIndex {
  private readonly exact: ReadonlyMap<string, Permissions>;
  private readonly globs: ReadonlyMap<string, WildcardEntry>;
  private readonly globLengths: readonly number[];
  private readonly root: SegmentNode = node();
  private readonly hasSegments: boolean;

  /** `patterns`: every distinct pattern (as written) with its merged permissions. */
  constructor(patterns: ReadonlyMap<string, Permissions>) {
    const exact = new Map<string, Permissions>();
    const globs = new Map<string, WildcardEntry>();
    let segments = 0;
    for (const [pattern, perms] of patterns) {
      if (pattern.includes('+')) {
        this.insertSegmentPattern({ ...shapeOf(pattern), pattern, perms });
        segments++;
      } else if (pattern.endsWith('*')) {
        const entry: WildcardEntry = { ...shapeOf(pattern), pattern, perms };
        globs.set(entry.wcPath, entry);
      } else {
        exact.set(pattern, perms);
      }
    }
    this.exact = exact;
    this.globs = globs;
    this.globLengths = [...new Set([...globs.keys()].map((k) => k.length))].sort((a, b) => b - a);
    this.hasSegments = segments > 0;
  }

  private insertSegmentPattern(entry: WildcardEntry): void {
    const segs = entry.wcPath.split('/');
    let at = this.root;
    for (let i = 0; i < segs.length - 1; i++) {
      const seg = segs[i]!;
      if (seg === '+') {
        at.plus ??= node();
        at = at.plus;
      } else {
        let next = at.literal.get(seg);
        if (next === undefined) {
          next = node();
          at.literal.set(seg, next);
        }
        at = next;
      }
    }
    const last = segs[segs.length - 1]!;
    if (entry.isPrefix) at.prefix.push({ last, entry });
    else at.whole.set(last, entry);
  }

  exactMatch(path: string): Permissions | undefined {
    return this.exact.get(path);
  }

  /** The highest-priority glob or segment-wildcard pattern matching `path`. */
  bestWildcard(path: string): WildcardEntry | undefined {
    let best: WildcardEntry | undefined;
    for (const len of this.globLengths) {
      if (len > path.length) continue;
      const hit = this.globs.get(path.slice(0, len));
      if (hit !== undefined) {
        best = hit;
        break;
      }
    }
    if (!this.hasSegments) return best;
    const segs = path.split('/');
    const consider = (e: WildcardEntry): void => {
      if (best === undefined || outranks(e, best)) best = e;
    };
    const walk = (at: SegmentNode, depth: number): void => {
      const seg = segs[depth]!;
      if (depth === segs.length - 1) {
        const hit = at.whole.get(seg);
        if (hit !== undefined) consider(hit);
        const any = at.whole.get('+');
        if (any !== undefined) consider(any);
      }
      for (const { last, entry } of at.prefix) {
        if (last === '+' || seg.startsWith(last)) consider(entry);
      }
      if (depth + 1 >= segs.length) return;
      const lit = at.literal.get(seg);
      if (lit !== undefined) walk(lit, depth + 1);
      if (at.plus !== undefined) walk(at.plus, depth + 1);
    };
    walk(this.root, 0);
    return best;
  }

  /** Every compiled pattern with its permissions, for resultant-ACL views. */
  *entries(): Generator<{ pattern: string; exact: boolean; perms: Permissions }> {
    for (const [pattern, perms] of this.exact) yield { pattern, exact: true, perms };
    for (const e of this.globs.values()) yield { pattern: e.pattern, exact: false, perms: e.perms };
    const stack: SegmentNode[] = [this.root];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      for (const e of n.whole.values()) yield { pattern: e.pattern, exact: false, perms: e.perms };
      for (const { entry: e } of n.prefix) yield { pattern: e.pattern, exact: false, perms: e.perms };
      stack.push(...n.literal.values());
      if (n.plus !== undefined) stack.push(n.plus);
    }
  }
}
