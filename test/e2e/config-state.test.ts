/**
 * sys/config/state/sanitized against a real server started from a configuration file: Vault's
 * key names and values as configured, and nothing from the storage stanza but its type.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const cfg = writeServerConfig({ storage: 'sqlite', extra: 'cluster_name = "state-test"\ndefault_lease_ttl = "1h"\n' });
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  cfg.cleanup();
});

test('the sanitized configuration shows what was configured and leaves storage options out', async () => {
  server = await startServerProcess([`-config=${cfg.configPath}`]);
  const url = server.url;
  const init = (await api(url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } })).body;
  await api(url, 'PUT', 'sys/unseal', { body: { key: init.keys[0] } });
  const r = await api(url, 'GET', 'sys/config/state/sanitized', { token: init.root_token });
  assert.equal(r.status, 200);
  const d = r.body.data as Record<string, any>;
  assert.equal(d['api_addr'], '');
  assert.equal(d['cluster_name'], 'state-test');
  assert.equal(d['default_lease_ttl'], 3600);
  assert.equal(d['disable_mlock'], true);
  assert.deepEqual(d['storage'], { type: 'sqlite', cluster_addr: '', disable_clustering: false, redirect_addr: '' });
  assert.deepEqual(d['listeners'][0], { type: 'tcp', config: { address: '127.0.0.1:0', cluster_address: '127.0.0.1:0', tls_disable: true, max_request_size: 33554432 } });
  assert.deepEqual(d['seals'], [{ type: 'shamir', disabled: false }]);
  assert.ok(!JSON.stringify(d).includes(cfg.dbPath), 'storage options (the database path) are not shown');
  assert.equal((await api(url, 'GET', 'sys/config/state/sanitized')).status, 403, 'a token is required');
});
