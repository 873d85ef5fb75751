/**
 * Walking every key of a physical store by one-level listing, skipping whole folders that can
 * hold no replicated key (the WAL, replication bookkeeping, tokens, leases, ...), so indexing
 * the replicated keyspace does not read the local one.
 */
import type { Physical } from '../storage/physical.js';
import { PREFIXES, REPLICATION_PREFIX, WAL_PREFIX, findPrefix } from '../storage/keys.js';

/** Whether no key below `folder` can be replicated, judging by the declared prefixes alone. */
export function folderIsLocal(folder: string): boolean {
  if (folder === WAL_PREFIX || folder === REPLICATION_PREFIX) return true;
  const covering = findPrefix(folder);
  if (covering === undefined || covering.class !== 'local') return false;
  // A more specific, non-local prefix below it (sys/token/roles/ under sys/token/) keeps it walked.
  return !PREFIXES.some((p) => p.class !== 'local' && p.prefix.startsWith(folder));
}

/** Visit every leaf key below `prefix` in storage order, skipping folders `skip` accepts. */
export async function walkKeys(physical: Physical, prefix: string, skip: (folder: string) => boolean, visit: (key: string) => Promise<void> | void): Promise<void> {
  for (const child of await physical.list(prefix)) {
    const path = prefix + child;
    if (child.endsWith('/')) {
      if (!skip(path)) await walkKeys(physical, path, skip, visit);
    } else {
      await visit(path);
    }
  }
}

/** Visit [key, value] of every replicated key (the Merkle scan). */
export async function scanReplicated(physical: Physical, isReplicated: (key: string) => boolean, visit: (key: string, value: Buffer) => void): Promise<void> {
  await walkKeys(physical, '', folderIsLocal, async (key) => {
    if (!isReplicated(key)) return;
    const value = await physical.get(key);
    if (value !== undefined) visit(key, value);
  });
}
