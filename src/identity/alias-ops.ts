/**
 * Entity alias writes, and the login path's find-or-create. An alias ties one name on one
 * auth mount (its accessor) to an entity; (mount accessor, name) is unique, and an entity has
 * at most one alias per mount. Aliases of local mounts are local records.
 */
import { BadRequestError } from '../errors.js';
import type { ChangeSet } from './change-set.js';
import type { IdentityStore } from './identity-store.js';
import type { EntityAliasRecord, EntityRecord, MountInfo, ResolvedIdentity } from './types.js';

export interface EntityAliasInput {
  /** Absent fields keep their current value on update. */
  readonly name?: string;
  readonly mountAccessor?: string;
  readonly canonicalId?: string;
  readonly customMetadata?: Readonly<Record<string, string>>;
}

/** What create and update answer: the alias and the entity it now belongs to. */
export interface AliasWriteResult {
  readonly id: string;
  readonly canonicalId: string;
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]);
}

function mountOrThrow(store: IdentityStore, accessor: string): MountInfo {
  const mount = store.mount(accessor);
  if (mount === undefined) throw new BadRequestError(`invalid mount accessor ${JSON.stringify(accessor)}`);
  return mount;
}

function newEntity(store: IdentityStore, cs: ChangeSet, now: number): EntityRecord {
  const entity: EntityRecord = {
    id: store.newId(),
    name: store.generateName('entity', (n) => store.index.entityByName(n) !== undefined),
    metadata: {},
    policies: [],
    disabled: false,
    mergedEntityIds: [],
    creationTime: now,
    lastUpdateTime: now,
  };
  cs.putEntity(entity);
  return entity;
}

function aliasOnMount(store: IdentityStore, cs: ChangeSet, entityId: string, accessor: string): EntityAliasRecord | undefined {
  return store.index
    .aliasesOf(entityId)
    .map((a) => cs.alias(a.id))
    .find((a) => a !== undefined && a.canonicalId === entityId && a.mountAccessor === accessor);
}

/** identity/entity-alias without an id: update the alias with these factors, else create one. */
export function writeAliasByFactors(store: IdentityStore, input: EntityAliasInput): Promise<AliasWriteResult | undefined> {
  return store.write((cs) => {
    const name = input.name ?? '';
    const accessor = input.mountAccessor ?? '';
    if (name === '') throw new BadRequestError('missing alias name');
    if (accessor === '') throw new BadRequestError('missing mount_accessor');
    const mount = mountOrThrow(store, accessor);
    const existing = store.index.aliasByFactors(accessor, name);
    if (existing !== undefined) return updateIn(store, cs, existing, input);

    const now = store.clock.now();
    let entity: EntityRecord;
    if (input.canonicalId !== undefined && input.canonicalId !== '') {
      const found = cs.entity(input.canonicalId);
      if (found === undefined) throw new BadRequestError('invalid canonical ID');
      if (aliasOnMount(store, cs, found.id, accessor) !== undefined) throw new BadRequestError('Alias already exists for requested entity and mount accessor');
      entity = found;
    } else {
      entity = newEntity(store, cs, now);
    }
    const alias: EntityAliasRecord = {
      id: store.newId(),
      canonicalId: entity.id,
      mountAccessor: accessor,
      mountType: mount.type,
      name,
      metadata: {},
      customMetadata: { ...(input.customMetadata ?? {}) },
      local: mount.local,
      mergedFromCanonicalIds: [],
      creationTime: now,
      lastUpdateTime: now,
    };
    cs.putAlias(alias);
    return { id: alias.id, canonicalId: entity.id };
  });
}

/** entity-alias/id/:id (or identity/entity-alias with an id). */
export function updateAlias(store: IdentityStore, id: string, input: EntityAliasInput): Promise<AliasWriteResult | undefined> {
  return store.write((cs) => {
    const alias = id === '' ? undefined : cs.alias(id);
    if (id === '') throw new BadRequestError('missing alias ID');
    if (alias === undefined) throw new BadRequestError('invalid alias ID provided');
    return updateIn(store, cs, alias, input);
  });
}

function updateIn(store: IdentityStore, cs: ChangeSet, alias: EntityAliasRecord, input: EntityAliasInput): AliasWriteResult | undefined {
  const name = input.name || alias.name;
  const accessor = input.mountAccessor || alias.mountAccessor;
  const canonicalId = input.canonicalId || alias.canonicalId;
  const customMetadata = input.customMetadata ?? alias.customMetadata;
  if (name === alias.name && accessor === alias.mountAccessor && canonicalId === alias.canonicalId && sameMap(customMetadata, alias.customMetadata)) {
    return undefined;
  }
  const current = cs.entity(alias.canonicalId);
  if (current === undefined) throw new BadRequestError('given alias is not associated with an entity');
  let next: EntityAliasRecord = { ...alias, customMetadata: { ...customMetadata }, lastUpdateTime: store.clock.now() };

  if (accessor !== alias.mountAccessor && canonicalId === alias.canonicalId) {
    const other = aliasOnMount(store, cs, current.id, accessor);
    if (other !== undefined && other.id !== alias.id) {
      throw new BadRequestError("Alias cannot be updated as the entity already has an alias for the given 'mount_accessor'");
    }
  }
  if (name !== alias.name || accessor !== alias.mountAccessor) {
    const mount = mountOrThrow(store, accessor);
    const existing = store.index.aliasByFactors(accessor, name);
    if (existing !== undefined && existing.id !== alias.id) throw new BadRequestError('alias with combination of mount accessor and name already exists');
    next = { ...next, name, mountAccessor: accessor, mountType: mount.type, local: mount.local };
  }
  if (canonicalId !== alias.canonicalId) {
    const target = cs.entity(canonicalId);
    if (target === undefined) throw new BadRequestError("given 'canonical_id' is not associated with an entity");
    if (aliasOnMount(store, cs, target.id, accessor) !== undefined) {
      throw new BadRequestError('Alias cannot be updated as the given entity already has an alias for this mount');
    }
    next = { ...next, canonicalId: target.id };
  }
  cs.putAlias(next);
  return { id: next.id, canonicalId: next.canonicalId };
}

export function deleteAlias(store: IdentityStore, id: string): Promise<void> {
  return store.write((cs) => {
    const alias = cs.alias(id);
    if (alias !== undefined) cs.deleteAlias(alias);
  });
}

/**
 * Login: the entity for (mount, alias name), creating entity and alias on first login (a new
 * entity is named like Vault's, "entity_<8 hex>") and refreshing the alias metadata the auth
 * method reports. The common case (alias known, metadata unchanged) touches no storage.
 */
export async function entityForLogin(
  store: IdentityStore,
  mount: MountInfo,
  login: { readonly name: string; readonly metadata?: Readonly<Record<string, string>> },
): Promise<ResolvedIdentity> {
  const metadata = login.metadata ?? {};
  const known = store.index.aliasByFactors(mount.accessor, login.name);
  if (known !== undefined && sameMap(known.metadata, metadata)) {
    const resolved = store.resolve(known.canonicalId);
    if (resolved !== undefined) return resolved;
  }
  const entityId = await store.write((cs) => {
    const now = store.clock.now();
    const alias = store.index.aliasByFactors(mount.accessor, login.name);
    if (alias !== undefined) {
      const entity = cs.entity(alias.canonicalId) ?? newEntity(store, cs, now);
      if (!sameMap(alias.metadata, metadata) || entity.id !== alias.canonicalId) {
        cs.putAlias({ ...alias, canonicalId: entity.id, metadata: { ...metadata }, lastUpdateTime: now });
      }
      return entity.id;
    }
    const entity = newEntity(store, cs, now);
    cs.putAlias({
      id: store.newId(),
      canonicalId: entity.id,
      mountAccessor: mount.accessor,
      mountType: mount.type,
      name: login.name,
      metadata: { ...metadata },
      customMetadata: {},
      local: mount.local,
      mergedFromCanonicalIds: [],
      creationTime: now,
      lastUpdateTime: now,
    });
    return entity.id;
  });
  const resolved = store.resolve(entityId);
  if (resolved === undefined) throw new Error('identity: login entity vanished');
  return resolved;
}
