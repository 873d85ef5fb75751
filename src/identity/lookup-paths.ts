/**
 * identity/lookup/entity and lookup/group: find one object by exactly one criterion (name,
 * id, alias_id, or alias_name with alias_mount_accessor). Nothing found answers 204, as
 * Vault does; hvac maps that to None.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type FieldData, type PathDef } from '../framework/index.js';
import type { IdentityStore } from './identity-store.js';
import { renderEntity, renderGroup } from './render.js';

const lookupFields = {
  name: { type: 'string', description: 'Name of the object.' },
  id: { type: 'string', description: 'ID of the object.' },
  alias_id: { type: 'string', description: 'ID of an alias of the object.' },
  alias_name: { type: 'string', description: 'Name of an alias; needs alias_mount_accessor.' },
  alias_mount_accessor: { type: 'string', description: 'Mount accessor of the alias named by alias_name.' },
} as const;

type Criterion =
  | { readonly by: 'id'; readonly value: string }
  | { readonly by: 'name'; readonly value: string }
  | { readonly by: 'alias_id'; readonly value: string }
  | { readonly by: 'alias'; readonly name: string; readonly accessor: string };

/** Vault's rules on which combinations of criteria are accepted. */
function criterionOf(f: FieldData<typeof lookupFields>): Criterion {
  const sent = (k: keyof typeof lookupFields): string | undefined => f.getOk(k);
  const id = sent('id');
  const name = sent('name');
  const aliasId = sent('alias_id');
  const aliasName = sent('alias_name');
  const accessor = sent('alias_mount_accessor');
  const count = [id, name, aliasId, aliasName, accessor].filter((v) => v !== undefined).length;
  if (count === 0) throw new BadRequestError('query parameter not supplied');
  if (count === 2 && aliasName && accessor) return { by: 'alias', name: aliasName, accessor };
  if (count !== 1) throw new BadRequestError('query parameter conflict; please supply distinct set of query parameters');
  if (aliasName !== undefined || accessor !== undefined) throw new BadRequestError("both 'alias_name' and 'alias_mount_accessor' needs to be set");
  if (id !== undefined) return { by: 'id', value: id };
  if (name !== undefined) return { by: 'name', value: name };
  return { by: 'alias_id', value: aliasId ?? '' };
}

export function lookupPaths(store: IdentityStore): PathDef[] {
  const ix = store.index;
  return [
    definePath({
      pattern: 'lookup/entity',
      fields: lookupFields,
      operations: {
        update: async (_req, f) => {
          const c = criterionOf(f);
          let entityId: string | undefined;
          if (c.by === 'id') entityId = c.value;
          else if (c.by === 'name') entityId = ix.entityByName(c.value)?.id;
          else if (c.by === 'alias_id') entityId = ix.aliases.get(c.value)?.canonicalId;
          else entityId = ix.aliasByFactors(c.accessor, c.name)?.canonicalId;
          const e = entityId === undefined ? undefined : ix.entities.get(entityId);
          return e === undefined ? undefined : { data: renderEntity(store, e) };
        },
      },
      synopsis: 'Query an entity by name, id, alias_id, or alias_name with alias_mount_accessor.',
      description: 'Returns the entity in the shape of entity/id/:id, or 204 when there is none.',
    }),
    definePath({
      pattern: 'lookup/group',
      fields: lookupFields,
      operations: {
        update: async (_req, f) => {
          const c = criterionOf(f);
          let groupId: string | undefined;
          if (c.by === 'id') groupId = c.value;
          else if (c.by === 'name') groupId = ix.groupByName(c.value)?.id;
          else if (c.by === 'alias_id') groupId = ix.groupAliases.get(c.value)?.canonicalId;
          else groupId = ix.groupAliasByFactors(c.accessor, c.name)?.canonicalId;
          const g = groupId === undefined ? undefined : ix.groups.get(groupId);
          return g === undefined ? undefined : { data: renderGroup(store, g) };
        },
      },
      synopsis: 'Query a group by name, id, alias_id, or alias_name with alias_mount_accessor.',
      description: 'Returns the group in the shape of group/id/:id, or 204 when there is none.',
    }),
  ];
}
