/**
 * sys/plugins/catalog over HTTP against a dev server process: the built-in plugins in Vault's
 * shapes (by type, detailed, per type, one plugin), and registration refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devServerForFile } from '../helpers/server-process.js';

const call = devServerForFile('plugins-root');

test('the catalog lists the built-in plugins and refuses external ones', async () => {
  const all = await call('GET', 'sys/plugins/catalog');
  assert.equal(all.status, 200);
  assert.deepEqual(all.body.data.auth, ['approle', 'userpass']);
  assert.deepEqual(all.body.data.secret, ['database', 'kv', 'transit']);
  assert.deepEqual(all.body.data.database, ['postgresql-database-plugin']);
  const kv = (all.body.data.detailed as Record<string, unknown>[]).find((p) => p['name'] === 'kv');
  assert.deepEqual(kv, { name: 'kv', type: 'secret', version: kv?.['version'], builtin: true, deprecation_status: 'supported' });
  assert.match(String(kv?.['version']), /^v\d+\.\d+\.\d+\+builtin\.arca$/);

  assert.deepEqual((await call('LIST', 'sys/plugins/catalog/auth')).body.data.keys, ['approle', 'userpass']);
  const one = await call('GET', 'sys/plugins/catalog/database/postgresql-database-plugin');
  assert.equal(one.body.data.builtin, true);
  assert.equal(one.body.data.type, 'database');
  assert.equal((await call('GET', 'sys/plugins/catalog/secret/nope')).status, 404);

  const register = await call('PUT', 'sys/plugins/catalog/secret/mine', { sha256: 'ab', command: 'mine' });
  assert.equal(register.status, 400);
  assert.match(register.body.errors[0], /external plugins are not supported/);
});
