/** Token roles with allowed_entity_aliases: create with entity_alias resolves a real entity. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fails, tokenNode } from './node-harness.js';

test('entity_alias on a role creates one entity per alias; lookups show identity policies', async () => {
  const n = await tokenNode();
  try {
    await n.call('update', 'auth/token/roles/svc', { allowed_entity_aliases: ['app-*'], allowed_policies: ['default'] });
    const create = async (alias: string) =>
      (await n.call('update', 'auth/token/create/svc', { entity_alias: alias }))?.auth;
    const a = await create('app-one');
    const b = await create('app-one');
    const c = await create('app-two');
    assert.ok(a?.entityId);
    assert.equal(b?.entityId, a.entityId, 'the same alias maps to the same entity');
    assert.notEqual(c?.entityId, a.entityId);
    await assert.rejects(n.call('update', 'auth/token/create/svc', { entity_alias: 'other' }), fails(400, "invalid 'entity_alias' value"));

    const entity = await n.call('read', `identity/entity/id/${a.entityId}`);
    const aliases = entity?.data?.['aliases'] as { name: string; mount_type: string }[];
    assert.deepEqual(aliases.map((x) => [x.name, x.mount_type]), [['app-one', 'token']]);

    await n.call('update', `identity/entity/id/${a.entityId}`, { policies: ['extra'] });
    const look = await n.call('read', 'auth/token/lookup-self', {}, a.clientToken);
    assert.equal(look?.data?.['entity_id'], a.entityId);
    assert.deepEqual(look?.data?.['identity_policies'], ['extra']);
  } finally {
    await n.close();
  }
});
