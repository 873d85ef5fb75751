/**
 * Performance paths filters (`sys/replication/performance/primary/paths-filter/:id`): per
 * secondary, a list of mount paths in allow or deny mode. This module validates a filter and
 * turns it into the key predicate the WAL server applies (wal-server.ts `keyFilter`): data of a
 * filtered-out mount ("logical/<uuid>/...", "auth/<uuid>/...") is never sent to that secondary.
 * Everything that is not mount data (mount tables, policies, identity, the keyring) is always
 * sent, so the secondary still knows the mount exists, as in Vault.
 */
import { BadRequestError } from '../errors.js';
import type { MountEntry } from '../router/mount-entry.js';
import { AUTH_PREFIX, LOGICAL_PREFIX } from '../storage/keys.js';

export interface PathsFilter {
  readonly mode: 'allow' | 'deny';
  /** Mount paths with one trailing slash; auth methods as "auth/<path>/". */
  readonly paths: readonly string[];
}

/** Validate and normalise operator input. */
export function parsePathsFilter(mode: string, paths: readonly string[]): PathsFilter {
  const m = mode === '' ? 'allow' : mode.toLowerCase();
  if (m !== 'allow' && m !== 'deny') throw new BadRequestError(`invalid mode "${mode}": must be "allow" or "deny"`);
  const out: string[] = [];
  for (const raw of paths) {
    const p = raw.trim().replace(/^\/+/, '');
    if (p === '' || p === '/') throw new BadRequestError('paths must not contain an empty path');
    const norm = p.endsWith('/') ? p : `${p}/`;
    if (norm.includes('//')) throw new BadRequestError(`invalid path "${raw}"`);
    if (!out.includes(norm)) out.push(norm);
  }
  return { mode: m, paths: out };
}

/** Whether a mount path is named by the filter (exactly, or below a named prefix). */
function named(filter: PathsFilter, mountPath: string): boolean {
  return filter.paths.some((p) => mountPath === p || mountPath.startsWith(p));
}

/**
 * The predicate "may this storage key go to the secondary": mounts are resolved from the
 * current tables on each build, so a mount enabled after the filter is covered too.
 */
export function filterPredicate(filter: PathsFilter, secretMounts: readonly MountEntry[], authMounts: readonly MountEntry[]): (key: string) => boolean {
  const byPrefix = new Map<string, string>();
  for (const m of secretMounts) byPrefix.set(`${LOGICAL_PREFIX}${m.uuid}/`, m.path);
  for (const m of authMounts) byPrefix.set(`${AUTH_PREFIX}${m.uuid}/`, `auth/${m.path}`);
  return (key: string) => {
    const root = key.startsWith(LOGICAL_PREFIX) ? LOGICAL_PREFIX : key.startsWith(AUTH_PREFIX) ? AUTH_PREFIX : undefined;
    if (root === undefined) return true;
    const slash = key.indexOf('/', root.length);
    if (slash === -1) return true;
    const mountPath = byPrefix.get(key.slice(0, slash + 1));
    // Data of a mount not in the tables (being created or removed) is not shipped at all by the classifier.
    if (mountPath === undefined) return true;
    return filter.mode === 'allow' ? named(filter, mountPath) : !named(filter, mountPath);
  };
}
