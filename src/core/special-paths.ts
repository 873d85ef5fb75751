/**
 * Matching of a backend's special paths, as Vault writes them: exact, prefix when the pattern
 * ends with '*', and '+' for exactly one path segment (e.g. "oidc/provider/+/token").
 */
export function matchesAny(patterns: readonly string[] | undefined, path: string): boolean {
  if (patterns === undefined) return false;
  for (const p of patterns) {
    if (p.includes('+') ? segmentsMatch(p, path) : p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p || path === p + '/') return true;
  }
  return false;
}

function segmentsMatch(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const got = path.split('/');
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i];
    if (g === undefined) return false;
    if (i === want.length - 1 && w.endsWith('*')) return g.startsWith(w.slice(0, -1));
    if (w === '+' ? g === '' : w !== g) return false;
  }
  // As for exact patterns, a trailing '/' on the path is the same path.
  return got.length === want.length || (got.length === want.length + 1 && got[want.length] === '');
}
