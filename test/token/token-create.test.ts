/**
 * auth/token/create and friends through the pipeline of an in-process node: the auth block,
 * the lookups, Vault's policy rules (subset of the parent, sudo-only options, root only from
 * root) and its error texts for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findOverlapDetails } from '../../src/framework/index.js';
import { tokenPaths } from '../../src/token/token-backend.js';
import { tokenDisplayName } from '../../src/token/token-create.js';
import { TokenStore } from '../../src/token/token-store.js';
import { FakeClock } from '../../src/clock.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { fails, grant, tokenNode } from './node-harness.js';

test('the token path table has no overlapping patterns', () => {
  const deps = { tokens: new TokenStore(new MemoryStorage(), new FakeClock()) };
  assert.deepEqual(findOverlapDetails(tokenPaths(deps, () => 0)), []);
});

test('create answers with the auth block; lookup, GET lookup, lookup-self and lookup-accessor agree', async () => {
  const t = await tokenNode();
  try {
    const resp = await t.call('update', 'auth/token/create', { policies: 'dev', meta: { team: 'a' }, display_name: 'my app!' });
    const auth = resp!.auth!;
    assert.match(auth.clientToken, /^s\.[0-9A-Za-z]{24}$/);
    assert.match(auth.accessor, /^[0-9A-Za-z]{24}$/);
    assert.deepEqual(auth.policies, ['default', 'dev']);
    assert.deepEqual(auth.tokenPolicies, ['default', 'dev']);
    assert.deepEqual(auth.metadata, { team: 'a' });
    assert.equal(auth.leaseDuration, 3600);
    assert.equal(auth.renewable, true);
    assert.equal(auth.orphan, false);
    assert.equal(auth.tokenType, 'service');
    assert.equal(auth.numUses, 0);
    assert.equal(auth.entityId, '');
    assert.deepEqual(resp!.warnings, ['Policy "dev" does not exist']);

    const now = t.clock.now();
    const looked = (await t.call('update', 'auth/token/lookup', { token: auth.clientToken }))!.data!;
    assert.equal(looked['id'], auth.clientToken);
    assert.equal(looked['accessor'], auth.accessor);
    assert.equal(looked['display_name'], 'token-my-app');
    assert.equal(looked['path'], 'auth/token/create');
    assert.deepEqual(looked['policies'], ['default', 'dev']);
    assert.deepEqual(looked['meta'], { team: 'a' });
    assert.equal(looked['ttl'], 3600);
    assert.equal(looked['creation_ttl'], 3600);
    assert.equal(looked['creation_time'], Math.floor(now / 1000));
    assert.equal(looked['expire_time'], new Date(now + 3_600_000).toISOString().replace('.000Z', 'Z'));
    assert.equal(looked['issue_time'], new Date(now).toISOString().replace('.000Z', 'Z'));
    assert.equal(looked['orphan'], false);
    assert.equal(looked['renewable'], true);
    assert.equal(looked['type'], 'service');
    assert.equal(looked['num_uses'], 0);
    assert.equal(looked['explicit_max_ttl'], 0);
    assert.equal(looked['entity_id'], '');

    const viaGet = (await t.call('read', 'auth/token/lookup', { token: auth.clientToken }))!.data!;
    assert.deepEqual(viaGet, looked);
    assert.deepEqual((await t.call('read', 'auth/token/lookup-self', {}, auth.clientToken))!.data, looked);
    const byAccessor = (await t.call('update', 'auth/token/lookup-accessor', { accessor: auth.accessor }))!.data!;
    assert.deepEqual(byAccessor, { ...looked, id: '' });

    await assert.rejects(t.call('update', 'auth/token/lookup', { token: 's.nope' }), fails(403, 'bad token'));
    await assert.rejects(t.call('update', 'auth/token/lookup-accessor', { accessor: 'nope' }), fails(400, 'invalid accessor'));
    await assert.rejects(t.call('update', 'auth/token/lookup-accessor', {}), fails(400, 'missing accessor'));
  } finally {
    await t.close();
  }
});

test("Vault's display-name sanitising", () => {
  assert.equal(tokenDisplayName(''), 'token');
  assert.equal(tokenDisplayName('web'), 'token-web');
  assert.equal(tokenDisplayName('a b.c'), 'token-a-b-c');
  assert.equal(tokenDisplayName('x!'), 'token-x');
});

test('a non-sudo caller may only hand out a subset of its own policies', async () => {
  const t = await tokenNode();
  try {
    await t.policy('dev', grant({ 'auth/token/create': ['update'], 'auth/token/create-orphan': ['update'] }));
    await t.policy('ops', grant({ 'secret/*': ['read'] }));
    const dev = await t.token({ policies: 'dev,ops' });

    const same = await t.call('update', 'auth/token/create', { policies: ['dev'] }, dev);
    assert.deepEqual(same!.auth!.policies, ['default', 'dev'], 'default added because the parent has it');
    const inherited = await t.call('update', 'auth/token/create', {}, dev);
    assert.deepEqual(inherited!.auth!.policies, ['default', 'dev', 'ops']);
    const noDefault = await t.call('update', 'auth/token/create', { policies: ['ops'], no_default_policy: true }, dev);
    assert.deepEqual(noDefault!.auth!.policies, ['ops']);

    await assert.rejects(t.call('update', 'auth/token/create', { policies: ['admin'] }, dev), fails(400, 'child policies must be subset of parent'));
    await assert.rejects(t.call('update', 'auth/token/create', { policies: ['root'] }, dev), fails(400, 'child policies must be subset of parent'));
    await assert.rejects(t.call('update', 'auth/token/create', { no_parent: true }, dev), fails(400, 'root or sudo privileges required to create orphan token'));
    await assert.rejects(t.call('update', 'auth/token/create', { id: 'chosen' }, dev), fails(400, 'root or sudo privileges required to specify token id'));
    await assert.rejects(t.call('update', 'auth/token/create', { period: '1h' }, dev), fails(400, 'root or sudo privileges required to create periodic token'));

    // create-orphan needs no sudo: it is ACL'd on its own path.
    const orphan = await t.call('update', 'auth/token/create-orphan', { policies: ['ops'] }, dev);
    assert.equal(orphan!.auth!.orphan, true);
    // The ACL still applies: no policy grants auth/token/create/<role>.
    await assert.rejects(t.call('update', 'auth/token/create/anything', {}, dev), fails(403, 'permission denied'));
  } finally {
    await t.close();
  }
});

test('sudo lifts the subset rule and unlocks no_parent, id and period; root still needs a root parent', async () => {
  const t = await tokenNode();
  try {
    await t.policy('admin', grant({ 'auth/token/create': ['update', 'sudo'] }));
    const admin = await t.token({ policies: ['admin'] });
    const any = await t.call('update', 'auth/token/create', { policies: ['whatever'], no_parent: true, period: '10m' }, admin);
    assert.deepEqual(any!.auth!.policies, ['default', 'whatever']);
    assert.equal(any!.auth!.orphan, true);
    assert.equal(any!.auth!.leaseDuration, 600);
    const chosen = await t.call('update', 'auth/token/create', { id: 'my-chosen-id', policies: ['x'] }, admin);
    assert.equal(chosen!.auth!.clientToken, 'my-chosen-id');
    assert.equal((await t.call('read', 'auth/token/lookup-self', {}, 'my-chosen-id'))!.data!['id'], 'my-chosen-id');
    await assert.rejects(t.call('update', 'auth/token/create', { id: 'my-chosen-id' }, admin), fails(400, 'cannot create a token with a duplicate ID'));
    await assert.rejects(t.call('update', 'auth/token/create', { id: 's.abc' }), fails(400, "custom token ID cannot have the 's.' prefix"));
    await assert.rejects(t.call('update', 'auth/token/create', { id: 'b.abc' }), fails(400, /cannot have a '\.'/));
    await assert.rejects(
      t.call('update', 'auth/token/create', { policies: ['root'] }, admin),
      fails(400, 'root tokens may not be created without parent token being root'),
    );
  } finally {
    await t.close();
  }
});

test('root children: root policy from root, no TTL unless asked; expiring roots make no eternal roots', async () => {
  const t = await tokenNode();
  try {
    const eternal = await t.call('update', 'auth/token/create', {});
    assert.deepEqual(eternal!.auth!.policies, ['root']);
    assert.equal(eternal!.auth!.leaseDuration, 0);
    assert.equal(eternal!.auth!.renewable, false);
    const lookup = (await t.call('read', 'auth/token/lookup-self', {}, eternal!.auth!.clientToken))!.data!;
    assert.equal(lookup['expire_time'], null);
    assert.equal(lookup['ttl'], 0);

    const bounded = await t.call('update', 'auth/token/create', { explicit_max_ttl: '5m' });
    assert.equal(bounded!.auth!.leaseDuration, 300, 'a root token is still bound by its explicit max TTL');

    const expiring = await t.token({ ttl: '10m' });
    await assert.rejects(t.call('update', 'auth/token/create', {}, expiring), fails(400, 'expiring root tokens cannot create non-expiring root tokens'));
    assert.equal((await t.call('update', 'auth/token/create', { ttl: '1m' }, expiring))!.auth!.leaseDuration, 60);
  } finally {
    await t.close();
  }
});

test("bad input gets Vault's 400s and creates nothing", async () => {
  const t = await tokenNode();
  try {
    const before = (await t.call('list', 'auth/token/accessors/'))!.data!['keys'] as string[];
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ num_uses: -1 }, 'number of uses cannot be negative'],
      [{ ttl: 'soon' }, /^error converting input soon for field "ttl"/],
      [{ ttl: '-5s' }, 'ttl must be positive'],
      [{ explicit_max_ttl: '-1' }, 'explicit_max_ttl must be positive'],
      [{ period: '-1h' }, 'period must be positive'],
      [{ type: 'weird' }, "invalid 'token_type' value"],
      [{ policies: ['response-wrapping'] }, 'cannot assign policy "response-wrapping"'],
      [{ num_uses: 'many' }, /^error converting input many for field "num_uses"/],
      [{ entity_alias: 'web' }, "'entity_alias' is only allowed in combination with token role"],
      [{ id: { not: 'a string' } }, /<redacted>/],
    ];
    for (const [data, message] of cases) {
      await assert.rejects(t.call('update', 'auth/token/create', data), fails(400, message), JSON.stringify(data));
    }
    await assert.rejects(t.call('update', 'auth/token/create/nope', {}), fails(400, 'unknown role nope'));
    const after = (await t.call('list', 'auth/token/accessors/'))!.data!['keys'] as string[];
    assert.deepEqual(after, before);
  } finally {
    await t.close();
  }
});

test('a revoked token gets 403 everywhere, including lookup-self', async () => {
  const t = await tokenNode();
  try {
    const tok = await t.token({ policies: ['default'] });
    assert.ok(await t.call('read', 'auth/token/lookup-self', {}, tok));
    await t.call('update', 'auth/token/revoke', { token: tok });
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, tok), fails(403, 'permission denied'));
    await assert.rejects(t.call('update', 'auth/token/renew-self', {}, tok), fails(403, 'permission denied'));
    await assert.rejects(t.call('update', 'auth/token/lookup', { token: tok }), fails(403, 'bad token'));
  } finally {
    await t.close();
  }
});
