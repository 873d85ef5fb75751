/**
 * Where identity records live in (barrier) storage. Entities, groups, group aliases and the
 * aliases of replicated auth mounts are under IDENTITY_PREFIX (replicated); aliases of local
 * auth mounts are under LOCAL_IDENTITY_PREFIX (local). Written only by the IdentityStore; read
 * by it at unseal and by `invalidate` when replication changes a key.
 */
import { IDENTITY_PREFIX, LOCAL_IDENTITY_PREFIX } from '../storage/keys.js';

export type RecordKind = 'entity' | 'alias' | 'group' | 'group-alias';

const FOLDERS: Readonly<Record<RecordKind, string>> = {
  entity: 'entity/',
  alias: 'alias/',
  group: 'group/',
  'group-alias': 'group-alias/',
};

/** The storage key of one record; only entity aliases may be local. */
export function recordKey(kind: RecordKind, id: string, local = false): string {
  if (id === '' || id.includes('/')) throw new Error(`invalid identity record id ${JSON.stringify(id)}`);
  return (local && kind === 'alias' ? LOCAL_IDENTITY_PREFIX : IDENTITY_PREFIX) + FOLDERS[kind] + id;
}

/** Folders to scan at unseal: [prefix + folder, kind]. */
export function recordFolders(): readonly (readonly [string, RecordKind])[] {
  const out: (readonly [string, RecordKind])[] = [];
  for (const [kind, folder] of Object.entries(FOLDERS) as [RecordKind, string][]) out.push([IDENTITY_PREFIX + folder, kind]);
  out.push([LOCAL_IDENTITY_PREFIX + FOLDERS.alias, 'alias']);
  return out;
}

/** The kind and id a storage key holds, or undefined when it is no identity record. */
export function parseRecordKey(key: string): { kind: RecordKind; id: string } | undefined {
  for (const [folder, kind] of recordFolders()) {
    if (key.startsWith(folder)) {
      const id = key.slice(folder.length);
      return id === '' || id.includes('/') ? undefined : { kind, id };
    }
  }
  return undefined;
}
