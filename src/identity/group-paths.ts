/**
 * identity/group, group/id/:id, group/name/:name (and their LISTs), identity/group-alias,
 * group-alias/id/:id and LIST group-alias/id. A group create answers {id, name}, an update
 * 204; group alias writes answer {id, canonical_id}.
 */
import { definePath, genericName, type FieldData, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { IdentityStore } from './identity-store.js';
import { deleteGroup, deleteGroupAlias, upsertGroup, writeGroupAlias, type GroupAliasInput, type GroupInput } from './group-ops.js';
import { defineKey, listResponse, renderGroup, renderGroupAlias } from './render.js';

const groupFields = {
  name: { type: 'string', description: 'Name of the group.' },
  type: { type: 'string', description: 'Type of the group, internal or external. Defaults to internal.' },
  metadata: { type: 'string-map', description: 'Metadata to be associated with the group (key=value pairs or a map).' },
  policies: { type: 'comma-string-slice', description: 'Policies to be tied to the group.' },
  member_group_ids: { type: 'comma-string-slice', description: 'Group IDs to be assigned as group members.' },
  member_entity_ids: { type: 'comma-string-slice', description: 'Entity IDs to be assigned as group members.' },
} as const;

const withId = { ...groupFields, id: { type: 'string', description: 'ID of the group. If set, updates the corresponding existing group.' } } as const;

type GroupFieldData = FieldData<typeof groupFields>;

function inputOf(f: GroupFieldData): GroupInput {
  const out: { -readonly [K in keyof GroupInput]: GroupInput[K] } = {};
  const name = f.getOk('name');
  const type = f.getOk('type');
  const metadata = f.getOk('metadata');
  const policies = f.getOk('policies');
  const groups = f.getOk('member_group_ids');
  const entities = f.getOk('member_entity_ids');
  if (name !== undefined) out.name = name;
  if (type !== undefined) out.type = type;
  if (metadata !== undefined) out.metadata = metadata;
  if (policies !== undefined) out.policies = policies;
  if (groups !== undefined) out.memberGroupIds = groups;
  if (entities !== undefined) out.memberEntityIds = entities;
  return out;
}

const aliasFields = {
  name: { type: 'string', description: 'Alias of the group (as the auth method names it).' },
  mount_accessor: { type: 'string', description: 'Mount accessor of the auth method this alias belongs to.' },
  canonical_id: { type: 'string', description: 'ID of the (external) group to which this is an alias.' },
  id: { type: 'string', description: 'ID of the group alias.' },
} as const;

function aliasInputOf(f: FieldData<typeof aliasFields>): GroupAliasInput {
  const out: { -readonly [K in keyof GroupAliasInput]: GroupAliasInput[K] } = {};
  const name = f.getOk('name');
  const accessor = f.getOk('mount_accessor');
  const canonical = f.getOk('canonical_id');
  if (name !== undefined) out.name = name;
  if (accessor !== undefined) out.mountAccessor = accessor;
  if (canonical !== undefined) out.canonicalId = canonical;
  return out;
}

export function groupPaths(store: IdentityStore): PathDef[] {
  const write = async (targetId: string | undefined, input: GroupInput): Promise<Response | undefined> => {
    const { record, created } = await upsertGroup(store, targetId, input);
    return created ? { data: { id: record.id, name: record.name } } : undefined;
  };
  const read = (id: string | undefined): Response | undefined => {
    const g = id === undefined ? undefined : store.index.groups.get(id);
    return g === undefined ? undefined : { data: renderGroup(store, g) };
  };
  const writeAlias = async (id: string | undefined, input: GroupAliasInput): Promise<Response> => {
    const r = await writeGroupAlias(store, id, input);
    return { data: { id: r.id, canonical_id: r.canonicalId } };
  };

  return [
    definePath({
      pattern: 'group',
      fields: withId,
      operations: { update: async (_req, f) => write(f.get('id') || undefined, inputOf(f as unknown as GroupFieldData)) },
      synopsis: 'Create a new group (or update the one with this id or name).',
      description: 'Creates a group; with an id, or a name already in use, updates that group instead.',
    }),
    definePath({
      pattern: `group/id/${genericName('id')}`,
      fields: withId,
      operations: {
        read: async (_req, f) => read(f.get('id')),
        update: async (_req, f) => write(f.get('id'), inputOf(f as unknown as GroupFieldData)),
        delete: async (_req, f) => {
          await deleteGroup(store, f.get('id'));
          return undefined;
        },
      },
      synopsis: 'Read, update or delete a group by its ID.',
      description: 'Entities of a member group also get the policies of every group it is a member of.',
    }),
    definePath({
      pattern: 'group/id/?',
      fields: {},
      operations: {
        list: async () => {
          const keys = [...store.index.groups.keys()].sort();
          const info: Record<string, unknown> = {};
          for (const id of keys) {
            const g = store.index.groups.get(id)!;
            defineKey(info, id, { name: g.name, num_member_entities: g.memberEntityIds.length, num_parent_groups: store.index.parentGroupIdsOf(id).length });
          }
          return listResponse(keys, info);
        },
      },
      synopsis: 'List groups by their IDs.',
      description: 'Lists the IDs of all groups, with names and member counts in key_info.',
    }),
    definePath({
      pattern: `group/name/${genericName('name')}`,
      fields: groupFields,
      operations: {
        read: async (_req, f) => read(store.index.groupByName(f.get('name'))?.id),
        update: async (_req, f) => write(undefined, inputOf(f)),
        delete: async (_req, f) => {
          const g = store.index.groupByName(f.get('name'));
          if (g !== undefined) await deleteGroup(store, g.id);
          return undefined;
        },
      },
      synopsis: 'Read, create or update, or delete a group by its name.',
      description: 'Writing a name that exists updates that group; otherwise a group with that name is created.',
    }),
    definePath({
      pattern: 'group/name/?',
      fields: {},
      operations: { list: async () => listResponse([...store.index.groups.values()].map((g) => g.name).sort()) },
      synopsis: 'List groups by their names.',
      description: 'Lists the names of all groups.',
    }),
    definePath({
      pattern: 'group-alias',
      fields: aliasFields,
      operations: { update: async (_req, f) => writeAlias(f.get('id') || undefined, aliasInputOf(f)) },
      synopsis: 'Create a group alias (or update the one with this id).',
      description: 'Ties an external group to the group name an auth method reports.',
    }),
    definePath({
      pattern: `group-alias/id/${genericName('id')}`,
      fields: aliasFields,
      operations: {
        read: async (_req, f) => {
          const a = store.index.groupAliases.get(f.get('id'));
          return a === undefined ? undefined : { data: renderGroupAlias(store, a) };
        },
        update: async (_req, f) => writeAlias(f.get('id'), aliasInputOf(f)),
        delete: async (_req, f) => {
          await deleteGroupAlias(store, f.get('id'));
          return undefined;
        },
      },
      synopsis: 'Read, update or delete a group alias by its ID.',
      description: 'Reads, updates or deletes a group alias.',
    }),
    definePath({
      pattern: 'group-alias/id/?',
      fields: {},
      operations: {
        list: async () => {
          const keys = [...store.index.groupAliases.keys()].sort();
          const info: Record<string, unknown> = {};
          for (const id of keys) {
            const a = store.index.groupAliases.get(id)!;
            const m = store.mount(a.mountAccessor);
            defineKey(info, id, { canonical_id: a.canonicalId, mount_accessor: a.mountAccessor, name: a.name, ...(m ? { mount_path: m.path, mount_type: m.type } : {}) });
          }
          return listResponse(keys, info);
        },
      },
      synopsis: 'List group aliases by their IDs.',
      description: 'Lists the IDs of all group aliases.',
    }),
  ];
}
