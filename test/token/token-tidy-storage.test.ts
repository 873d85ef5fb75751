/**
 * auth/token/tidy on a store with expired tokens and dangling index entries, and the storage
 * secrecy rule: no raw token appears in any stored key or (decrypted) value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCESSOR_PREFIX, ID_PREFIX, PARENT_PREFIX } from '../../src/token/token-store.js';
import { TOKEN_PREFIX } from '../../src/storage/keys.js';
import { fails, grant, tokenNode, walk } from './node-harness.js';

test('tidy revokes expired tokens and children of vanished parents, and drops dangling index entries', async () => {
  const t = await tokenNode();
  try {
    await t.policy('creator', grant({ 'auth/token/create': ['update'] }));
    const tokens = t.node.core.tokens;
    const keep = await t.token({ policies: ['creator'], ttl: 1000 });
    const shortLived = await t.token({ ttl: 1000 });
    const parent = await t.token({ policies: ['creator'], ttl: 1000 });
    const child = await t.token({ ttl: 1000 }, parent);
    const keepChild = await t.token({ ttl: 1000 }, keep);

    // A missed expiry (the expiration manager would normally revoke it on time): the stored
    // entry says it expired, nothing removed it.
    const shortHash = tokens.idHash(shortLived);
    const stale = (await tokens.lookupHash(shortHash))!.entry;
    await tokens.storage.putJSON(ID_PREFIX + shortHash, { ...stale, expireTime: t.clock.now() - 1 });

    // Simulate a crash half-way through a revocation: the parent's entry is gone, its
    // accessor and child index are not.
    const parentHash = tokens.idHash(parent);
    await tokens.storage.delete(ID_PREFIX + parentHash);
    const childHash = tokens.idHash(child);
    assert.ok((await tokens.storage.get(ID_PREFIX + childHash)) !== undefined);

    const resp = await t.call('update', 'auth/token/tidy', {});
    // Removed: the vanished parent's own entry in its (root) parent's index, and its accessor.
    assert.deepEqual(resp!.data, { tokens_revoked: 2, parent_index_entries_removed: 1, accessors_removed: 1 });
    assert.equal(await tokens.storage.get(ID_PREFIX + shortHash), undefined, 'expired entry removed');
    assert.equal(await tokens.storage.get(ID_PREFIX + childHash), undefined, 'child of the vanished parent revoked');
    assert.deepEqual(await tokens.storage.list(`${PARENT_PREFIX}${parentHash}/`), []);
    assert.ok(await tokens.lookup(keep));
    assert.ok(await tokens.lookup(keepChild));

    // A dangling child index entry (child entry gone) is removed too.
    const keepHash = tokens.idHash(keep);
    await tokens.storage.delete(ID_PREFIX + tokens.idHash(keepChild));
    const again = await t.call('update', 'auth/token/tidy', {});
    assert.deepEqual(again!.data, { tokens_revoked: 0, parent_index_entries_removed: 1, accessors_removed: 1 });
    assert.deepEqual(await tokens.children(keepHash), []);
    // Every accessor left points at a live token.
    for (const key of await tokens.storage.list(ACCESSOR_PREFIX)) {
      const ref = await tokens.storage.getJSON<{ idHash: string }>(ACCESSOR_PREFIX + key);
      assert.ok((await tokens.storage.get(ID_PREFIX + ref!.idHash)) !== undefined);
    }
    const clean = await t.call('update', 'auth/token/tidy', {});
    assert.deepEqual(clean!.data, { tokens_revoked: 0, parent_index_entries_removed: 0, accessors_removed: 0 });
  } finally {
    await t.close();
  }
});

test('no raw token appears in any stored key or decrypted value', async () => {
  const t = await tokenNode();
  try {
    await t.policy('creator', grant({ 'auth/token/create': ['update'] }));
    const issued: string[] = [];
    const parent = await t.token({ policies: ['creator'], meta: { k: 'v' } });
    issued.push(parent);
    issued.push(await t.token({ ttl: 100 }, parent));
    issued.push(await t.token({ id: 'custom-chosen-token-value' }));
    issued.push(await t.token({ period: 60, policies: ['default'] }));
    issued.push(await t.token({ num_uses: 3, policies: ['default'] }));
    issued.push(await t.token({ type: 'batch', policies: ['default'] }));
    await t.call('update', 'auth/token/roles/r', { allowed_policies: 'x' });
    issued.push(await t.token({}, 'root', 'auth/token/create/r'));
    await t.call('update', 'auth/token/renew', { token: issued[1] });
    await t.call('read', 'auth/token/lookup-self', {}, issued[4]);
    await t.call('update', 'auth/token/revoke-orphan', { token: parent });
    await t.call('update', 'auth/token/tidy', {});

    const keys = await walk(t.physical);
    assert.ok(keys.some((k) => k.startsWith(TOKEN_PREFIX + ID_PREFIX)));
    // Distinctive parts: the random body of service tokens, the whole chosen/batch/root value.
    const secrets = issued.map((s) => (s.startsWith('s.') ? s.slice(2) : s));
    assert.equal(secrets.length, 7);
    for (const key of keys) {
      const raw = (await t.physical.get(key)) ?? Buffer.alloc(0);
      // A few seal keys sit outside the barrier; their bytes are checked as stored.
      const plain = (await t.node.core.barrier.get(key).catch(() => raw)) ?? raw;
      for (const s of secrets) {
        assert.ok(!key.includes(s), `key ${key} holds a token`);
        assert.ok(!plain.toString('latin1').includes(s), `decrypted value of ${key} holds a token`);
        assert.ok(!raw.toString('latin1').includes(s), `physical value of ${key} holds a token`);
      }
    }
    await assert.rejects(t.call('read', 'auth/token/lookup-self', {}, parent), fails(403));
  } finally {
    await t.close();
  }
});
