/**
 * sys/loggers against a real dev server process: the level changes at run time for every
 * logger (an info line disappears at "error" and comes back after DELETE restores the
 * configured level), per-name paths know only "core", and bad levels are refused.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'loggers-root';
let server: ServerProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'arca-loggers-'));
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('sys/loggers changes the level of the running server and DELETE restores the configured one', async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0', '-log-level=info']);
  const s = server;
  const call = (method: string, path: string, body?: unknown) => api(s.url, method, path, { token: ROOT, ...(body !== undefined ? { body } : {}) });
  const enableAudit = (name: string) => call('PUT', `sys/audit/${name}`, { type: 'file', options: { file_path: join(dir, `${name}.log`) } });

  assert.deepEqual((await call('GET', 'sys/loggers')).body.data, { core: 'info' });
  assert.equal((await call('POST', 'sys/loggers', { level: 'error' })).status, 204);
  assert.deepEqual((await call('GET', 'sys/loggers/core')).body.data, { core: 'error' });
  assert.equal((await enableAudit('quiet')).status, 204);

  assert.equal((await call('DELETE', 'sys/loggers')).status, 204);
  assert.deepEqual((await call('GET', 'sys/loggers')).body.data, { core: 'info' }, 'back to the configured level');
  assert.equal((await enableAudit('loud')).status, 204);
  const deadline = Date.now() + 5000;
  while (!s.output().includes('path=loud/') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const out = s.output();
  assert.match(out, /audit: enabled device: path=loud\//, 'info lines are written at info');
  assert.doesNotMatch(out, /path=quiet\//, 'not at error');

  assert.equal((await call('POST', 'sys/loggers/core', { level: 'WARNING' })).status, 204, "Vault's spellings are accepted");
  assert.deepEqual((await call('GET', 'sys/loggers')).body.data, { core: 'warn' });
  const bad = await call('POST', 'sys/loggers', { level: 'loud' });
  assert.deepEqual([bad.status, bad.body], [400, { errors: ['invalid level provided: "loud"'] }]);
  assert.deepEqual((await call('POST', 'sys/loggers', {})).body, { errors: ['level is empty'] });
  const unknown = await call('GET', 'sys/loggers/audit');
  assert.deepEqual([unknown.status, unknown.body], [400, { errors: ['logger "audit" not found'] }]);
});
