/**
 * Identity through the pipeline: logins create or reuse entities, identity policies apply at
 * request time, disabled entities are blocked, templated policies, storage classes, reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDENTITY_PREFIX, LOCAL_IDENTITY_PREFIX } from '../../src/storage/keys.js';
import { grant, identityNode, type IdentityNode } from './harness.js';

async function withNode(fn: (h: IdentityNode) => Promise<void>): Promise<void> {
  const h = await identityNode();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

async function addUser(h: IdentityNode, name: string, policies: readonly string[] = [], mount = 'userpass'): Promise<void> {
  await h.call('update', `auth/${mount}/users/${name}`, { password: 'pw-' + name, token_policies: policies });
}

test('userpass logins create one entity per alias and reuse it', () =>
  withNode(async (h) => {
    const accessor = await h.enableAuth('userpass', 'userpass');
    await addUser(h, 'bob');
    const first = await h.userpassLogin('bob', 'pw-bob');
    assert.ok(first.entityId !== '');
    const second = await h.userpassLogin('bob', 'pw-bob');
    assert.equal(second.entityId, first.entityId);
    const entity = await h.data('read', `identity/entity/id/${first.entityId}`);
    assert.match(String(entity['name']), /^entity_[0-9a-f]{8}$/);
    const aliases = entity['aliases'] as Record<string, unknown>[];
    assert.equal(aliases.length, 1);
    assert.equal(aliases[0]!['name'], 'bob');
    assert.equal(aliases[0]!['mount_accessor'], accessor);
    assert.equal(aliases[0]!['mount_path'], 'auth/userpass/');
    assert.deepEqual((await h.data('list', 'identity/entity/id'))['keys'], [first.entityId]);
    // The token itself carries the entity id.
    const self = await h.data('read', 'auth/token/lookup-self', {}, first.clientToken);
    assert.equal(self['entity_id'], first.entityId);
    await addUser(h, 'alice');
    assert.notEqual((await h.userpassLogin('alice', 'pw-alice')).entityId, first.entityId);
  }));

test('approle logins map the role id to one entity with the secret id metadata', () =>
  withNode(async (h) => {
    const accessor = await h.enableAuth('approle', 'approle');
    await h.call('update', 'auth/approle/role/web', { token_policies: ['p'] });
    const roleId = String((await h.data('read', 'auth/approle/role/web/role-id'))['role_id']);
    const login = async (): Promise<string> => {
      const sid = String((await h.data('update', 'auth/approle/role/web/secret-id', { metadata: '{"env":"prod"}' }))['secret_id']);
      const r = await h.call('update', 'auth/approle/login', { role_id: roleId, secret_id: sid }, '');
      assert.ok(r?.auth);
      return r.auth.entityId;
    };
    const a = await login();
    const b = await login();
    assert.ok(a !== '');
    assert.equal(a, b);
    const alias = h.node.core.identity.index.aliasByFactors(accessor, roleId);
    assert.equal(alias?.canonicalId, a);
    assert.deepEqual(alias?.metadata, { env: 'prod', role_name: 'web' });
  }));

test('identity policies: reported at login, granted at request time, revoked without re-login', () =>
  withNode(async (h) => {
    const accessor = await h.enableAuth('userpass', 'userpass');
    await h.policy('kv-read', grant({ 'secret/data/shared': ['read'] }));
    await h.policy('entity-pol', grant({ 'secret/data/mine': ['read'], 'auth/token/create': ['update'] }));
    await h.call('update', 'secret/data/shared', { data: { v: 1 } });
    await h.call('update', 'secret/data/mine', { data: { v: 2 } });
    await addUser(h, 'bob', ['base']);
    // An entity (with a policy) and alias made ahead of the first login.
    const e = await h.data('update', 'identity/entity', { name: 'bob-entity', policies: ['entity-pol'] });
    await h.call('update', 'identity/entity-alias', { name: 'bob', mount_accessor: accessor, canonical_id: e['id'] });
    const g = await h.data('update', 'identity/group', { name: 'readers', policies: ['kv-read'], member_entity_ids: [e['id']] });

    const auth = await h.userpassLogin('bob', 'pw-bob');
    assert.equal(auth.entityId, e['id']);
    assert.deepEqual(auth.tokenPolicies, ['base', 'default']);
    assert.deepEqual(auth.identityPolicies, ['entity-pol', 'kv-read']);
    assert.deepEqual(auth.policies, ['base', 'default', 'entity-pol', 'kv-read']);
    const t = auth.clientToken;
    assert.deepEqual((await h.data('read', 'secret/data/shared', {}, t))['data'], { v: 1 });
    assert.deepEqual((await h.data('read', 'secret/data/mine', {}, t))['data'], { v: 2 });

    // The group loses its policy: the same token loses access at once.
    await h.call('update', `identity/group/id/${g['id']}`, { policies: [] });
    await h.fails('read', 'secret/data/shared', {}, 403, 'permission denied', t);
    assert.deepEqual((await h.data('read', 'secret/data/mine', {}, t))['data'], { v: 2 });
    // And gets it back through another group it joins later.
    await h.call('update', 'identity/group', { name: 'late', policies: ['kv-read'], member_entity_ids: [e['id']] });
    assert.deepEqual((await h.data('read', 'secret/data/shared', {}, t))['data'], { v: 1 });
    // A child token of the entity's token shares its entity, so it gets the group policy too.
    const child = await h.call('update', 'auth/token/create', { policies: ['default'] }, t);
    assert.equal(child?.auth?.entityId, e['id']);
    assert.deepEqual((await h.data('read', 'secret/data/shared', {}, child!.auth!.clientToken))['data'], { v: 1 });
    // Deleting the entity leaves the token with its own policies only.
    await h.call('delete', `identity/entity/id/${e['id']}`);
    await h.fails('read', 'secret/data/shared', {}, 403, 'permission denied', t);
  }));

test('a disabled entity blocks its tokens and its logins until re-enabled', () =>
  withNode(async (h) => {
    await h.enableAuth('userpass', 'userpass');
    await addUser(h, 'bob');
    const auth = await h.userpassLogin('bob', 'pw-bob');
    await h.data('read', 'auth/token/lookup-self', {}, auth.clientToken);
    await h.call('update', `identity/entity/id/${auth.entityId}`, { disabled: true });
    await h.fails('read', 'auth/token/lookup-self', {}, 403, 'permission denied', auth.clientToken);
    await h.fails('update', 'auth/userpass/login/bob', { password: 'pw-bob' }, 403, 'permission denied', '');
    await h.call('update', `identity/entity/id/${auth.entityId}`, { disabled: false });
    assert.equal((await h.data('read', 'auth/token/lookup-self', {}, auth.clientToken))['entity_id'], auth.entityId);
  }));

test('templated policies resolve from the caller entity and follow renames', () =>
  withNode(async (h) => {
    await h.enableAuth('userpass', 'userpass');
    await h.policy('own-space', grant({ 'secret/data/{{identity.entity.name}}/*': ['create', 'update', 'read'] }));
    await addUser(h, 'bob', ['own-space']);
    const auth = await h.userpassLogin('bob', 'pw-bob');
    await h.call('update', `identity/entity/id/${auth.entityId}`, { name: 'bob' });
    const t = auth.clientToken;
    await h.call('update', 'secret/data/bob/app', { data: { k: 'v' } }, t);
    assert.deepEqual((await h.data('read', 'secret/data/bob/app', {}, t))['data'], { k: 'v' });
    await h.fails('update', 'secret/data/alice/app', { data: { k: 'v' } }, 403, 'permission denied', t);
    // Renamed: the compiled ACL is dropped and the new name applies.
    await h.call('update', `identity/entity/id/${auth.entityId}`, { name: 'alice' });
    await h.call('update', 'secret/data/alice/app', { data: { k: 'w' } }, t);
    await h.fails('read', 'secret/data/bob/app', {}, 403, 'permission denied', t);
    // The default policy's own templated path: a token may read its own entity.
    assert.equal((await h.data('read', `identity/entity/id/${auth.entityId}`, {}, t))['name'], 'alice');
  }));

test('aliases of local auth mounts are local storage; others replicate', () =>
  withNode(async (h) => {
    await h.enableAuth('userpass', 'userpass');
    await h.enableAuth('local-up', 'userpass', true);
    await addUser(h, 'bob');
    await addUser(h, 'carol', [], 'local-up');
    const rep = await h.userpassLogin('bob', 'pw-bob');
    const loc = await h.userpassLogin('carol', 'pw-carol', 'local-up');
    const ix = h.node.core.identity.index;
    const repAlias = ix.aliasesOf(rep.entityId)[0]!;
    const locAlias = ix.aliasesOf(loc.entityId)[0]!;
    assert.equal(repAlias.local, false);
    assert.equal(locAlias.local, true);
    const classify = (k: string) => h.node.core.classifier.classify(k);
    const keys = [...(await h.physical.list(`${LOCAL_IDENTITY_PREFIX}alias/`))].map((k) => `${LOCAL_IDENTITY_PREFIX}alias/${k}`);
    assert.deepEqual(keys, [`${LOCAL_IDENTITY_PREFIX}alias/${locAlias.id}`]);
    assert.equal(classify(keys[0]!), 'local');
    const repKeys = (await h.physical.list(`${IDENTITY_PREFIX}alias/`)).map((k) => `${IDENTITY_PREFIX}alias/${k}`);
    assert.deepEqual(repKeys, [`${IDENTITY_PREFIX}alias/${repAlias.id}`]);
    assert.equal(classify(repKeys[0]!), 'replicated');
    for (const k of await h.physical.list(`${IDENTITY_PREFIX}entity/`)) assert.equal(classify(`${IDENTITY_PREFIX}entity/${k}`), 'replicated');
    assert.equal((await h.data('read', `identity/entity-alias/id/${locAlias.id}`))['local'], true);
    // Nothing identity writes is stored in plaintext below the barrier.
    const raw = await h.physical.get(keys[0]!);
    assert.ok(raw !== undefined && !raw.toString('latin1').includes('carol'));
  }));

test('the store reloads from storage after seal and unseal', () =>
  withNode(async (h) => {
    await h.enableAuth('userpass', 'userpass');
    await h.policy('kv-read', grant({ 'secret/data/shared': ['read'] }));
    await h.call('update', 'secret/data/shared', { data: { v: 1 } });
    await addUser(h, 'bob');
    const auth = await h.userpassLogin('bob', 'pw-bob');
    const parent = await h.data('update', 'identity/group', { name: 'parent', policies: ['kv-read'] });
    await h.call('update', 'identity/group', { name: 'child', member_entity_ids: [auth.entityId] });
    const child = h.node.core.identity.index.groupByName('child')!;
    await h.call('update', `identity/group/id/${parent['id']}`, { member_group_ids: [child.id] });

    await h.node.core.sealNode();
    assert.equal(h.node.core.identity.index.entities.size, 0);
    await h.node.core.submitUnsealKey(h.unsealKey);
    assert.equal((await h.userpassLogin('bob', 'pw-bob')).entityId, auth.entityId, 'the alias survived');
    assert.deepEqual((await h.data('read', 'secret/data/shared', {}, auth.clientToken))['data'], { v: 1 }, 'inherited group policy after reload');
    assert.deepEqual((await h.data('read', `identity/entity/id/${auth.entityId}`))['inherited_group_ids'], [parent['id']]);
  }));

test('invalidate(key) applies a change that arrived underneath the store', () =>
  withNode(async (h) => {
    const store = h.node.core.identity;
    const e = await h.data('update', 'identity/entity', { name: 'orig' });
    const key = `${IDENTITY_PREFIX}entity/${e['id']}`;
    const barrier = h.node.core.barrier;
    const record = JSON.parse((await barrier.get(key))!.toString('utf8')) as Record<string, unknown>;
    // As replication would: the record changes in storage, then the key is invalidated.
    await barrier.put(key, Buffer.from(JSON.stringify({ ...record, name: 'renamed', policies: ['p'] })));
    assert.equal(store.index.entityByName('orig')?.id, e['id'], 'indexes do not read storage by themselves');
    await store.invalidate(key);
    assert.equal(store.index.entityByName('orig'), undefined);
    assert.equal(store.index.entityByName('renamed')?.id, e['id']);
    assert.deepEqual(store.resolve(String(e['id']))?.policies, ['p']);
    await barrier.delete(key);
    await store.invalidate(key);
    assert.equal(store.index.entities.size, 0);
    assert.equal(await h.call('read', `identity/entity/id/${e['id']}`), undefined);
    await store.invalidate('sys/identity/unrelated/x');
  }));
