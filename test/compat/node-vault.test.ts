/** node-vault (npm) against a real server process: init, unseal, mounts, KV v1/v2 round trips. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const require = createRequire(import.meta.url);
// node-vault is CommonJS without types.
const nodeVault = require('node-vault') as (opts: { apiVersion?: string; endpoint: string; token?: string }) => any;

let server: ServerProcess | undefined;
const cfg = writeServerConfig({ storage: 'sqlite' });
after(async () => {
  await server?.stop();
  cfg.cleanup();
});

test('node-vault: init, unseal, KV v1 and v2', async () => {
  server = await startServerProcess([`-config=${cfg.configPath}`]);
  const vault = nodeVault({ apiVersion: 'v1', endpoint: server.url });

  assert.deepEqual(await vault.initialized(), { initialized: false });
  const init = await vault.init({ secret_shares: 2, secret_threshold: 2 });
  assert.equal(init.keys.length, 2);
  vault.token = init.root_token;

  let status = await vault.unseal({ key: init.keys[0] });
  assert.equal(status.sealed, true);
  status = await vault.unseal({ key: init.keys[1] });
  assert.equal(status.sealed, false);
  assert.equal((await vault.status()).sealed, false);

  await vault.mount({ mount_point: 'kv1', type: 'kv', description: 'v1', options: { version: '1' } });
  await vault.mount({ mount_point: 'kv2', type: 'kv', options: { version: '2' } });
  const mounts = await vault.mounts();
  assert.ok(mounts['kv1/'] ?? mounts.data['kv1/']);

  await vault.write('kv1/hello', { value: 'world' });
  assert.deepEqual((await vault.read('kv1/hello')).data, { value: 'world' });
  assert.deepEqual((await vault.list('kv1/')).data.keys, ['hello']);
  await vault.delete('kv1/hello');
  await assert.rejects(vault.read('kv1/hello'), (e: any) => e.response?.statusCode === 404);

  await vault.write('kv2/data/app', { data: { user: 'u1' } });
  await vault.write('kv2/data/app', { data: { user: 'u2' }, options: { cas: 1 } });
  const v2 = await vault.read('kv2/data/app');
  assert.equal(v2.data.data.user, 'u2');
  assert.equal(v2.data.metadata.version, 2);
  assert.equal((await vault.read('kv2/data/app?version=1')).data.data.user, 'u1');
  await assert.rejects(vault.write('kv2/data/app', { data: { user: 'x' }, options: { cas: 1 } }), (e: any) => e.response?.statusCode === 400);
  assert.deepEqual((await vault.list('kv2/metadata')).data.keys, ['app']);

  await vault.unmount({ mount_point: 'kv1' });
  await vault.seal();
  assert.equal((await vault.status()).sealed, true);
});
