/** Matching of a backend's special paths: exact, or prefix when the pattern ends with '*'. */
export function matchesAny(patterns: readonly string[] | undefined, path: string): boolean {
  if (patterns === undefined) return false;
  for (const p of patterns) {
    if (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p || path === p + '/') return true;
  }
  return false;
}
