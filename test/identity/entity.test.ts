/** identity/entity: CRUD by id and name, lists, batch delete and merge, with Vault's errors. */
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

test('create answers id, name and aliases; read has Vault\'s shape', () =>
  withNode(async (h) => {
    const created = await h.data('update', 'identity/entity', { name: 'bob', metadata: { team: 'ops' }, policies: ['b', 'a', 'a'] });
    assert.equal(typeof created['id'], 'string');
    assert.equal(created['name'], 'bob');
    assert.equal(created['aliases'], null);
    const e = await h.data('read', `identity/entity/id/${created['id']}`);
    assert.equal(e['id'], created['id']);
    assert.equal(e['name'], 'bob');
    assert.deepEqual(e['metadata'], { team: 'ops' });
    assert.deepEqual(e['policies'], ['a', 'b']);
    assert.equal(e['disabled'], false);
    assert.equal(e['namespace_id'], 'root');
    assert.equal(e['creation_time'], '2026-01-01T00:00:00Z');
    assert.equal(e['last_update_time'], '2026-01-01T00:00:00Z');
    assert.equal(e['merged_entity_ids'], null);
    assert.deepEqual(e['aliases'], []);
    assert.deepEqual(e['direct_group_ids'], []);
    assert.deepEqual(e['inherited_group_ids'], []);
    assert.deepEqual(e['group_ids'], []);
  }));

test('an unnamed entity gets entity_<8 hex>; metadata accepts key=value pairs', () =>
  withNode(async (h) => {
    const created = await h.data('update', 'identity/entity', { metadata: ['a=1', 'b=x=y'] });
    assert.match(String(created['name']), /^entity_[0-9a-f]{8}$/);
    const e = await h.data('read', `identity/entity/id/${created['id']}`);
    assert.deepEqual(e['metadata'], { a: '1', b: 'x=y' });
  }));

test('writing an existing name updates that entity and answers 204', () =>
  withNode(async (h) => {
    const { id } = await h.data('update', 'identity/entity', { name: 'bob', policies: ['p1'] });
    h.clock.advance(5000);
    assert.equal(await h.call('update', 'identity/entity', { name: 'BOB', policies: 'p2,p3' }), undefined);
    const e = await h.data('read', `identity/entity/id/${id}`);
    assert.deepEqual(e['policies'], ['p2', 'p3']);
    assert.equal(e['name'], 'BOB', 'names match case-insensitively; the write sets the new spelling');
    assert.equal(e['last_update_time'], '2026-01-01T00:00:05Z');
    assert.equal(e['creation_time'], '2026-01-01T00:00:00Z');
    assert.deepEqual((await h.data('list', 'identity/entity/id'))['keys'], [id]);
  }));

test('update by id renames; a taken name, an unknown id and root policies are refused', () =>
  withNode(async (h) => {
    const a = await h.data('update', 'identity/entity', { name: 'alice' });
    await h.data('update', 'identity/entity', { name: 'bob' });
    assert.equal(await h.call('update', `identity/entity/id/${a['id']}`, { name: 'carol', disabled: true }), undefined);
    const e = await h.data('read', 'identity/entity/name/carol');
    assert.equal(e['id'], a['id']);
    assert.equal(e['disabled'], true);
    assert.equal(await h.call('read', 'identity/entity/name/alice'), undefined);
    await h.fails('update', `identity/entity/id/${a['id']}`, { name: 'bob' }, 400, 'entity name is already in use');
    await h.fails('update', 'identity/entity', { id: 'nope', name: 'x' }, 400, 'entity not found from id');
    await h.fails('update', 'identity/entity', { id: '../x/y', name: 'x' }, 400, 'entity not found from id');
    await h.fails('update', 'identity/group', { name: 'g', member_entity_ids: ['a/b'], member_group_ids: ['c/d'] }, 400, 'invalid entity ID "a/b"');
    await h.fails('update', 'identity/entity/merge', { to_entity_id: a['id'], from_entity_ids: ['a/b'] }, 400, 'entity id to merge from is invalid');
    await h.fails('update', 'identity/entity/id/nope', { name: 'x' }, 400, 'entity not found from id');
    await h.fails('update', 'identity/entity', { name: 'x', policies: ['default', 'root'] }, 400, 'policies cannot contain root');
    await h.fails('update', 'identity/entity', { metadata: 5 }, 400);
    assert.equal(await h.call('read', 'identity/entity/name/x'), undefined, 'a refused write creates nothing');
  }));

test('entity/name creates, reads, updates and deletes by name', () =>
  withNode(async (h) => {
    const created = await h.data('update', 'identity/entity/name/svc-1', { policies: ['a'] });
    assert.equal(created['name'], 'svc-1');
    assert.equal(await h.call('update', 'identity/entity/name/svc-1', { policies: ['b'] }), undefined);
    assert.deepEqual((await h.data('read', 'identity/entity/name/svc-1'))['policies'], ['b']);
    assert.deepEqual((await h.data('list', 'identity/entity/name'))['keys'], ['svc-1']);
    assert.equal(await h.call('delete', 'identity/entity/name/svc-1'), undefined);
    assert.equal(await h.call('read', `identity/entity/id/${created['id']}`), undefined);
    assert.equal(await h.call('list', 'identity/entity/name'), undefined, 'an empty list is a 404');
    assert.equal(await h.call('delete', 'identity/entity/name/svc-1'), undefined, 'deletes are idempotent');
  }));

test('LIST entity/id carries names and aliases in key_info', () =>
  withNode(async (h) => {
    const accessor = await h.enableAuth('userpass', 'userpass');
    const a = await h.data('update', 'identity/entity', { name: 'a' });
    const b = await h.data('update', 'identity/entity', { name: 'b' });
    const alias = await h.data('update', 'identity/entity-alias', { name: 'al', mount_accessor: accessor, canonical_id: a['id'] });
    const list = await h.data('list', 'identity/entity/id');
    assert.deepEqual(list['keys'], [a['id'], b['id']].sort());
    const info = list['key_info'] as Record<string, Record<string, unknown>>;
    assert.deepEqual(info[String(b['id'])], { name: 'b' });
    assert.deepEqual(info[String(a['id'])], {
      name: 'a',
      aliases: [{ id: alias['id'], name: 'al', mount_accessor: accessor, mount_path: 'auth/userpass/', mount_type: 'userpass' }],
    });
  }));

test('deleting entities removes their aliases and group memberships', () =>
  withNode(async (h) => {
    const accessor = await h.enableAuth('userpass', 'userpass');
    const a = await h.data('update', 'identity/entity', { name: 'a' });
    const b = await h.data('update', 'identity/entity', { name: 'b' });
    const c = await h.data('update', 'identity/entity', { name: 'c' });
    const alias = await h.data('update', 'identity/entity-alias', { name: 'al', mount_accessor: accessor, canonical_id: a['id'] });
    const g = await h.data('update', 'identity/group', { name: 'g', member_entity_ids: [a['id'], b['id'], c['id']] });
    await h.call('delete', `identity/entity/id/${a['id']}`);
    assert.equal(await h.call('read', `identity/entity-alias/id/${alias['id']}`), undefined);
    assert.deepEqual((await h.data('read', `identity/group/id/${g['id']}`))['member_entity_ids'], [b['id'], c['id']].sort());
    assert.equal(await h.call('update', 'identity/entity/batch-delete', { entity_ids: [b['id'], c['id'], 'unknown'] }), undefined);
    assert.equal(await h.call('list', 'identity/entity/id'), undefined);
    assert.deepEqual((await h.data('read', `identity/group/id/${g['id']}`))['member_entity_ids'], []);
    assert.equal(h.node.core.identity.index.aliasByFactors(accessor, 'al'), undefined, 'the alias factors are free again');
  }));

test('merge moves aliases and groups, records merged ids and deletes the sources', () =>
  withNode(async (h) => {
    const up = await h.enableAuth('userpass', 'userpass');
    const ar = await h.enableAuth('approle', 'approle');
    const to = await h.data('update', 'identity/entity', { name: 'to' });
    const from = await h.data('update', 'identity/entity', { name: 'from' });
    const toAlias = await h.data('update', 'identity/entity-alias', { name: 't', mount_accessor: up, canonical_id: to['id'] });
    const fromAlias = await h.data('update', 'identity/entity-alias', { name: 'f', mount_accessor: ar, canonical_id: from['id'] });
    const g = await h.data('update', 'identity/group', { name: 'g', member_entity_ids: [from['id']] });

    await h.fails('update', 'identity/entity/merge', { from_entity_ids: [from['id']] }, 400, 'missing entity id to merge to');
    await h.fails('update', 'identity/entity/merge', { to_entity_id: to['id'] }, 400, 'missing entity ids to merge from');
    await h.fails('update', 'identity/entity/merge', { to_entity_id: 'nope', from_entity_ids: [from['id']] }, 400, 'entity id to merge to is invalid');
    await h.fails('update', 'identity/entity/merge', { to_entity_id: to['id'], from_entity_ids: ['nope'] }, 400, 'entity id to merge from is invalid');
    await h.fails('update', 'identity/entity/merge', { to_entity_id: to['id'], from_entity_ids: [to['id']] }, 400, 'to_entity_id should not be present in from_entity_ids');

    assert.equal(await h.call('update', 'identity/entity/merge', { to_entity_id: to['id'], from_entity_ids: [from['id']], force: true }), undefined);
    assert.equal(await h.call('read', `identity/entity/id/${from['id']}`), undefined);
    const merged = await h.data('read', `identity/entity/id/${to['id']}`);
    assert.deepEqual(merged['merged_entity_ids'], [from['id']]);
    const aliases = merged['aliases'] as Record<string, unknown>[];
    assert.deepEqual(aliases.map((a) => a['id']).sort(), [toAlias['id'], fromAlias['id']].sort());
    const moved = await h.data('read', `identity/entity-alias/id/${fromAlias['id']}`);
    assert.equal(moved['canonical_id'], to['id']);
    assert.deepEqual(moved['merged_from_canonical_ids'], [from['id']]);
    assert.deepEqual((await h.data('read', `identity/group/id/${g['id']}`))['member_entity_ids'], [to['id']]);
    assert.deepEqual(merged['direct_group_ids'], [g['id']]);
    // A token naming the merged entity resolves to the target.
    assert.equal(h.node.core.identity.resolve(String(from['id']))?.entity.id, to['id']);
  }));

test('merging aliases on the same mount needs conflicting_alias_ids_to_keep', () =>
  withNode(async (h) => {
    const up = await h.enableAuth('userpass', 'userpass');
    const to = await h.data('update', 'identity/entity', { name: 'to' });
    const from = await h.data('update', 'identity/entity', { name: 'from' });
    const other = await h.data('update', 'identity/entity', { name: 'other' });
    const toAlias = await h.data('update', 'identity/entity-alias', { name: 't', mount_accessor: up, canonical_id: to['id'] });
    const fromAlias = await h.data('update', 'identity/entity-alias', { name: 'f', mount_accessor: up, canonical_id: from['id'] });
    await h.fails(
      'update',
      'identity/entity/merge',
      { to_entity_id: to['id'], from_entity_ids: [from['id']] },
      400,
      `conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: ${fromAlias['id']}, ${toAlias['id']}`,
    );
    assert.ok((await h.call('read', `identity/entity/id/${from['id']}`)) !== undefined, 'a refused merge changes nothing');
    await h.fails('update', 'identity/entity/merge', { to_entity_id: to['id'], from_entity_ids: [from['id'], other['id']], conflicting_alias_ids_to_keep: [fromAlias['id']] }, 400);

    await h.call('update', 'identity/entity/merge', { to_entity_id: to['id'], from_entity_ids: [from['id']], conflicting_alias_ids_to_keep: fromAlias['id'] });
    assert.equal(await h.call('read', `identity/entity-alias/id/${toAlias['id']}`), undefined, 'the alias not kept is deleted');
    const merged = await h.data('read', `identity/entity/id/${to['id']}`);
    assert.deepEqual((merged['aliases'] as Record<string, unknown>[]).map((a) => a['id']), [fromAlias['id']]);
  }));
