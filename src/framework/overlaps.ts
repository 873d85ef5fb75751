/**
 * Overlap detection for path tables. Two patterns overlap when some request path matches
 * both; Vault resolves that silently by declaration order, Arca refuses it in tests.
 *
 * For each pair, sample paths are generated from the first pattern's automaton restricted to
 * what the second accepts (a breadth-first walk of the product automaton), which is exact for
 * the supported regex dialect; every sample found is then confirmed against both compiled
 * regexes, so a report is never a false positive.
 */
import { commonString, toNfa, type Nfa } from './automaton.js';
import type { PathDef } from './path.js';
import { compilePattern, type CompiledPattern } from './patterns.js';

export interface Overlap {
  readonly a: string;
  readonly b: string;
  /** A path both patterns match. */
  readonly example: string;
}

function overlapOf(a: CompiledPattern & { nfa: Nfa }, b: CompiledPattern & { nfa: Nfa }): Overlap | undefined {
  const example = commonString(a.nfa, b.nfa);
  if (example === undefined) return undefined;
  if (!a.regex.test(example) || !b.regex.test(example)) {
    throw new Error(`overlap analysis disagrees with the regex engine for ${a.source} and ${b.source} on ${JSON.stringify(example)}`);
  }
  return { a: a.source, b: b.source, example };
}

/** Every overlapping pair of patterns in the tables, with a path both match. */
export function findOverlapDetails(paths: readonly Pick<PathDef, 'pattern'>[]): Overlap[] {
  const compiled = paths.map((p) => {
    const c = compilePattern(p.pattern);
    return { ...c, nfa: toNfa(c.ast) };
  });
  const out: Overlap[] = [];
  for (let i = 0; i < compiled.length; i++) {
    for (let j = i + 1; j < compiled.length; j++) {
      const found = overlapOf(compiled[i]!, compiled[j]!);
      if (found !== undefined) out.push(found);
    }
  }
  return out;
}

/** Pairs of overlapping patterns (sources), in table order. */
export function findOverlaps(paths: readonly Pick<PathDef, 'pattern'>[]): [string, string][] {
  return findOverlapDetails(paths).map((o) => [o.a, o.b]);
}
