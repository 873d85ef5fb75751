/**
 * Performance paths filters (`sys/replication/performance/primary/paths-filter/:id`): per
 * secondary, a list of mount paths in allow or deny mode. This module validates a filter and
 * turns it into the key predicate the WAL server applies (wal-server.ts `keyFilter`): data of a
 * filtered-out mount ("logical/<uuid>/...", "auth/<uuid>/...") is never sent to that secondary.
 * Entity and group aliases of a filtered-out auth mount are held back too. Everything else
 * (mount tables, policies, entities, groups, the keyring) is always sent, so the secondary
 * still knows the mount exists.
 */
import { BadRequestError } from '../errors.js';
import type { MountEntry } from '../router/mount-entry.js';
import { AUTH_PREFIX, IDENTITY_PREFIX, LOGICAL_PREFIX } from '../storage/keys.js';

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

/** The accessor an identity alias record names, from the primary's settled identity index. */
export interface AliasAccessors {
  alias(id: string): string | undefined;
  groupAlias(id: string): string | undefined;
}

/**
 * A per-secondary key predicate with what the WAL server needs beyond yes/no: `signature`
 * names the set of filtered-out mounts (a remount can move a mount across the filter, which
 * must resync the secondary), and `undecided()` says whether a put was held back only because
 * its identity record was not in the index yet (the WAL server then resyncs that peer).
 */
export interface PeerKeyFilter {
  (key: string, op?: 'put' | 'delete'): boolean;
  readonly signature: string;
  undecided(): boolean;
}

const ALIAS_PREFIX = `${IDENTITY_PREFIX}alias/`;
const GROUP_ALIAS_PREFIX = `${IDENTITY_PREFIX}group-alias/`;

/**
 * The predicate "may this storage key go to the secondary": mounts are resolved from the
 * current tables on each build, so a mount enabled after the filter is covered too. Entity
 * and group aliases follow their auth mount (named by accessor): an alias is login data of
 * that mount (the user name, metadata). An alias the index does not know yet is held back
 * (fail closed); deletes always pass (a delete carries no data).
 */
export function filterPredicate(
  filter: PathsFilter,
  secretMounts: readonly MountEntry[],
  authMounts: readonly MountEntry[],
  aliases?: AliasAccessors,
): PeerKeyFilter {
  const allowed = (mountPath: string): boolean => (filter.mode === 'allow' ? named(filter, mountPath) : !named(filter, mountPath));
  const byPrefix = new Map<string, boolean>();
  const denied: string[] = [];
  const note = (prefix: string, mountPath: string): void => {
    const ok = allowed(mountPath);
    byPrefix.set(prefix, ok);
    if (!ok) denied.push(prefix);
  };
  for (const m of secretMounts) note(`${LOGICAL_PREFIX}${m.uuid}/`, m.path);
  const byAccessor = new Map<string, boolean>();
  for (const m of authMounts) {
    note(`${AUTH_PREFIX}${m.uuid}/`, `auth/${m.path}`);
    byAccessor.set(m.accessor, allowed(`auth/${m.path}`));
  }
  let undecided = false;
  const aliasAllowed = (id: string, lookup: (id: string) => string | undefined, op: 'put' | 'delete' | undefined): boolean => {
    if (op === 'delete') return true;
    const accessor = aliases === undefined ? undefined : lookup(id);
    if (accessor === undefined) {
      if (op === 'put') undecided = true;
      return aliases === undefined;
    }
    // An accessor of no auth mount (removed since) names no filtered data.
    return byAccessor.get(accessor) ?? true;
  };
  const predicate = (key: string, op?: 'put' | 'delete'): boolean => {
    if (key.startsWith(ALIAS_PREFIX)) return aliasAllowed(key.slice(ALIAS_PREFIX.length), (id) => aliases?.alias(id), op);
    if (key.startsWith(GROUP_ALIAS_PREFIX)) return aliasAllowed(key.slice(GROUP_ALIAS_PREFIX.length), (id) => aliases?.groupAlias(id), op);
    const root = key.startsWith(LOGICAL_PREFIX) ? LOGICAL_PREFIX : key.startsWith(AUTH_PREFIX) ? AUTH_PREFIX : undefined;
    if (root === undefined) return true;
    const slash = key.indexOf('/', root.length);
    if (slash === -1) return true;
    // Data of a mount not in the tables (being created or removed) is classified local, so never in the WAL.
    return byPrefix.get(key.slice(0, slash + 1)) ?? true;
  };
  return Object.assign(predicate, { signature: `${filter.mode}:${denied.sort().join(',')}`, undecided: () => undecided });
}

/** What a primary needs to build a peer's predicate: its mount tables and identity index. */
export interface FilterSources {
  readonly mounts: { list(): readonly MountEntry[] };
  readonly authMounts: { list(): readonly MountEntry[] };
  readonly identity: { readonly index: { readonly aliases: ReadonlyMap<string, { readonly mountAccessor: string }>; readonly groupAliases: ReadonlyMap<string, { readonly mountAccessor: string }> } };
}

/** The WAL server's predicate for one secondary's filter, over the node's current tables. */
export function peerKeyFilter(core: FilterSources, filter: PathsFilter): PeerKeyFilter {
  const index = core.identity.index;
  return filterPredicate(filter, core.mounts.list(), core.authMounts.list(), {
    alias: (id) => index.aliases.get(id)?.mountAccessor,
    groupAlias: (id) => index.groupAliases.get(id)?.mountAccessor,
  });
}
