/** node-vault (npm) against a real dev server: X-Vault-Wrap-TTL requests, unwrap, cubbyhole. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const require = createRequire(import.meta.url);
// node-vault is CommonJS without types.
const nodeVault = require('node-vault') as (opts: { apiVersion?: string; endpoint: string; token?: string }) => any;
const ROOT = 'root-token-for-node-vault-wrapping';

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('node-vault: wrapped read and token create, unwrap, cubbyhole', async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const vault = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: ROOT });
  const wrapHeader = (ttl: string) => ({ headers: { 'X-Vault-Wrap-TTL': ttl } });

  await vault.write('secret/data/app', { data: { user: 'u1' } });
  const wrapped = await vault.read('secret/data/app', wrapHeader('1m'));
  assert.equal(wrapped.data, null);
  assert.equal(wrapped.wrap_info.ttl, 60);
  assert.equal(wrapped.wrap_info.creation_path, 'secret/data/app');
  const unwrapped = await vault.unwrap({ token: wrapped.wrap_info.token });
  assert.deepEqual(unwrapped.data.data, { user: 'u1' });
  await assert.rejects(vault.unwrap({ token: wrapped.wrap_info.token }), (e: any) => {
    assert.equal(e.response?.statusCode, 400);
    assert.match(e.message, /wrapping token is not valid or does not exist/);
    return true;
  });

  const wrappedToken = await vault.write('auth/token/create', { policies: ['default'] }, wrapHeader('5m'));
  assert.equal(wrappedToken.auth, null);
  assert.ok(wrappedToken.wrap_info.wrapped_accessor);
  // A client holding only the wrapping token unwraps it for itself.
  const holder = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: wrappedToken.wrap_info.token });
  const login = await holder.unwrap();
  assert.equal(login.auth.accessor, wrappedToken.wrap_info.wrapped_accessor);

  const child = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: login.auth.client_token });
  await child.write('cubbyhole/k', { v: 'only mine' });
  assert.deepEqual((await child.read('cubbyhole/k')).data, { v: 'only mine' });
  assert.deepEqual((await child.list('cubbyhole/')).data.keys, ['k']);
  await assert.rejects(vault.read('cubbyhole/k'), (e: any) => e.response?.statusCode === 404);
});
