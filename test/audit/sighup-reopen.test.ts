/**
 * Log rotation against a real server process: after the audit file is renamed, SIGHUP makes
 * the file device reopen its path, so new entries land in a new file and the old file keeps
 * only the old ones. Also: `file_path=stdout` writes entries to the server's standard output.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'sighup-root';
const dir = mkdtempSync(join(tmpdir(), 'arca-sighup-'));
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const paths = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { request: { path: string } }).request.path);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('SIGHUP reopens the audit file; stdout device writes to standard output', async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const file = join(dir, 'audit.log');
  const rotated = join(dir, 'audit.log.1');
  assert.equal((await api(server.url, 'PUT', 'sys/audit/file', { token: ROOT, body: { type: 'file', options: { file_path: file } } })).status, 204);
  assert.equal((await api(server.url, 'PUT', 'secret/data/before', { token: ROOT, body: { data: { a: 'b' } } })).status, 200);
  renameSync(file, rotated);
  // Until the signal the device keeps writing to the renamed file (it holds it open).
  assert.equal((await api(server.url, 'GET', 'secret/data/before', { token: ROOT })).status, 200);
  server.proc.kill('SIGHUP');
  await until(() => server!.output().includes('audit devices reopened'), 'the reopen log line');
  assert.ok(existsSync(file), 'the path is recreated at once');
  assert.equal((await api(server.url, 'PUT', 'secret/data/after', { token: ROOT, body: { data: { a: 'b' } } })).status, 200);

  const old = paths(rotated);
  const fresh = paths(file);
  assert.ok(old.includes('secret/data/before'));
  assert.ok(!old.includes('secret/data/after'), 'nothing new in the rotated file');
  assert.deepEqual([...new Set(fresh)], ['secret/data/after']);
  assert.equal(server.proc.exitCode, null, 'SIGHUP does not stop the server');

  assert.equal((await api(server.url, 'PUT', 'sys/audit/out', { token: ROOT, body: { type: 'file', options: { file_path: 'stdout' } } })).status, 204);
  assert.equal((await api(server.url, 'GET', 'secret/data/after', { token: ROOT })).status, 200);
  await until(() => /"type":"response".*"path":"secret\/data\/after"/.test(server!.output().split('\n').filter((l) => l.includes('"operation":"read"')).join('\n')), 'an entry on stdout');
});
