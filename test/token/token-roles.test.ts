/**
 * Token roles: CRUD and listing, replicated storage, and what create/:role_name does with
 * them (allowed/disallowed policies exact and glob, orphan, renewable, period, explicit max,
 * num_uses, path_suffix, batch, entity aliases).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN_ROLES_PREFIX } from '../../src/storage/keys.js';
import { fails, grant, tokenNode, walk } from './node-harness.js';

test('role CRUD, list, and storage under the replicated roles prefix', async () => {
  const t = await tokenNode();
  try {
    assert.equal(await t.call('list', 'auth/token/roles/'), undefined);
    assert.equal(await t.call('update', 'auth/token/roles/web', { allowed_policies: 'B, a', path_suffix: 'v1', bound_cidrs: '10.0.0.0/8' }), undefined);
    const read = (await t.call('read', 'auth/token/roles/web'))!.data!;
    assert.deepEqual(read, {
      allowed_entity_aliases: [],
      allowed_policies: ['a', 'b'],
      allowed_policies_glob: [],
      bound_cidrs: ['10.0.0.0/8'],
      disallowed_policies: [],
      disallowed_policies_glob: [],
      explicit_max_ttl: 0,
      name: 'web',
      orphan: false,
      path_suffix: 'v1',
      period: 0,
      renewable: true,
      token_bound_cidrs: ['10.0.0.0/8'],
      token_explicit_max_ttl: 0,
      token_no_default_policy: false,
      token_num_uses: 0,
      token_period: 0,
      token_type: 'default-service',
    });
    // An update keeps what it does not send; the current field supersedes the legacy one.
    await t.call('update', 'auth/token/roles/web', { token_period: '1h', orphan: true });
    const updated = (await t.call('read', 'auth/token/roles/web'))!.data!;
    assert.equal(updated['token_period'], 3600);
    assert.equal(updated['period'], 0);
    assert.equal(updated['orphan'], true);
    assert.deepEqual(updated['allowed_policies'], ['a', 'b']);
    await t.call('update', 'auth/token/roles/old', { period: 60 });
    assert.equal((await t.call('read', 'auth/token/roles/old'))!.data!['period'], 60);
    assert.equal((await t.call('read', 'auth/token/roles/old'))!.data!['token_period'], 60);

    assert.deepEqual((await t.call('list', 'auth/token/roles/'))!.data, { keys: ['old', 'web'] });
    const keys = await walk(t.physical);
    const roleKeys = keys.filter((k) => k.startsWith(TOKEN_ROLES_PREFIX));
    assert.deepEqual(roleKeys, [`${TOKEN_ROLES_PREFIX}old`, `${TOKEN_ROLES_PREFIX}web`]);
    for (const k of roleKeys) assert.equal(t.node.core.classifier.classify(k), 'replicated');
    assert.ok(keys.filter((k) => k.startsWith('sys/token/') && !k.startsWith(TOKEN_ROLES_PREFIX)).every((k) => t.node.core.classifier.classify(k) === 'local'));

    assert.equal(await t.call('delete', 'auth/token/roles/web'), undefined);
    assert.equal(await t.call('read', 'auth/token/roles/web'), undefined);
    await assert.rejects(t.call('update', 'auth/token/create/web', {}), fails(400, 'unknown role web'));
  } finally {
    await t.close();
  }
});

test('invalid role input is rejected with nothing stored', async () => {
  const t = await tokenNode();
  try {
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ token_type: 'weird' }, `invalid 'token_type' value "weird"`],
      [{ path_suffix: 'a/../b' }, 'error registering path suffix: path cannot contain parent references'],
      [{ token_bound_cidrs: '10.0.0.0/33' }, /10\.0\.0\.0\/33/],
      [{ token_num_uses: -1 }, '"token_num_uses" cannot be negative'],
      [{ token_type: 'batch', orphan: true }, "'token_type' cannot be 'batch' when role is set to generate renewable tokens"],
      [{ token_type: 'batch', renewable: false }, "'token_type' cannot be 'batch' when role is set to generate non-orphan tokens"],
      [{ token_type: 'batch', renewable: false, orphan: true, token_period: 10 }, "'token_type' cannot be 'batch' when role is set to generate periodic tokens"],
    ];
    for (const [data, message] of cases) {
      await assert.rejects(t.call('update', 'auth/token/roles/bad', data), fails(400, message), JSON.stringify(data));
    }
    assert.equal(await t.call('read', 'auth/token/roles/bad'), undefined);
  } finally {
    await t.close();
  }
});

test('allowed and disallowed policies, exact and glob', async () => {
  const t = await tokenNode();
  try {
    await t.call('update', 'auth/token/roles/r', { allowed_policies: 'a,b', disallowed_policies: 'x' });
    const none = await t.call('update', 'auth/token/create/r', {});
    assert.deepEqual(none!.auth!.policies, ['a', 'b', 'default'], "no policies asked: the role's allowed set plus default");
    assert.deepEqual((await t.call('update', 'auth/token/create/r', { policies: 'a' }))!.auth!.policies, ['a', 'default']);
    await assert.rejects(
      t.call('update', 'auth/token/create/r', { policies: 'c' }),
      fails(400, `token policies (["c" "default"]) must be subset of the role's allowed policies (["a" "b" "default"])`),
    );
    await t.call('update', 'auth/token/roles/d', { disallowed_policies: 'x,default' });
    await assert.rejects(t.call('update', 'auth/token/create/d', { policies: 'y,x' }), fails(400, 'token policy "x" is disallowed by this role'));
    assert.deepEqual((await t.call('update', 'auth/token/create/d', { policies: 'y' }))!.auth!.policies, ['y'], 'a disallowed default is not added');

    await t.call('update', 'auth/token/roles/g', { allowed_policies_glob: 'app-*', disallowed_policies_glob: '*-admin' });
    assert.deepEqual((await t.call('update', 'auth/token/create/g', { policies: 'app-1' }))!.auth!.policies, ['app-1', 'default']);
    await assert.rejects(t.call('update', 'auth/token/create/g', { policies: 'db' }), fails(400, /must be subset of the role's allowed policies/));
    await assert.rejects(t.call('update', 'auth/token/create/g', { policies: 'app-admin' }), fails(400, 'token policy "app-admin" is disallowed by this role'));
  } finally {
    await t.close();
  }
});

test("a role grants what the caller could not: other policies, orphans, periods; its suffix shows in the path", async () => {
  const t = await tokenNode();
  try {
    await t.policy('caller', grant({ 'auth/token/create/svc': ['update'] }));
    await t.call('update', 'auth/token/roles/svc', {
      allowed_policies: 'svc-read',
      orphan: true,
      token_period: '10m',
      path_suffix: 'v2',
      token_num_uses: 5,
    });
    const caller = await t.token({ policies: ['caller'] });
    const resp = await t.call('update', 'auth/token/create/svc', {}, caller);
    const auth = resp!.auth!;
    assert.deepEqual(auth.policies, ['default', 'svc-read']);
    assert.equal(auth.orphan, true);
    assert.equal(auth.leaseDuration, 600);
    assert.equal(auth.numUses, 5);
    const info = (await t.call('update', 'auth/token/lookup', { token: auth.clientToken }))!.data!;
    assert.equal(info['path'], 'auth/token/create/svc/v2');
    assert.equal(info['role'], 'svc');
    assert.equal(info['period'], 600);
    // Without the role the same caller gets none of it.
    await t.policy('caller2', grant({ 'auth/token/create': ['update'] }));
    const c2 = await t.token({ policies: ['caller2'] });
    await assert.rejects(t.call('update', 'auth/token/create', { policies: ['svc-read'] }, c2), fails(400, 'child policies must be subset of parent'));
    // The lesser explicit max wins, with Vault's warning; num_uses likewise.
    await t.call('update', 'auth/token/roles/capped', { token_explicit_max_ttl: 100, renewable: false, token_num_uses: 3 });
    const capped = await t.call('update', 'auth/token/create/capped', { explicit_max_ttl: 200, num_uses: 10 });
    assert.equal(capped!.auth!.leaseDuration, 100);
    assert.equal(capped!.auth!.renewable, false);
    assert.equal(capped!.auth!.numUses, 3);
    assert.ok(capped!.warnings?.includes('Explicit max TTL specified both during creation call and in role; using the lesser value of 100 seconds'));
  } finally {
    await t.close();
  }
});

test('batch roles, default-batch, and entity aliases', async () => {
  const t = await tokenNode();
  try {
    await t.call('update', 'auth/token/roles/b', { token_type: 'batch', orphan: true, renewable: false, allowed_policies: 'p' });
    const b = await t.call('update', 'auth/token/create/b', { type: 'service' });
    assert.equal(b!.auth!.tokenType, 'batch', 'a batch role overrides the request');
    assert.equal(b!.auth!.orphan, true);
    await t.call('update', 'auth/token/roles/db', { token_type: 'default-batch', allowed_policies: 'p' });
    assert.equal((await t.call('update', 'auth/token/create/db', {}))!.auth!.tokenType, 'batch');
    assert.equal((await t.call('update', 'auth/token/create/db', { type: 'service' }))!.auth!.tokenType, 'service');

    await t.call('update', 'auth/token/roles/e', { allowed_entity_aliases: 'Web-*, exact', allowed_policies: 'p' });
    const withAlias = await t.call('update', 'auth/token/create/e', { entity_alias: 'web-42' });
    assert.match(withAlias!.auth!.entityId, /^[0-9a-f-]{36}$/, 'the alias resolves to an entity');
    const entry = await t.node.core.tokens.lookup(withAlias!.auth!.clientToken);
    assert.equal(entry!.entry.entityAlias, 'web-42');
    await assert.rejects(t.call('update', 'auth/token/create/e', { entity_alias: 'db' }), fails(400, "invalid 'entity_alias' value"));
  } finally {
    await t.close();
  }
});
