/** node-vault (npm) against a real dev server: addPolicy, getPolicy, policies, removePolicy, enforcement. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const require = createRequire(import.meta.url);
// node-vault is CommonJS without types.
const nodeVault = require('node-vault') as (opts: { apiVersion?: string; endpoint: string; token?: string }) => any;

const ROOT = 'node-vault-policy-root';
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

const statusOf = (e: any): number | undefined => e?.response?.statusCode;

test('node-vault: policy CRUD and a token limited by its policy', async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const vault = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: ROOT });

  // node-vault sends the text as `rules` (the legacy field).
  const rules = 'path "secret/data/nv/*" {\n  capabilities = ["read"]\n}\npath "secret/metadata/nv/*" {\n  capabilities = ["list"]\n}\n';
  await vault.addPolicy({ name: 'nv-reader', rules });
  const got = await vault.getPolicy({ name: 'nv-reader' });
  assert.equal(got.rules, rules);
  assert.equal(got.data.rules, rules);
  assert.equal(got.name, 'nv-reader');
  const all = await vault.policies();
  assert.deepEqual(all.policies, ['default', 'nv-reader', 'root']);
  assert.deepEqual(all.data.keys, ['default', 'nv-reader', 'root']);

  await assert.rejects(vault.getPolicy({ name: 'missing' }), (e: any) => statusOf(e) === 404);
  await assert.rejects(vault.addPolicy({ name: 'root', rules }), (e: any) => statusOf(e) === 400 && /cannot update "root" policy/.test(e.message));
  await assert.rejects(vault.addPolicy({ name: 'broken', rules: 'path "x" {' }), (e: any) => statusOf(e) === 400 && /failed to parse policy/.test(e.message));
  await assert.rejects(vault.removePolicy({ name: 'default' }), (e: any) => statusOf(e) === 400);

  await vault.write('secret/data/nv/app', { data: { user: 'u1' } });
  const created = await vault.tokenCreate({ policies: ['nv-reader'], ttl: '1h' });
  // tokenCreate is a "token source" in node-vault: it switches the client to the new token.
  assert.equal(vault.token, created.auth.client_token);
  vault.token = ROOT;
  const limited = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: created.auth.client_token });
  assert.equal((await limited.read('secret/data/nv/app')).data.data.user, 'u1');
  assert.deepEqual((await limited.list('secret/metadata/nv')).data.keys, ['app']);
  await assert.rejects(limited.write('secret/data/nv/app', { data: { user: 'x' } }), (e: any) => statusOf(e) === 403);
  await assert.rejects(limited.read('secret/metadata/nv/app'), (e: any) => statusOf(e) === 403);
  await assert.rejects(limited.policies(), (e: any) => statusOf(e) === 403);

  await vault.removePolicy({ name: 'nv-reader' });
  await assert.rejects(vault.getPolicy({ name: 'nv-reader' }), (e: any) => statusOf(e) === 404);
  await assert.rejects(limited.read('secret/data/nv/app'), (e: any) => statusOf(e) === 403);
});
