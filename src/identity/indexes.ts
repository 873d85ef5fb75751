/**
 * In-memory indexes over the identity records, loaded at unseal and kept current by every
 * write (and by `invalidate` for replicated changes). Every lookup the request path needs is
 * a map probe here: no storage reads. Names are matched case-insensitively, as Vault does.
 * Records may arrive in any order (an alias before its entity): indexes never assume the
 * other end of a link exists.
 */
import type { EntityAliasRecord, EntityRecord, GroupAliasRecord, GroupRecord } from './types.js';

function fold(name: string): string {
  return name.toLowerCase();
}

function factorsKey(mountAccessor: string, name: string): string {
  return `${mountAccessor}\0${fold(name)}`;
}

/** A many-to-many link kept as Map<key, Set<value>>. */
class Links {
  private readonly map = new Map<string, Set<string>>();
  add(key: string, value: string): void {
    let set = this.map.get(key);
    if (set === undefined) this.map.set(key, (set = new Set()));
    set.add(value);
  }
  remove(key: string, value: string): void {
    const set = this.map.get(key);
    if (set === undefined) return;
    set.delete(value);
    if (set.size === 0) this.map.delete(key);
  }
  get(key: string): readonly string[] {
    return [...(this.map.get(key) ?? [])];
  }
  clear(): void {
    this.map.clear();
  }
}

export class IdentityIndex {
  readonly entities = new Map<string, EntityRecord>();
  readonly aliases = new Map<string, EntityAliasRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly groupAliases = new Map<string, GroupAliasRecord>();
  private readonly entityNames = new Map<string, string>();
  private readonly mergedInto = new Map<string, string>();
  private readonly aliasFactors = new Map<string, string>();
  private readonly aliasesByEntity = new Links();
  private readonly groupNames = new Map<string, string>();
  private readonly groupsByMemberEntity = new Links();
  private readonly parentsByGroup = new Links();
  private readonly groupAliasFactors = new Map<string, string>();
  private readonly groupAliasByGroup = new Map<string, string>();

  clear(): void {
    for (const m of [this.entities, this.aliases, this.groups, this.groupAliases, this.entityNames, this.mergedInto, this.aliasFactors, this.groupNames, this.groupAliasFactors, this.groupAliasByGroup]) {
      m.clear();
    }
    this.aliasesByEntity.clear();
    this.groupsByMemberEntity.clear();
    this.parentsByGroup.clear();
  }

  // --- entities

  putEntity(e: EntityRecord): void {
    this.removeEntity(e.id);
    this.entities.set(e.id, e);
    this.entityNames.set(fold(e.name), e.id);
    for (const merged of e.mergedEntityIds) this.mergedInto.set(merged, e.id);
  }

  removeEntity(id: string): void {
    const old = this.entities.get(id);
    if (old === undefined) return;
    this.entities.delete(id);
    if (this.entityNames.get(fold(old.name)) === id) this.entityNames.delete(fold(old.name));
    for (const merged of old.mergedEntityIds) if (this.mergedInto.get(merged) === id) this.mergedInto.delete(merged);
  }

  entityByName(name: string): EntityRecord | undefined {
    const id = this.entityNames.get(fold(name));
    return id === undefined ? undefined : this.entities.get(id);
  }

  /** The entity with this id, or the one it was merged into (tokens keep the old id). */
  entityForToken(id: string): EntityRecord | undefined {
    const direct = this.entities.get(id);
    if (direct !== undefined) return direct;
    const into = this.mergedInto.get(id);
    return into === undefined ? undefined : this.entities.get(into);
  }

  // --- entity aliases

  putAlias(a: EntityAliasRecord): void {
    this.removeAlias(a.id);
    this.aliases.set(a.id, a);
    this.aliasFactors.set(factorsKey(a.mountAccessor, a.name), a.id);
    this.aliasesByEntity.add(a.canonicalId, a.id);
  }

  removeAlias(id: string): void {
    const old = this.aliases.get(id);
    if (old === undefined) return;
    this.aliases.delete(id);
    const key = factorsKey(old.mountAccessor, old.name);
    if (this.aliasFactors.get(key) === id) this.aliasFactors.delete(key);
    this.aliasesByEntity.remove(old.canonicalId, id);
  }

  aliasByFactors(mountAccessor: string, name: string): EntityAliasRecord | undefined {
    const id = this.aliasFactors.get(factorsKey(mountAccessor, name));
    return id === undefined ? undefined : this.aliases.get(id);
  }

  /** An entity's aliases, oldest first (Vault's order). */
  aliasesOf(entityId: string): EntityAliasRecord[] {
    const out: EntityAliasRecord[] = [];
    for (const id of this.aliasesByEntity.get(entityId)) {
      const a = this.aliases.get(id);
      if (a !== undefined) out.push(a);
    }
    return out.sort((x, y) => x.creationTime - y.creationTime || (x.id < y.id ? -1 : 1));
  }

  // --- groups

  putGroup(g: GroupRecord): void {
    this.removeGroup(g.id);
    this.groups.set(g.id, g);
    this.groupNames.set(fold(g.name), g.id);
    for (const e of g.memberEntityIds) this.groupsByMemberEntity.add(e, g.id);
    for (const child of g.memberGroupIds) this.parentsByGroup.add(child, g.id);
  }

  removeGroup(id: string): void {
    const old = this.groups.get(id);
    if (old === undefined) return;
    this.groups.delete(id);
    if (this.groupNames.get(fold(old.name)) === id) this.groupNames.delete(fold(old.name));
    for (const e of old.memberEntityIds) this.groupsByMemberEntity.remove(e, id);
    for (const child of old.memberGroupIds) this.parentsByGroup.remove(child, id);
  }

  groupByName(name: string): GroupRecord | undefined {
    const id = this.groupNames.get(fold(name));
    return id === undefined ? undefined : this.groups.get(id);
  }

  /** Groups listing the entity in member_entity_ids, sorted by id. */
  directGroupIdsOf(entityId: string): string[] {
    return this.groupsByMemberEntity.get(entityId).filter((id) => this.groups.has(id)).sort();
  }

  /** Groups listing this group in member_group_ids, sorted by id. */
  parentGroupIdsOf(groupId: string): string[] {
    return this.parentsByGroup.get(groupId).filter((id) => this.groups.has(id)).sort();
  }

  /** Every group reachable upwards from `start` (excluded), breadth-first; cycle-safe. */
  ancestorsOf(start: readonly string[]): string[] {
    const seen = new Set(start);
    const out: string[] = [];
    const queue = [...start];
    for (let i = 0; i < queue.length; i++) {
      for (const parent of this.parentGroupIdsOf(queue[i]!)) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        out.push(parent);
        queue.push(parent);
      }
    }
    return out.sort();
  }

  // --- group aliases

  putGroupAlias(a: GroupAliasRecord): void {
    this.removeGroupAlias(a.id);
    this.groupAliases.set(a.id, a);
    this.groupAliasFactors.set(factorsKey(a.mountAccessor, a.name), a.id);
    this.groupAliasByGroup.set(a.canonicalId, a.id);
  }

  removeGroupAlias(id: string): void {
    const old = this.groupAliases.get(id);
    if (old === undefined) return;
    this.groupAliases.delete(id);
    const key = factorsKey(old.mountAccessor, old.name);
    if (this.groupAliasFactors.get(key) === id) this.groupAliasFactors.delete(key);
    if (this.groupAliasByGroup.get(old.canonicalId) === id) this.groupAliasByGroup.delete(old.canonicalId);
  }

  groupAliasByFactors(mountAccessor: string, name: string): GroupAliasRecord | undefined {
    const id = this.groupAliasFactors.get(factorsKey(mountAccessor, name));
    return id === undefined ? undefined : this.groupAliases.get(id);
  }

  groupAliasOf(groupId: string): GroupAliasRecord | undefined {
    const id = this.groupAliasByGroup.get(groupId);
    return id === undefined ? undefined : this.groupAliases.get(id);
  }
}
