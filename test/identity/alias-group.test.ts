/** Entity aliases, groups, group aliases and lookups, with Vault's errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityNode, type IdentityNode } from './harness.js';

async function withNode(fn: (h: IdentityNode) => Promise<void>): Promise<void> {
  const h = await identityNode();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

test('an alias without canonical_id creates its entity; (mount, name) is one alias', () =>
  withNode(async (h) => {
    const up = await h.enableAuth('userpass', 'userpass');
    const created = await h.data('update', 'identity/entity-alias', { name: 'bob', mount_accessor: up, custom_metadata: { k: 'v' } });
    const entity = await h.data('read', `identity/entity/id/${created['canonical_id']}`);
    assert.match(String(entity['name']), /^entity_[0-9a-f]{8}$/);
    const alias = await h.data('read', `identity/entity-alias/id/${created['id']}`);
    assert.deepEqual(
      { ...alias, creation_time: 'x', last_update_time: 'x' },
      {
        id: created['id'],
        canonical_id: created['canonical_id'],
        mount_accessor: up,
        mount_path: 'auth/userpass/',
        mount_type: 'userpass',
        name: 'bob',
        metadata: null,
        custom_metadata: { k: 'v' },
        merged_from_canonical_ids: null,
        namespace_id: 'root',
        local: false,
        creation_time: 'x',
        last_update_time: 'x',
      },
    );
    // Same factors again: nothing changed, 204; a change of custom metadata updates the same alias.
    assert.equal(await h.call('update', 'identity/entity-alias', { name: 'bob', mount_accessor: up, custom_metadata: { k: 'v' } }), undefined);
    const again = await h.data('update', 'identity/entity-alias', { name: 'bob', mount_accessor: up, custom_metadata: { k: 'w' } });
    assert.deepEqual(again, { id: created['id'], canonical_id: created['canonical_id'] });
    assert.deepEqual((await h.data('list', 'identity/entity-alias/id'))['keys'], [created['id']]);
  }));

test('alias errors', () =>
  withNode(async (h) => {
    const up = await h.enableAuth('userpass', 'userpass');
    const ar = await h.enableAuth('approle', 'approle');
    const e = await h.data('update', 'identity/entity', { name: 'e' });
    await h.fails('update', 'identity/entity-alias', { mount_accessor: up }, 400, 'missing alias name');
    await h.fails('update', 'identity/entity-alias', { name: 'x' }, 400, 'missing mount_accessor');
    await h.fails('update', 'identity/entity-alias', { name: 'x', mount_accessor: 'auth_nope_1' }, 400, 'invalid mount accessor "auth_nope_1"');
    await h.fails('update', 'identity/entity-alias', { name: 'x', mount_accessor: up, canonical_id: 'nope' }, 400, 'invalid canonical ID');
    const a1 = await h.data('update', 'identity/entity-alias', { name: 'x', mount_accessor: up, canonical_id: e['id'] });
    await h.fails('update', 'identity/entity-alias', { name: 'y', mount_accessor: up, canonical_id: e['id'] }, 400, 'Alias already exists for requested entity and mount accessor');
    const a2 = await h.data('update', 'identity/entity-alias', { name: 'y', mount_accessor: ar, canonical_id: e['id'] });
    // Moving a2 onto the userpass mount would give e two aliases there.
    await h.fails('update', `identity/entity-alias/id/${a2['id']}`, { mount_accessor: up }, 400, "Alias cannot be updated as the entity already has an alias for the given 'mount_accessor'");
    const other = await h.data('update', 'identity/entity-alias', { name: 'z', mount_accessor: up });
    await h.fails('update', `identity/entity-alias/id/${other['id']}`, { name: 'x' }, 400, 'alias with combination of mount accessor and name already exists');
    await h.fails('update', `identity/entity-alias/id/${other['id']}`, { canonical_id: e['id'] }, 400, 'Alias cannot be updated as the given entity already has an alias for this mount');
    await h.fails('update', `identity/entity-alias/id/${other['id']}`, { canonical_id: 'nope' }, 400, "given 'canonical_id' is not associated with an entity");
    await h.fails('update', 'identity/entity-alias/id/nope', { name: 'q' }, 400, 'invalid alias ID provided');
    // A valid move: the alias z goes to a new entity.
    const f = await h.data('update', 'identity/entity', { name: 'f' });
    assert.deepEqual(await h.data('update', `identity/entity-alias/id/${other['id']}`, { canonical_id: f['id'], name: 'zz' }), { id: other['id'], canonical_id: f['id'] });
    assert.equal(h.node.core.identity.index.aliasByFactors(up, 'z'), undefined);
    assert.equal(h.node.core.identity.index.aliasByFactors(up, 'zz')?.canonicalId, f['id']);
    await h.call('delete', `identity/entity-alias/id/${a1['id']}`);
    assert.equal(await h.call('read', `identity/entity-alias/id/${a1['id']}`), undefined);
  }));

test('groups: create, read, update by name, type rules, member validation', () =>
  withNode(async (h) => {
    const e = await h.data('update', 'identity/entity', { name: 'e' });
    const g = await h.data('update', 'identity/group', { name: 'eng', policies: 'p1,p2', metadata: { team: 'x' }, member_entity_ids: [e['id']] });
    assert.deepEqual(Object.keys(g).sort(), ['id', 'name']);
    const read = await h.data('read', `identity/group/id/${g['id']}`);
    assert.deepEqual(
      { ...read, creation_time: 'x', last_update_time: 'x' },
      {
        id: g['id'],
        name: 'eng',
        type: 'internal',
        metadata: { team: 'x' },
        policies: ['p1', 'p2'],
        member_entity_ids: [e['id']],
        member_group_ids: null,
        parent_group_ids: null,
        alias: {},
        namespace_id: 'root',
        creation_time: 'x',
        last_update_time: 'x',
        modify_index: 1,
      },
    );
    assert.equal(await h.call('update', 'identity/group/name/eng', { policies: ['p3'] }), undefined);
    const updated = await h.data('read', 'identity/group/name/eng');
    assert.deepEqual(updated['policies'], ['p3']);
    assert.equal(updated['modify_index'], 2);
    assert.deepEqual(updated['member_entity_ids'], [e['id']], 'fields not sent are kept');
    await h.fails('update', `identity/group/id/${g['id']}`, { type: 'external' }, 400, 'group type cannot be changed');
    await h.fails('update', 'identity/group', { name: 'n', type: 'odd' }, 400, 'invalid group type "odd"');
    await h.fails('update', 'identity/group', { name: 'n', member_entity_ids: ['nope'] }, 400, 'invalid entity ID "nope"');
    await h.fails('update', 'identity/group', { name: 'n', member_group_ids: ['nope'] }, 400, 'invalid member group ID "nope"');
    await h.fails('update', 'identity/group', { name: 'n', policies: ['root'] }, 400, 'policies cannot contain root');
    await h.fails('update', 'identity/group', { name: 'n', type: 'external', member_entity_ids: [e['id']] }, 400, "member entities can't be set manually for external groups");
    await h.fails('update', 'identity/group', { name: 'n', type: 'external', member_group_ids: [g['id']] }, 400, "member groups can't be set for external groups");
    await h.fails('update', 'identity/group/id/nope', { policies: ['a'] }, 400, 'invalid group ID');
    const other = await h.data('update', 'identity/group', { name: 'other' });
    await h.fails('update', `identity/group/id/${other['id']}`, { name: 'ENG' }, 400, 'group name is already in use');
    const unnamed = await h.data('update', 'identity/group', {});
    assert.match(String(unnamed['name']), /^group_[0-9a-f]{8}$/);
    const list = await h.data('list', 'identity/group/id');
    assert.equal((list['keys'] as string[]).length, 3);
    assert.deepEqual((list['key_info'] as Record<string, unknown>)[String(g['id'])], { name: 'eng', num_member_entities: 1, num_parent_groups: 0 });
    assert.deepEqual((await h.data('list', 'identity/group/name'))['keys'], ['eng', 'other', unnamed['name']].sort());
  }));

test('member groups: inheritance, parent ids, cycles refused', () =>
  withNode(async (h) => {
    const e = await h.data('update', 'identity/entity', { name: 'e', policies: ['ep'] });
    const child = await h.data('update', 'identity/group', { name: 'child', policies: ['cp'], member_entity_ids: [e['id']] });
    const mid = await h.data('update', 'identity/group', { name: 'mid', policies: ['mp'], member_group_ids: [child['id']] });
    const top = await h.data('update', 'identity/group', { name: 'top', policies: ['tp'], member_group_ids: [mid['id']] });
    const entity = await h.data('read', `identity/entity/id/${e['id']}`);
    assert.deepEqual(entity['direct_group_ids'], [child['id']]);
    assert.deepEqual(entity['inherited_group_ids'], [mid['id'], top['id']].sort());
    assert.deepEqual(entity['group_ids'], [child['id'], ...[mid['id'], top['id']].sort()]);
    assert.deepEqual(h.node.core.identity.resolve(String(e['id']))?.policies, ['cp', 'ep', 'mp', 'tp']);
    assert.deepEqual((await h.data('read', `identity/group/id/${child['id']}`))['parent_group_ids'], [mid['id']]);

    await h.fails('update', `identity/group/id/${child['id']}`, { member_group_ids: [child['id']] }, 400, `member group ID "${child['id']}" is same as the ID of the group`);
    await h.fails('update', `identity/group/id/${child['id']}`, { member_group_ids: [top['id']] }, 400, `cyclic relationship detected for member group ID "${top['id']}"`);
    await h.fails('update', `identity/group/id/${mid['id']}`, { member_group_ids: [child['id'], top['id']] }, 400, `cyclic relationship detected for member group ID "${top['id']}"`);
    assert.deepEqual((await h.data('read', `identity/group/id/${mid['id']}`))['member_group_ids'], [child['id']], 'a refused write changes nothing');

    // Deleting the middle group cuts the inheritance and leaves no dangling member id.
    await h.call('delete', `identity/group/id/${mid['id']}`);
    assert.equal((await h.data('read', `identity/group/id/${top['id']}`))['member_group_ids'], null);
    assert.deepEqual(h.node.core.identity.resolve(String(e['id']))?.policies, ['cp', 'ep']);
  }));

test('group aliases: external groups only, one per group, shown on the group', () =>
  withNode(async (h) => {
    const up = await h.enableAuth('userpass', 'userpass');
    const local = await h.enableAuth('local-up', 'userpass', true);
    const internal = await h.data('update', 'identity/group', { name: 'int' });
    const ext = await h.data('update', 'identity/group', { name: 'ext', type: 'external' });
    await h.fails('update', 'identity/group-alias', { name: 'devs', mount_accessor: up, canonical_id: internal['id'] }, 400, "alias can't be set on an internal group");
    await h.fails('update', 'identity/group-alias', { name: 'devs', mount_accessor: up, canonical_id: 'nope' }, 400, "invalid group ID given in 'canonical_id'");
    await h.fails('update', 'identity/group-alias', { name: 'devs', mount_accessor: local, canonical_id: ext['id'] }, 400, `mount accessor "${local}" is of a local mount`);
    await h.fails('update', 'identity/group-alias', { mount_accessor: up }, 400, 'missing alias name');
    const alias = await h.data('update', 'identity/group-alias', { name: 'devs', mount_accessor: up, canonical_id: ext['id'] });
    assert.deepEqual(alias, { id: alias['id'], canonical_id: ext['id'] });
    await h.fails('update', 'identity/group-alias', { name: 'devs', mount_accessor: up, canonical_id: ext['id'] }, 400, 'combination of mount and group alias name is already in use');
    await h.fails('update', 'identity/group-alias', { name: 'ops', mount_accessor: up, canonical_id: ext['id'] }, 400, 'group already has an alias');
    const group = await h.data('read', `identity/group/id/${ext['id']}`);
    const shown = group['alias'] as Record<string, unknown>;
    assert.equal(shown['id'], alias['id']);
    assert.equal(shown['name'], 'devs');
    assert.equal(shown['mount_path'], 'auth/userpass/');
    const read = await h.data('read', `identity/group-alias/id/${alias['id']}`);
    assert.equal(read['canonical_id'], ext['id']);
    assert.equal(read['mount_type'], 'userpass');
    // Without canonical_id a new external group is made for the alias.
    const fresh = await h.data('update', 'identity/group-alias', { name: 'qa', mount_accessor: up });
    assert.equal((await h.data('read', `identity/group/id/${fresh['canonical_id']}`))['type'], 'external');
    assert.equal(((await h.data('list', 'identity/group-alias/id'))['keys'] as string[]).length, 2);
    // Deleting the group deletes its alias.
    await h.call('delete', `identity/group/id/${ext['id']}`);
    assert.equal(await h.call('read', `identity/group-alias/id/${alias['id']}`), undefined);
    await h.call('delete', `identity/group-alias/id/${fresh['id']}`);
    assert.equal(await h.call('list', 'identity/group-alias/id'), undefined);
  }));

test('lookup/entity and lookup/group', () =>
  withNode(async (h) => {
    const up = await h.enableAuth('userpass', 'userpass');
    const e = await h.data('update', 'identity/entity', { name: 'bob' });
    const a = await h.data('update', 'identity/entity-alias', { name: 'bobby', mount_accessor: up, canonical_id: e['id'] });
    for (const q of [{ name: 'bob' }, { id: e['id'] }, { alias_id: a['id'] }, { alias_name: 'bobby', alias_mount_accessor: up }]) {
      const found = await h.data('update', 'identity/lookup/entity', q);
      assert.equal(found['id'], e['id'], JSON.stringify(q));
      assert.equal((found['aliases'] as unknown[]).length, 1);
    }
    assert.equal(await h.call('update', 'identity/lookup/entity', { name: 'nobody' }), undefined, 'nothing found is 204');
    await h.fails('update', 'identity/lookup/entity', {}, 400, 'query parameter not supplied');
    await h.fails('update', 'identity/lookup/entity', { name: 'bob', id: e['id'] }, 400, 'query parameter conflict; please supply distinct set of query parameters');
    await h.fails('update', 'identity/lookup/entity', { alias_name: 'bobby' }, 400, "both 'alias_name' and 'alias_mount_accessor' needs to be set");

    const g = await h.data('update', 'identity/group', { name: 'ext', type: 'external' });
    const ga = await h.data('update', 'identity/group-alias', { name: 'devs', mount_accessor: up, canonical_id: g['id'] });
    for (const q of [{ name: 'EXT' }, { id: g['id'] }, { alias_id: ga['id'] }, { alias_name: 'devs', alias_mount_accessor: up }]) {
      assert.equal((await h.data('update', 'identity/lookup/group', q))['id'], g['id'], JSON.stringify(q));
    }
    assert.equal(await h.call('update', 'identity/lookup/group', { id: 'nope' }), undefined);
  }));
