/**
 * Entity writes: create/update (by id, by name, or implicitly by name on identity/entity),
 * delete (with the entity's aliases and group memberships), and merge. Vault's messages; a
 * rejected request changes nothing.
 */
import { BadRequestError } from '../errors.js';
import type { ChangeSet } from './change-set.js';
import type { IdentityStore } from './identity-store.js';
import type { EntityRecord } from './types.js';

export interface EntityInput {
  /** Each field is absent when the caller did not send it. */
  readonly name?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly policies?: readonly string[];
  readonly disabled?: boolean;
}

export interface UpsertResult<R> {
  readonly record: R;
  readonly created: boolean;
}

/** Vault's RemoveDuplicates: trimmed, no empties, unique, sorted. */
export function cleanList(items: readonly string[]): string[] {
  return [...new Set(items.map((s) => s.trim()).filter((s) => s !== ''))].sort();
}

/** Entity and group policies: cleaned; `root` is refused (it would make every token root). */
export function policiesOf(items: readonly string[]): string[] {
  const out = cleanList(items);
  if (out.some((p) => p.toLowerCase() === 'root')) throw new BadRequestError('policies cannot contain root');
  return out;
}

/**
 * Create or update an entity. `targetId` names the entity to update (undefined = create,
 * unless `name` is taken by an existing entity, which is then updated, as Vault does).
 */
export function upsertEntity(store: IdentityStore, targetId: string | undefined, input: EntityInput): Promise<UpsertResult<EntityRecord>> {
  return store.write((cs) => {
    let current = targetId === undefined ? undefined : cs.entity(targetId);
    if (targetId !== undefined && current === undefined) throw new BadRequestError('entity not found from id');
    if (input.name !== undefined && input.name !== '') {
      const byName = store.index.entityByName(input.name);
      if (byName !== undefined) {
        if (current === undefined) current = byName;
        else if (byName.id !== current.id) throw new BadRequestError('entity name is already in use');
      }
    }
    const now = store.clock.now();
    const name =
      input.name !== undefined && input.name !== ''
        ? input.name
        : (current?.name ?? store.generateName('entity', (n) => store.index.entityByName(n) !== undefined));
    const record: EntityRecord = {
      id: current?.id ?? store.newId(),
      name,
      metadata: input.metadata !== undefined ? { ...input.metadata } : (current?.metadata ?? {}),
      policies: input.policies !== undefined ? policiesOf(input.policies) : (current?.policies ?? []),
      disabled: input.disabled ?? current?.disabled ?? false,
      mergedEntityIds: current?.mergedEntityIds ?? [],
      creationTime: current?.creationTime ?? now,
      lastUpdateTime: now,
    };
    cs.putEntity(record);
    return { record, created: current === undefined };
  });
}

/** Remove an entity, its aliases and its group memberships (inside an operation). */
export function removeEntity(store: IdentityStore, cs: ChangeSet, entityId: string): void {
  if (cs.entity(entityId) === undefined) return;
  for (const alias of store.index.aliasesOf(entityId)) {
    const pending = cs.alias(alias.id);
    if (pending !== undefined && pending.canonicalId === entityId) cs.deleteAlias(pending);
  }
  for (const groupId of store.index.directGroupIdsOf(entityId)) {
    const g = cs.group(groupId);
    if (g === undefined) continue;
    cs.putGroup({ ...g, memberEntityIds: g.memberEntityIds.filter((id) => id !== entityId), lastUpdateTime: store.clock.now(), modifyIndex: g.modifyIndex + 1 });
  }
  cs.deleteEntity(entityId);
}

/** Delete entities; unknown ids are ignored (deletes are idempotent). */
export function deleteEntities(store: IdentityStore, ids: readonly string[]): Promise<void> {
  return store.write((cs) => {
    for (const id of ids) removeEntity(store, cs, id);
  });
}

export interface MergeInput {
  readonly fromEntityIds: readonly string[];
  readonly toEntityId: string;
  readonly conflictingAliasIdsToKeep: readonly string[];
}

/**
 * Merge entities into `toEntityId`: their aliases move over (one alias per mount: a clash
 * needs `conflicting_alias_ids_to_keep` naming the survivor), their group memberships are
 * transferred, and their ids are remembered so tokens naming them resolve to the target.
 */
export function mergeEntities(store: IdentityStore, input: MergeInput): Promise<void> {
  return store.write((cs) => {
    if (input.toEntityId === '') throw new BadRequestError('missing entity id to merge to');
    const fromIds = cleanList(input.fromEntityIds);
    if (fromIds.length === 0) throw new BadRequestError('missing entity ids to merge from');
    const keep = new Set(input.conflictingAliasIdsToKeep);
    if (keep.size > 0 && fromIds.length > 1) throw new BadRequestError('conflicting_alias_ids_to_keep can only be used with a single from_entity_id');
    let to = cs.entity(input.toEntityId);
    if (to === undefined) throw new BadRequestError('entity id to merge to is invalid');
    const now = store.clock.now();
    // The target's aliases as the merge goes: moved ones join, replaced ones leave.
    let toAliases = store.index.aliasesOf(to.id);

    for (const fromId of fromIds) {
      if (fromId === to.id) throw new BadRequestError('to_entity_id should not be present in from_entity_ids');
      const from = cs.entity(fromId);
      if (from === undefined) throw new BadRequestError('entity id to merge from is invalid');

      for (const fromAlias of store.index.aliasesOf(from.id)) {
        const clash = toAliases.find((a) => a.mountAccessor === fromAlias.mountAccessor);
        if (clash !== undefined) {
          if (keep.has(clash.id)) {
            cs.deleteAlias(fromAlias);
            continue;
          }
          if (!keep.has(fromAlias.id)) {
            throw new BadRequestError(
              `conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: ${fromAlias.id}, ${clash.id}`,
            );
          }
          cs.deleteAlias(clash);
          toAliases = toAliases.filter((a) => a.id !== clash.id);
        }
        const moved = {
          ...fromAlias,
          canonicalId: to.id,
          mergedFromCanonicalIds: [...fromAlias.mergedFromCanonicalIds, from.id],
          lastUpdateTime: now,
        };
        cs.putAlias(moved);
        toAliases.push(moved);
      }

      for (const groupId of store.index.directGroupIdsOf(from.id)) {
        const g = cs.group(groupId);
        if (g === undefined) continue;
        const members = g.memberEntityIds.filter((id) => id !== from.id);
        if (!members.includes(to.id)) members.push(to.id);
        cs.putGroup({ ...g, memberEntityIds: members.sort(), lastUpdateTime: now, modifyIndex: g.modifyIndex + 1 });
      }

      to = { ...to, mergedEntityIds: [...new Set([...to.mergedEntityIds, ...from.mergedEntityIds, from.id])], lastUpdateTime: now };
      cs.deleteEntity(from.id);
    }
    cs.putEntity(to);
  });
}
