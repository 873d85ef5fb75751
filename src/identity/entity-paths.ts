/**
 * identity/entity, entity/id/:id, entity/name/:name (and their LISTs), entity/batch-delete
 * and entity/merge. A create answers {id, name, aliases}; an update of an existing entity
 * answers 204, as Vault does.
 */
import { definePath, genericName, type PathDef } from '../framework/index.js';
import type { FieldData } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import { deleteEntities, mergeEntities, upsertEntity, type EntityInput } from './entity-ops.js';
import type { IdentityStore } from './identity-store.js';
import { defineKey, listResponse, renderEntity } from './render.js';

const entityFields = {
  name: { type: 'string', description: 'Name of the entity.' },
  metadata: { type: 'string-map', description: 'Metadata to be associated with the entity (key=value pairs or a map).' },
  policies: { type: 'comma-string-slice', description: 'Policies to be tied to the entity.' },
  disabled: { type: 'bool', description: "If set true, tokens tied to this identity will not be able to be used (but will not be revoked)." },
} as const;

const withId = { ...entityFields, id: { type: 'string', description: 'ID of the entity. If set, updates the corresponding existing entity.' } } as const;

type EntityFieldData = FieldData<typeof entityFields>;

function inputOf(f: EntityFieldData): EntityInput {
  const out: { -readonly [K in keyof EntityInput]: EntityInput[K] } = {};
  const name = f.getOk('name');
  const metadata = f.getOk('metadata');
  const policies = f.getOk('policies');
  const disabled = f.getOk('disabled');
  if (name !== undefined) out.name = name;
  if (metadata !== undefined) out.metadata = metadata;
  if (policies !== undefined) out.policies = policies;
  if (disabled !== undefined) out.disabled = disabled;
  return out;
}

export function entityPaths(store: IdentityStore): PathDef[] {
  const write = async (targetId: string | undefined, input: EntityInput): Promise<Response | undefined> => {
    const { record, created } = await upsertEntity(store, targetId, input);
    if (!created) return undefined;
    const aliases = store.index.aliasesOf(record.id).map((a) => a.id);
    return { data: { id: record.id, name: record.name, aliases: aliases.length === 0 ? null : aliases } };
  };
  const read = (id: string | undefined): Response | undefined => {
    const e = id === undefined ? undefined : store.index.entities.get(id);
    return e === undefined ? undefined : { data: renderEntity(store, e) };
  };

  return [
    definePath({
      pattern: 'entity',
      fields: withId,
      operations: {
        update: async (_req, f) => write(f.get('id') || undefined, inputOf(f as unknown as EntityFieldData)),
      },
      synopsis: 'Create a new entity (or update the one with this id or name).',
      description: 'Creates an entity; with an id, or a name already in use, updates that entity instead.',
    }),
    definePath({
      pattern: `entity/id/${genericName('id')}`,
      fields: withId,
      operations: {
        read: async (_req, f) => read(f.get('id')),
        update: async (_req, f) => write(f.get('id'), inputOf(f as unknown as EntityFieldData)),
        delete: async (_req, f) => {
          await deleteEntities(store, [f.get('id')]);
          return undefined;
        },
      },
      synopsis: 'Read, update or delete an entity by its ID.',
      description: 'Deleting an entity also deletes its aliases and removes it from every group.',
    }),
    definePath({
      pattern: 'entity/id/?',
      fields: {},
      operations: {
        list: async () => {
          const keys = [...store.index.entities.keys()].sort();
          const info: Record<string, unknown> = {};
          for (const id of keys) {
            const e = store.index.entities.get(id)!;
            const aliases = store.index.aliasesOf(id).map((a) => {
              const m = store.mount(a.mountAccessor);
              return { id: a.id, name: a.name, mount_accessor: a.mountAccessor, ...(m ? { mount_path: m.path, mount_type: m.type } : {}) };
            });
            defineKey(info, id, aliases.length === 0 ? { name: e.name } : { name: e.name, aliases });
          }
          return listResponse(keys, info);
        },
      },
      synopsis: 'List entities by their IDs.',
      description: 'Lists the IDs of all entities, with their names and aliases in key_info.',
    }),
    definePath({
      pattern: `entity/name/${genericName('name')}`,
      fields: entityFields,
      operations: {
        read: async (_req, f) => read(store.index.entityByName(f.get('name'))?.id),
        update: async (_req, f) => write(undefined, inputOf(f)),
        delete: async (_req, f) => {
          const e = store.index.entityByName(f.get('name'));
          if (e !== undefined) await deleteEntities(store, [e.id]);
          return undefined;
        },
      },
      synopsis: 'Read, create or update, or delete an entity by its name.',
      description: 'Writing a name that exists updates that entity; otherwise an entity with that name is created.',
    }),
    definePath({
      pattern: 'entity/name/?',
      fields: {},
      operations: {
        list: async () => listResponse([...store.index.entities.values()].map((e) => e.name).sort()),
      },
      synopsis: 'List entities by their names.',
      description: 'Lists the names of all entities.',
    }),
    definePath({
      pattern: 'entity/batch-delete',
      fields: { entity_ids: { type: 'comma-string-slice', description: 'Entity IDs to delete.' } },
      operations: {
        update: async (_req, f) => {
          await deleteEntities(store, f.get('entity_ids'));
          return undefined;
        },
      },
      synopsis: 'Delete several entities at once.',
      description: 'Deletes every listed entity (with its aliases and group memberships); unknown IDs are ignored.',
    }),
    definePath({
      pattern: 'entity/merge',
      fields: {
        from_entity_ids: { type: 'comma-string-slice', description: 'Entity IDs which need to get merged.' },
        to_entity_id: { type: 'string', description: 'Entity ID into which all the other entities need to get merged.' },
        force: { type: 'bool', description: 'Accepted for compatibility; Arca has no MFA secrets to reconcile.' },
        conflicting_alias_ids_to_keep: {
          type: 'comma-string-slice',
          description: 'Alias IDs to keep where the entities have aliases on the same mount (one from-entity only).',
        },
      },
      operations: {
        update: async (_req, f) => {
          await mergeEntities(store, {
            fromEntityIds: f.get('from_entity_ids'),
            toEntityId: f.get('to_entity_id'),
            conflictingAliasIdsToKeep: f.get('conflicting_alias_ids_to_keep'),
          });
          return undefined;
        },
      },
      synopsis: 'Merge entities into one.',
      description: 'Moves the aliases and group memberships of from_entity_ids to to_entity_id and deletes the merged entities.',
    }),
  ];
}
