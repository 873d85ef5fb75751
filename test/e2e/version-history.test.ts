/**
 * sys/version-history over HTTP against a dev server process: the first unseal records this
 * version, with its install time and no previous version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../../src/version.js';
import { devServerForFile } from '../helpers/server-process.js';

const call = devServerForFile('version-history-root');

test('the running version is recorded once, at its first unseal', async () => {
  const first = await call('LIST', 'sys/version-history');
  assert.equal(first.status, 200);
  assert.deepEqual(first.body.data.keys, [VERSION]);
  const info = first.body.data.key_info[VERSION] as Record<string, unknown>;
  assert.equal(info['previous_version'], null);
  assert.ok(Math.abs(Date.parse(String(info['timestamp_installed'])) - Date.now()) < 60_000);
});
