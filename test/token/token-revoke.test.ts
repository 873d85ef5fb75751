/**
 * Token trees and revocation through the pipeline: revoke takes the tree, parent expiry kills
 * children, revoke-orphan (sudo) keeps them, accessors (list is sudo-only), limited-use tokens
 * and batch tokens end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fails, grant, tokenNode, walk, type TokenNode } from './node-harness.js';

async function alive(t: TokenNode, token: string): Promise<boolean> {
  try {
    await t.call('update', 'auth/token/lookup', { token });
    return true;
  } catch {
    return false;
  }
}

const CREATOR = grant({ 'auth/token/create': ['update'], 'auth/token/create-orphan': ['update'], 'auth/token/lookup-self': ['read'] });

test('revoking a parent revokes its whole tree; revoke-self and revoke-accessor too', async () => {
  const t = await tokenNode();
  try {
    await t.policy('creator', CREATOR);
    const parent = await t.token({ policies: ['creator'] });
    const child = await t.token({}, parent);
    const grandchild = await t.token({}, child);
    const sibling = await t.token({ policies: ['creator'] });
    assert.equal((await t.call('update', 'auth/token/lookup', { token: child }))!.data!['orphan'], false);

    assert.equal(await t.call('update', 'auth/token/revoke', { token: parent }), undefined);
    assert.equal(await alive(t, parent), false);
    assert.equal(await alive(t, child), false);
    assert.equal(await alive(t, grandchild), false);
    assert.equal(await alive(t, sibling), true);

    const c2 = await t.token({}, sibling);
    await t.call('update', 'auth/token/revoke-self', {}, sibling);
    assert.equal(await alive(t, sibling), false);
    assert.equal(await alive(t, c2), false);

    const byAccessor = await t.call('update', 'auth/token/create', { policies: ['creator'] });
    await t.call('update', 'auth/token/revoke-accessor', { accessor: byAccessor!.auth!.accessor });
    assert.equal(await alive(t, byAccessor!.auth!.clientToken), false);
    await assert.rejects(t.call('update', 'auth/token/revoke-accessor', { accessor: byAccessor!.auth!.accessor }), fails(400, 'invalid accessor'));

    // An unknown token is already revoked: 204, as in Vault.
    assert.equal(await t.call('update', 'auth/token/revoke', { token: 's.doesnotexist00000000000' }), undefined);
    await assert.rejects(t.call('update', 'auth/token/revoke', {}), fails(400, 'missing token ID'));
  } finally {
    await t.close();
  }
});

test("a parent's expiry kills its children, an orphan's does not", async () => {
  const t = await tokenNode();
  try {
    await t.policy('creator', CREATOR);
    const parent = await t.token({ policies: ['creator'], ttl: 100 });
    const child = await t.token({ ttl: 1000 }, parent);
    const orphan = await t.token({ ttl: 1000 }, parent, 'auth/token/create-orphan');
    t.clock.advance(100_000);
    assert.equal(await alive(t, child), false);
    assert.equal(await alive(t, orphan), true);
  } finally {
    await t.close();
  }
});

test('revoke-orphan needs sudo and leaves the children as orphans', async () => {
  const t = await tokenNode();
  try {
    await t.policy('creator', CREATOR);
    await t.policy('half', grant({ 'auth/token/revoke-orphan': ['update'] }));
    await t.policy('full', grant({ 'auth/token/revoke-orphan': ['update', 'sudo'] }));
    const parent = await t.token({ policies: ['creator'] });
    const child = await t.token({}, parent);
    const grandchild = await t.token({}, child);

    const half = await t.token({ policies: ['half'] });
    await assert.rejects(
      t.call('update', 'auth/token/revoke-orphan', { token: parent }, half),
      fails(400, 'root or sudo privileges required to revoke and orphan'),
    );
    const full = await t.token({ policies: ['full'] });
    assert.equal(await t.call('update', 'auth/token/revoke-orphan', { token: parent }, full), undefined);
    assert.equal(await alive(t, parent), false);
    const childInfo = (await t.call('update', 'auth/token/lookup', { token: child }))!.data!;
    assert.equal(childInfo['orphan'], true);
    assert.equal(await alive(t, grandchild), true);
    await assert.rejects(t.call('update', 'auth/token/revoke-orphan', { token: parent }), fails(400, 'token to revoke not found'));
  } finally {
    await t.close();
  }
});

test('LIST accessors needs sudo', async () => {
  const t = await tokenNode();
  try {
    await t.policy('lister', grant({ 'auth/token/accessors': ['list'] }));
    await t.policy('sudo-lister', grant({ 'auth/token/accessors': ['list', 'sudo'] }));
    const a = await t.call('update', 'auth/token/create', { policies: ['lister'] });
    const b = await t.call('update', 'auth/token/create', { policies: ['sudo-lister'] });
    await assert.rejects(t.call('list', 'auth/token/accessors/', {}, a!.auth!.clientToken), fails(403));
    const keys = (await t.call('list', 'auth/token/accessors/', {}, b!.auth!.clientToken))!.data!['keys'] as string[];
    assert.ok(keys.includes(a!.auth!.accessor) && keys.includes(b!.auth!.accessor));
    const root = (await t.call('read', 'auth/token/lookup-self'))!.data!;
    assert.ok(keys.includes(root['accessor'] as string));
    assert.deepEqual([...keys].sort(), keys);
  } finally {
    await t.close();
  }
});

test('num_uses: a limited-use token works exactly N times and cannot make children', async () => {
  const t = await tokenNode();
  try {
    await t.policy('creator', CREATOR);
    const tok = await t.token({ policies: ['creator'], num_uses: 3 });
    const first = (await t.call('read', 'auth/token/lookup-self', {}, tok))!.data!;
    assert.equal(first['num_uses'], 2, 'this request already spent one use');
    await assert.rejects(t.call('update', 'auth/token/create', {}, tok), fails(400, 'restricted use token cannot generate child tokens'));
    const last = (await t.call('read', 'auth/token/lookup-self', {}, tok))!.data!;
    assert.equal(last['num_uses'], 0, 'the third and last use still answers');
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, tok), fails(403), 'three uses spent');
    assert.equal(await alive(t, tok), false, 'the last use revoked it');
  } finally {
    await t.close();
  }
});

test('batch tokens: work, store nothing, make no children, cannot renew or revoke, die with their parent', async () => {
  const t = await tokenNode();
  try {
    await t.policy('creator', CREATOR);
    const before = new Set(await walk(t.physical));
    const resp = await t.call('update', 'auth/token/create', { type: 'batch', policies: ['creator'], ttl: 600 });
    const batch = resp!.auth!.clientToken;
    assert.match(batch, /^b\./);
    assert.equal(resp!.auth!.accessor, '');
    assert.equal(resp!.auth!.tokenType, 'batch');
    assert.equal(resp!.auth!.renewable, false);
    assert.deepEqual([...(await walk(t.physical))].filter((k) => !before.has(k)), [], 'a batch token writes nothing');

    const info = (await t.call('read', 'auth/token/lookup-self', {}, batch))!.data!;
    assert.equal(info['type'], 'batch');
    assert.equal(info['id'], batch);
    assert.equal(info['ttl'], 600);

    await assert.rejects(t.call('update', 'auth/token/create', {}, batch), fails(400, 'batch tokens cannot create more tokens'));
    await assert.rejects(t.call('update', 'auth/token/renew', { token: batch }), fails(400, 'batch tokens cannot be renewed'));
    await assert.rejects(t.call('update', 'auth/token/revoke', { token: batch }), fails(400, 'batch tokens cannot be revoked'));

    await assert.rejects(t.call('update', 'auth/token/create', { type: 'batch', num_uses: 2 }), fails(400, 'batch tokens cannot have "num_uses" set'));
    await assert.rejects(t.call('update', 'auth/token/create', { type: 'batch', period: '1h' }), fails(400, 'batch tokens cannot have "period" set'));
    await assert.rejects(
      t.call('update', 'auth/token/create', { type: 'batch', explicit_max_ttl: '1h' }),
      fails(400, 'batch tokens cannot have "explicit_max_ttl" set'),
    );
    await assert.rejects(t.call('update', 'auth/token/create', { type: 'batch' }), fails(400, 'batch tokens cannot be root tokens'));

    const parent = await t.token({ policies: ['creator'] });
    const child = await t.token({ type: 'batch', policies: ['default'] }, parent);
    assert.equal(await alive(t, child), true);
    await t.call('update', 'auth/token/revoke', { token: parent });
    assert.equal(await alive(t, child), false);
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, child), fails(403));

    t.clock.advance(600_000);
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, batch), fails(403), 'expired at its TTL');
  } finally {
    await t.close();
  }
});
