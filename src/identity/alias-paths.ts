/**
 * identity/entity-alias, entity-alias/id/:id and LIST entity-alias/id. Create and update
 * answer {id, canonical_id}; an update that changes nothing answers 204.
 */
import { definePath, genericName, type FieldData, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import { deleteAlias, updateAlias, writeAliasByFactors, type AliasWriteResult, type EntityAliasInput } from './alias-ops.js';
import type { IdentityStore } from './identity-store.js';
import { defineKey, listResponse, renderEntityAlias } from './render.js';

const aliasFields = {
  name: { type: 'string', description: 'Name of the alias (the identifier the auth method knows the caller by).' },
  canonical_id: { type: 'string', description: 'Entity ID to which this alias belongs.' },
  mount_accessor: { type: 'string', description: 'Mount accessor of the auth method this alias belongs to.' },
  custom_metadata: { type: 'string-map', description: 'User-provided key-value pairs.' },
} as const;

const createFields = {
  ...aliasFields,
  id: { type: 'string', description: 'ID of the alias. If set, updates the corresponding alias.' },
  entity_id: { type: 'string', description: 'Deprecated: use canonical_id.' },
} as const;

type AliasFieldData = FieldData<typeof aliasFields>;

function inputOf(f: AliasFieldData, canonicalFallback = ''): EntityAliasInput {
  const out: { -readonly [K in keyof EntityAliasInput]: EntityAliasInput[K] } = {};
  const name = f.getOk('name');
  const accessor = f.getOk('mount_accessor');
  const canonical = f.getOk('canonical_id') ?? canonicalFallback;
  const custom = f.getOk('custom_metadata');
  if (name !== undefined) out.name = name;
  if (accessor !== undefined) out.mountAccessor = accessor;
  if (canonical !== '') out.canonicalId = canonical;
  if (custom !== undefined) out.customMetadata = custom;
  return out;
}

function answer(result: AliasWriteResult | undefined): Response | undefined {
  return result === undefined ? undefined : { data: { id: result.id, canonical_id: result.canonicalId } };
}

export function aliasPaths(store: IdentityStore): PathDef[] {
  return [
    definePath({
      pattern: 'entity-alias',
      fields: createFields,
      operations: {
        update: async (_req, f) => {
          const input = inputOf(f as unknown as AliasFieldData, f.get('entity_id'));
          const id = f.get('id');
          return answer(id !== '' ? await updateAlias(store, id, input) : await writeAliasByFactors(store, input));
        },
      },
      synopsis: 'Create a new alias (or update the one with these factors or this id).',
      description: 'An entity may have one alias per auth mount; (mount_accessor, name) identifies an alias.',
    }),
    definePath({
      pattern: `entity-alias/id/${genericName('id')}`,
      fields: { ...aliasFields, id: { type: 'string', description: 'ID of the alias.' } },
      operations: {
        read: async (_req, f) => {
          const a = store.index.aliases.get(f.get('id'));
          return a === undefined ? undefined : { data: renderEntityAlias(store, a) };
        },
        update: async (_req, f) => answer(await updateAlias(store, f.get('id'), inputOf(f as unknown as AliasFieldData))),
        delete: async (_req, f) => {
          await deleteAlias(store, f.get('id'));
          return undefined;
        },
      },
      synopsis: 'Read, update or delete an alias by its ID.',
      description: 'Updating may rename the alias, move it to another mount, or to another entity (canonical_id).',
    }),
    definePath({
      pattern: 'entity-alias/id/?',
      fields: {},
      operations: {
        list: async () => {
          const keys = [...store.index.aliases.keys()].sort();
          const info: Record<string, unknown> = {};
          for (const id of keys) {
            const a = store.index.aliases.get(id)!;
            const m = store.mount(a.mountAccessor);
            defineKey(info, id, {
              canonical_id: a.canonicalId,
              custom_metadata: Object.keys(a.customMetadata).length === 0 ? null : { ...a.customMetadata },
              local: a.local,
              mount_accessor: a.mountAccessor,
              name: a.name,
              ...(m ? { mount_path: m.path, mount_type: m.type } : {}),
            });
          }
          return listResponse(keys, info);
        },
      },
      synopsis: 'List entity aliases by their IDs.',
      description: 'Lists the IDs of all entity aliases, with their entity, mount and name in key_info.',
    }),
  ];
}
