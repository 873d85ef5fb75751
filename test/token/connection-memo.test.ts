/**
 * The per-connection memo of a token's storage key (src/token/connection-memo.ts): a repeated
 * token skips the HMAC, another token or another salt never gets a remembered hash, revocation
 * still applies at once, and over HTTP one keep-alive connection switching tokens is served
 * with each token's own rights.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { AesGcmBarrier } from '../../src/barrier/aes-gcm-barrier.js';
import { FakeClock } from '../../src/clock.js';
import { TokenHashMemo } from '../../src/token/connection-memo.js';
import { TokenStore } from '../../src/token/token-store.js';
import { MapPhysical } from '../barrier/map-physical.js';
import { startServerProcess, api } from '../helpers/server-process.js';

const ROOT_KEY = Buffer.alloc(32, 7);
const base = { policies: ['default'], path: 'auth/token/create', displayName: 'token', renewable: true, type: 'service' as const };

async function store(): Promise<{ tokens: TokenStore; barrier: AesGcmBarrier }> {
  const barrier = new AesGcmBarrier(new MapPhysical());
  await barrier.initialize(ROOT_KEY);
  await barrier.unseal(ROOT_KEY);
  const tokens = new TokenStore(barrier, new FakeClock());
  await tokens.setup();
  return { tokens, barrier };
}

test('memo: the same token is answered from the memo, another token or key is not', () => {
  const memo = new TokenHashMemo();
  const k1 = {};
  const k2 = {};
  assert.equal(memo.get(k1, 's.one'), undefined);
  memo.set(k1, 's.one', 'hash-one');
  assert.equal(memo.get(k1, 's.one'), 'hash-one');
  assert.equal(memo.get(k1, 's.onf'), undefined);
  assert.equal(memo.get(k1, 's.one-longer'), undefined);
  assert.equal(memo.get(k2, 's.one'), undefined, 'a new HMAC key (salt) never reuses a hash');
  memo.clear();
  assert.equal(memo.get(k1, 's.one'), undefined);
});

test('lookups through a memo find the right token, follow revocation, and survive a new salt', async () => {
  const { tokens } = await store();
  const a = await tokens.create({ ...base, ttl: 600 });
  const b = await tokens.create({ ...base, ttl: 600 });
  const memo = new TokenHashMemo();
  assert.equal((await tokens.lookup(a.token, memo))?.idHash, a.idHash);
  assert.equal((await tokens.lookup(a.token, memo))?.idHash, a.idHash);
  assert.equal((await tokens.lookup(b.token, memo))?.idHash, b.idHash, 'a different token on the same connection');
  assert.equal((await tokens.lookup(a.token, memo))?.idHash, a.idHash);
  await tokens.revokeTree(a.idHash);
  assert.equal(await tokens.lookup(a.token, memo), undefined, 'revoked at once despite the memo');
  // Teardown and setup (seal, unseal) make a new HMAC instance: the memo is not trusted across it.
  tokens.teardown();
  await tokens.setup();
  assert.equal((await tokens.lookup(b.token, memo))?.idHash, b.idHash);
});

test('HTTP: one keep-alive connection switching between tokens gets each token\'s own answer', async () => {
  const server = await startServerProcess(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:0']);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const create = await api(server.url, 'POST', 'auth/token/create', { token: 'root', body: { policies: ['default'], ttl: '1h' } });
    const user = create.body.auth.client_token as string;
    const sockets = new Set<unknown>();
    const get = (path: string, token: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(`${server.url}/v1/${path}`, { agent, headers: { 'X-Vault-Token': token } }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await get('sys/mounts', 'root'), 200);
    assert.equal(await get('sys/mounts', user), 403, 'the default policy cannot read sys/mounts');
    assert.equal(await get('sys/mounts', 'root'), 200);
    assert.equal(await get('auth/token/lookup-self', user), 200);
    assert.equal(await get('auth/token/lookup-self', `${user}x`), 403);
    assert.equal((await api(server.url, 'POST', 'auth/token/revoke', { token: 'root', body: { token: user } })).status, 204);
    assert.equal(await get('auth/token/lookup-self', user), 403, 'revoked while its hash is remembered');
    assert.equal(sockets.size, 1, 'every request went over one connection');
  } finally {
    agent.destroy();
    await server.stop();
  }
});

test('sameToken: equal only for the same units, whatever the position of a difference', async () => {
  const { sameToken } = await import('../../src/token/connection-memo.js');
  assert.equal(sameToken('hvs.abc', 'hvs.abc'), true);
  assert.equal(sameToken('', ''), true);
  assert.equal(sameToken('hvs.abc', 'hvs.abd'), false);
  assert.equal(sameToken('hvs.abc', 'ivs.abc'), false);
  assert.equal(sameToken('hvs.abc', 'hvs.ab'), false);
  assert.equal(sameToken('hvs.\u00e9', 'hvs.\u00e8'), false);
  assert.equal(sameToken('a\ud83d\ude00', 'a\ud83d\ude01'), false);
});
