/**
 * Building blocks for path patterns, and their compilation. Patterns are regex source in the
 * dialect of regex-dialect.ts; the helpers below produce only that dialect, so every pattern
 * built from them can be checked for overlaps exactly.
 */
import { groupNames, parsePattern, type RegexNode } from './regex-dialect.js';

/** A single name segment: word characters at both ends, '.', '-' and '_' inside. */
export function genericName(field: string): string {
  return `(?<${field}>\\w(?:[\\w.-]*\\w)?)`;
}

/** Everything to the end of the path, slashes included, possibly empty. */
export function matchAll(field: string): string {
  return `(?<${field}>.*)`;
}

/** Everything to the end of the path, at least one character. */
export function matchAllNonEmpty(field: string): string {
  return `(?<${field}>.+)`;
}

/** Either nothing, or "/" followed by the rest of the path (captured, possibly empty). */
export function optionalSuffix(field: string): string {
  return `(?:/(?<${field}>.*))?`;
}

export const optionalTrailingSlash = '/?';

/** A literal, with regex metacharacters escaped. */
export function literal(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);
}

export interface CompiledPattern {
  readonly source: string;
  readonly regex: RegExp;
  readonly ast: RegexNode;
  readonly groups: readonly string[];
}

/** Parse (rejecting anything outside the dialect) and compile anchored. */
export function compilePattern(source: string): CompiledPattern {
  const ast = parsePattern(source);
  const groups = groupNames(ast);
  const dup = groups.find((g, i) => groups.indexOf(g) !== i);
  if (dup !== undefined) throw new Error(`pattern ${JSON.stringify(source)} captures ${dup} twice`);
  let body = source;
  if (body.startsWith('^')) body = body.slice(1);
  if (body.endsWith('$') && !body.endsWith('\\$')) body = body.slice(0, -1);
  return { source, regex: new RegExp(`^(?:${body})$`), ast, groups };
}

/** Named captures of a match that participated (an unmatched optional group is absent). */
export function capturesOf(match: RegExpExecArray): Record<string, string> {
  const out: Record<string, string> = {};
  const groups = match.groups;
  if (groups === undefined) return out;
  // for-in over the groups object: no entries array per request (every request is routed).
  for (const name in groups) {
    const value = groups[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
