/**
 * Renewing a token an auth method issued asks that method first (as Vault does): userpass
 * declines once the user is gone and refuses when the user's policies changed; approle refuses
 * once the role is gone and follows the role's current token_ttl / token_max_ttl. The store's
 * ceilings still apply afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fails, tokenNode, type TokenNode } from './node-harness.js';

async function userpassToken(t: TokenNode, user: Record<string, unknown>): Promise<string> {
  await t.call('update', 'sys/auth/userpass', { type: 'userpass' });
  await t.call('update', 'auth/userpass/users/bob', { password: 'pw-1', ...user });
  const resp = await t.call('update', 'auth/userpass/login/bob', { password: 'pw-1' }, '');
  const tok = resp?.auth?.clientToken;
  assert.ok(tok);
  return tok;
}

async function approleToken(t: TokenNode, role: Record<string, unknown>): Promise<string> {
  await t.call('update', 'sys/auth/approle', { type: 'approle' });
  await t.call('update', 'auth/approle/role/web', role);
  const roleId = (await t.call('read', 'auth/approle/role/web/role-id'))!.data!['role_id'];
  const secretId = (await t.call('update', 'auth/approle/role/web/secret-id'))!.data!['secret_id'];
  const resp = await t.call('update', 'auth/approle/login', { role_id: roleId, secret_id: secretId }, '');
  const tok = resp?.auth?.clientToken;
  assert.ok(tok);
  return tok;
}

const ttlOf = async (t: TokenNode, tok: string): Promise<unknown> => (await t.call('update', 'auth/token/lookup', { token: tok }))!.data!['ttl'];

test('userpass: a token renews with the user\'s current token_ttl (explicit "default" does not count as a change)', async () => {
  const t = await tokenNode();
  try {
    const tok = await userpassToken(t, { token_policies: 'dev,default', token_ttl: 600 });
    t.clock.advance(100_000);
    await t.call('update', 'auth/userpass/users/bob', { token_ttl: 900 });
    const self = await t.call('update', 'auth/token/renew-self', {}, tok);
    assert.equal(self!.auth!.leaseDuration, 900);
    const byRoot = await t.call('update', 'auth/token/renew', { token: tok, increment: 300 });
    assert.equal(byRoot!.auth!.leaseDuration, 300);
    assert.equal(await ttlOf(t, tok), 300);
  } finally {
    await t.close();
  }
});

test('userpass: the user\'s token_max_ttl and the mount max still bound a renewal', async () => {
  const t = await tokenNode({ maxLeaseTTL: 7200 });
  try {
    const tok = await userpassToken(t, { token_ttl: 600 });
    await t.call('update', 'auth/userpass/users/bob', { token_max_ttl: 1000 });
    t.clock.advance(400_000);
    const resp = await t.call('update', 'auth/token/renew', { token: tok });
    assert.equal(resp!.auth!.leaseDuration, 600);
    t.clock.advance(300_000);
    const capped = await t.call('update', 'auth/token/renew', { token: tok });
    assert.equal(capped!.auth!.leaseDuration, 300);
    assert.equal(capped!.warnings?.length, 1);
  } finally {
    await t.close();
  }
});

test('userpass: after the user is deleted the token is not renewed (Vault answers with no content)', async () => {
  const t = await tokenNode();
  try {
    const tok = await userpassToken(t, { token_ttl: 600 });
    t.clock.advance(100_000);
    await t.call('delete', 'auth/userpass/users/bob');
    assert.equal(await t.call('update', 'auth/token/renew', { token: tok }), undefined);
    assert.equal(await t.call('update', 'auth/token/renew-self', {}, tok), undefined);
    // Untouched: still counting down from the login.
    assert.equal(await ttlOf(t, tok), 500);
  } finally {
    await t.close();
  }
});

test('userpass: after the user\'s policies change renew fails', async () => {
  const t = await tokenNode();
  try {
    const tok = await userpassToken(t, { token_policies: 'dev', token_ttl: 600 });
    await t.call('update', 'auth/userpass/users/bob/policies', { token_policies: 'dev,ops' });
    await assert.rejects(
      t.call('update', 'auth/token/renew', { token: tok }),
      fails(400, 'failed to renew entry: policies have changed, not renewing'),
    );
    await assert.rejects(t.call('update', 'auth/token/renew-self', {}, tok), fails(400, /policies have changed, not renewing$/));
    // Back to the policies it was issued with: renewable again.
    await t.call('update', 'auth/userpass/users/bob/policies', { token_policies: 'dev' });
    assert.equal((await t.call('update', 'auth/token/renew', { token: tok }))!.auth!.leaseDuration, 600);
  } finally {
    await t.close();
  }
});

test('approle: renewal follows the role\'s new token_ttl and token_max_ttl', async () => {
  const t = await tokenNode();
  try {
    const tok = await approleToken(t, { token_ttl: 300 });
    await t.call('update', 'auth/approle/role/web/token-ttl', { token_ttl: 1200 });
    t.clock.advance(60_000);
    const resp = await t.call('update', 'auth/token/renew-self', {}, tok);
    assert.equal(resp!.auth!.leaseDuration, 1200);
    await t.call('update', 'auth/approle/role/web/token-max-ttl', { token_max_ttl: 1500 });
    t.clock.advance(400_000);
    const capped = await t.call('update', 'auth/token/renew', { token: tok });
    assert.equal(capped!.auth!.leaseDuration, 1040);
  } finally {
    await t.close();
  }
});

test('approle: renew fails after the role is deleted', async () => {
  const t = await tokenNode();
  try {
    const tok = await approleToken(t, { token_ttl: 300 });
    await t.call('delete', 'auth/approle/role/web');
    await assert.rejects(
      t.call('update', 'auth/token/renew', { token: tok }),
      fails(400, 'failed to renew entry: role "web" does not exist during renewal'),
    );
    const accessor = (await t.call('update', 'auth/token/lookup', { token: tok }))!.data!['accessor'];
    await assert.rejects(
      t.call('update', 'auth/token/renew-accessor', { accessor }),
      fails(400, 'failed to renew entry: role "web" does not exist during renewal'),
    );
  } finally {
    await t.close();
  }
});

test('tokens of the token store itself renew by the store\'s rules only', async () => {
  const t = await tokenNode();
  try {
    await t.call('update', 'sys/auth/userpass', { type: 'userpass' });
    const tok = await t.token({ ttl: 120 });
    assert.equal((await t.call('update', 'auth/token/renew', { token: tok }))!.auth!.leaseDuration, 120);
  } finally {
    await t.close();
  }
});
