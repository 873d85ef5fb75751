/**
 * Vault's response shapes for identity objects. Go renders empty maps and nil slices as
 * null, so empty metadata is null, as are merged ids and a group's member/parent group ids
 * when there are none; the lists Vault always allocates are [] when empty.
 */
import { formatTime } from '../framework/index.js';
import type { IdentityStore } from './identity-store.js';
import { ROOT_NAMESPACE_ID, type EntityAliasRecord, type EntityRecord, type GroupAliasRecord, type GroupRecord } from './types.js';

function mapOrNull(m: Readonly<Record<string, string>>): Record<string, string> | null {
  return Object.keys(m).length === 0 ? null : { ...m };
}

function listOrNull(l: readonly string[]): string[] | null {
  return l.length === 0 ? null : [...l];
}

/** mount_path and mount_type when the alias's mount still exists. */
function mountFields(store: IdentityStore, accessor: string): Record<string, string> {
  const m = store.mount(accessor);
  return m === undefined ? {} : { mount_path: m.path, mount_type: m.type };
}

export function renderEntityAlias(store: IdentityStore, a: EntityAliasRecord): Record<string, unknown> {
  return {
    id: a.id,
    canonical_id: a.canonicalId,
    mount_accessor: a.mountAccessor,
    name: a.name,
    metadata: mapOrNull(a.metadata),
    custom_metadata: mapOrNull(a.customMetadata),
    merged_from_canonical_ids: listOrNull(a.mergedFromCanonicalIds),
    namespace_id: ROOT_NAMESPACE_ID,
    local: a.local,
    creation_time: formatTime(a.creationTime),
    last_update_time: formatTime(a.lastUpdateTime),
    ...mountFields(store, a.mountAccessor),
  };
}

export function renderEntity(store: IdentityStore, e: EntityRecord): Record<string, unknown> {
  const direct = store.index.directGroupIdsOf(e.id);
  const inherited = store.index.ancestorsOf(direct).filter((id) => !direct.includes(id));
  return {
    id: e.id,
    name: e.name,
    metadata: mapOrNull(e.metadata),
    policies: [...e.policies],
    disabled: e.disabled,
    namespace_id: ROOT_NAMESPACE_ID,
    creation_time: formatTime(e.creationTime),
    last_update_time: formatTime(e.lastUpdateTime),
    merged_entity_ids: listOrNull(e.mergedEntityIds),
    aliases: store.index.aliasesOf(e.id).map((a) => {
      const out = renderEntityAlias(store, a);
      delete out['namespace_id'];
      return out;
    }),
    direct_group_ids: direct,
    inherited_group_ids: inherited,
    group_ids: [...direct, ...inherited],
  };
}

export function renderGroupAlias(store: IdentityStore, a: GroupAliasRecord): Record<string, unknown> {
  return {
    id: a.id,
    canonical_id: a.canonicalId,
    mount_accessor: a.mountAccessor,
    name: a.name,
    metadata: null,
    merged_from_canonical_ids: listOrNull(a.mergedFromCanonicalIds),
    namespace_id: ROOT_NAMESPACE_ID,
    creation_time: formatTime(a.creationTime),
    last_update_time: formatTime(a.lastUpdateTime),
    ...mountFields(store, a.mountAccessor),
  };
}

export function renderGroup(store: IdentityStore, g: GroupRecord): Record<string, unknown> {
  const alias = store.index.groupAliasOf(g.id);
  let aliasOut: Record<string, unknown> = {};
  if (alias !== undefined) {
    aliasOut = renderGroupAlias(store, alias);
    delete aliasOut['namespace_id'];
  }
  return {
    id: g.id,
    name: g.name,
    type: g.type,
    metadata: mapOrNull(g.metadata),
    policies: [...g.policies],
    member_entity_ids: [...g.memberEntityIds],
    member_group_ids: listOrNull(g.memberGroupIds),
    parent_group_ids: listOrNull(store.index.parentGroupIdsOf(g.id)),
    alias: aliasOut,
    namespace_id: ROOT_NAMESPACE_ID,
    creation_time: formatTime(g.creationTime),
    last_update_time: formatTime(g.lastUpdateTime),
    modify_index: g.modifyIndex,
  };
}

/** A LIST answer; Vault answers an empty list with 404, so no keys means no response. */
export function listResponse(keys: string[], keyInfo?: Record<string, unknown>): { data: Record<string, unknown> } | undefined {
  if (keys.length === 0) return undefined;
  return { data: keyInfo === undefined ? { keys } : { keys, key_info: keyInfo } };
}

/** Own-property assignment so an id never collides with Object.prototype names. */
export function defineKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
