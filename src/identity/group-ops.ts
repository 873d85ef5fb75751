/**
 * Group and group-alias writes. Internal groups list member entities and member groups (a
 * member group's entities inherit this group's policies); external groups get their members
 * from an auth method through a group alias. Member groups may not form a cycle.
 */
import { BadRequestError } from '../errors.js';
import { cleanList, policiesOf, type UpsertResult } from './entity-ops.js';
import type { IdentityStore } from './identity-store.js';
import type { GroupAliasRecord, GroupRecord, GroupType } from './types.js';

/** Vault's limit on member_entity_ids of one group. */
const MAX_MEMBER_ENTITIES = 512;

export interface GroupInput {
  /** Each field is absent when the caller did not send it. */
  readonly name?: string;
  readonly type?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly policies?: readonly string[];
  readonly memberEntityIds?: readonly string[];
  readonly memberGroupIds?: readonly string[];
}

/** Whether `target` is reachable from `start` downwards through member_group_ids. */
function reaches(start: string, target: string, children: (id: string) => readonly string[]): boolean {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...children(id));
  }
  return false;
}

/**
 * Create or update a group. `targetId` names the group to update (undefined = create, unless
 * `name` is taken, in which case that group is updated, as Vault does).
 */
export function upsertGroup(store: IdentityStore, targetId: string | undefined, input: GroupInput): Promise<UpsertResult<GroupRecord>> {
  return store.write((cs) => {
    let current = targetId === undefined ? undefined : cs.group(targetId);
    if (targetId !== undefined && current === undefined) throw new BadRequestError('invalid group ID');
    if (input.name !== undefined && input.name !== '') {
      const byName = store.index.groupByName(input.name);
      if (byName !== undefined) {
        if (current === undefined) current = cs.group(byName.id);
        else if (byName.id !== current.id) throw new BadRequestError('group name is already in use');
      }
    }
    let type: string = current?.type ?? 'internal';
    if (input.type !== undefined && input.type !== '') {
      if (current !== undefined && input.type !== current.type) throw new BadRequestError('group type cannot be changed');
      type = input.type;
    }
    if (type !== 'internal' && type !== 'external') throw new BadRequestError(`invalid group type ${JSON.stringify(type)}`);

    const id = current?.id ?? store.newId();
    let memberEntityIds = current?.memberEntityIds ?? [];
    if (input.memberEntityIds !== undefined) {
      if (type === 'external') throw new BadRequestError("member entities can't be set manually for external groups");
      memberEntityIds = cleanList(input.memberEntityIds);
      if (memberEntityIds.length > MAX_MEMBER_ENTITIES) throw new BadRequestError(`member entity IDs exceeding the limit of ${MAX_MEMBER_ENTITIES}`);
      for (const e of memberEntityIds) if (cs.entity(e) === undefined) throw new BadRequestError(`invalid entity ID ${JSON.stringify(e)}`);
    }
    let memberGroupIds = current?.memberGroupIds ?? [];
    if (input.memberGroupIds !== undefined) {
      if (type === 'external') throw new BadRequestError("member groups can't be set for external groups");
      memberGroupIds = cleanList(input.memberGroupIds);
      for (const m of memberGroupIds) {
        if (m === id) throw new BadRequestError(`member group ID ${JSON.stringify(m)} is same as the ID of the group`);
        if (cs.group(m) === undefined) throw new BadRequestError(`invalid member group ID ${JSON.stringify(m)}`);
      }
      // With the new members in place, no member may lead back to this group.
      const children = (g: string): readonly string[] => (g === id ? memberGroupIds : (cs.group(g)?.memberGroupIds ?? []));
      for (const m of memberGroupIds) {
        if (reaches(m, id, children)) throw new BadRequestError(`cyclic relationship detected for member group ID ${JSON.stringify(m)}`);
      }
    }

    const now = store.clock.now();
    const record: GroupRecord = {
      id,
      name:
        input.name !== undefined && input.name !== ''
          ? input.name
          : (current?.name ?? store.generateName('group', (n) => store.index.groupByName(n) !== undefined)),
      type: type as GroupType,
      metadata: input.metadata !== undefined ? { ...input.metadata } : (current?.metadata ?? {}),
      policies: input.policies !== undefined ? policiesOf(input.policies) : (current?.policies ?? []),
      memberEntityIds,
      memberGroupIds,
      creationTime: current?.creationTime ?? now,
      lastUpdateTime: now,
      modifyIndex: (current?.modifyIndex ?? 0) + 1,
    };
    cs.putGroup(record);
    return { record, created: current === undefined };
  });
}

/** Delete a group: parents forget it, its alias goes with it. Unknown ids are ignored. */
export function deleteGroup(store: IdentityStore, id: string): Promise<void> {
  return store.write((cs) => {
    if (cs.group(id) === undefined) return;
    const now = store.clock.now();
    for (const parentId of store.index.parentGroupIdsOf(id)) {
      const p = cs.group(parentId);
      if (p === undefined) continue;
      cs.putGroup({ ...p, memberGroupIds: p.memberGroupIds.filter((m) => m !== id), lastUpdateTime: now, modifyIndex: p.modifyIndex + 1 });
    }
    const alias = store.index.groupAliasOf(id);
    if (alias !== undefined) cs.deleteGroupAlias(alias.id);
    cs.deleteGroup(id);
  });
}

export interface GroupAliasInput {
  readonly name?: string;
  readonly mountAccessor?: string;
  readonly canonicalId?: string;
}

/**
 * Create (no `id`) or update a group alias. Without a canonical_id a new external group is
 * created for it, as Vault does. Group aliases of local mounts are refused.
 */
export function writeGroupAlias(store: IdentityStore, id: string | undefined, input: GroupAliasInput): Promise<{ id: string; canonicalId: string }> {
  return store.write((cs) => {
    const current = id === undefined ? undefined : store.index.groupAliases.get(id);
    if (id !== undefined && current === undefined) throw new BadRequestError('invalid group alias ID');
    const name = input.name || current?.name || '';
    const accessor = input.mountAccessor || current?.mountAccessor || '';
    if (name === '') throw new BadRequestError('missing alias name');
    if (accessor === '') throw new BadRequestError('missing mount_accessor');
    const mount = store.mount(accessor);
    if (mount === undefined) throw new BadRequestError(`invalid mount accessor ${JSON.stringify(accessor)}`);
    if (mount.local) throw new BadRequestError(`mount accessor ${JSON.stringify(accessor)} is of a local mount`);
    const clash = store.index.groupAliasByFactors(accessor, name);
    if (clash !== undefined && clash.id !== current?.id) throw new BadRequestError('combination of mount and group alias name is already in use');

    const now = store.clock.now();
    const canonicalId = input.canonicalId || current?.canonicalId || '';
    let group: GroupRecord | undefined;
    if (canonicalId !== '') {
      group = cs.group(canonicalId);
      if (group === undefined) throw new BadRequestError("invalid group ID given in 'canonical_id'");
      if (group.type !== 'external') throw new BadRequestError("alias can't be set on an internal group");
      const existing = store.index.groupAliasOf(group.id);
      if (existing !== undefined && existing.id !== current?.id) throw new BadRequestError('group already has an alias');
    } else {
      group = {
        id: store.newId(),
        name: store.generateName('group', (n) => store.index.groupByName(n) !== undefined),
        type: 'external',
        metadata: {},
        policies: [],
        memberEntityIds: [],
        memberGroupIds: [],
        creationTime: now,
        lastUpdateTime: now,
        modifyIndex: 1,
      };
      cs.putGroup(group);
    }
    const record: GroupAliasRecord = {
      id: current?.id ?? store.newId(),
      canonicalId: group.id,
      mountAccessor: accessor,
      mountType: mount.type,
      name,
      mergedFromCanonicalIds: current?.mergedFromCanonicalIds ?? [],
      creationTime: current?.creationTime ?? now,
      lastUpdateTime: now,
    };
    cs.putGroupAlias(record);
    return { id: record.id, canonicalId: group.id };
  });
}

export function deleteGroupAlias(store: IdentityStore, id: string): Promise<void> {
  return store.write((cs) => {
    if (store.index.groupAliases.has(id)) cs.deleteGroupAlias(id);
  });
}
