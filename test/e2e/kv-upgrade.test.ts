/**
 * `vault kv enable-versioning` against a real dev server: a KV v1 mount tuned to version 2
 * keeps its secrets, now as version 1 under data/ and listed under metadata/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'root';
const UPGRADING = 'Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.';
let server: ServerProcess;

before(async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
});
after(async () => {
  await server?.stop();
});

const call = (method: string, path: string, body?: unknown) =>
  api(server.url, method, path, { token: ROOT, ...(body !== undefined ? { body } : {}) });

/** Read until the upgrade has finished: the only acceptable interim answer is Vault's 503. */
async function readWhenUpgraded(path: string): ReturnType<typeof call> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await call('GET', path);
    if (r.status !== 503) return r;
    assert.deepEqual(r.body.errors, [UPGRADING]);
    if (Date.now() > deadline) assert.fail(`${path} still upgrading after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('kv v1 mount upgraded in place to v2 keeps its secrets as version 1', async () => {
  let r = await call('POST', 'sys/mounts/legacy', { type: 'kv' });
  assert.equal(r.status, 204);
  const secrets: Record<string, Record<string, unknown>> = {
    'app/db': { username: 'admin', password: 's3cret' },
    'app/api/key': { value: 'k-123', ttl: '30m' },
    top: { n: 1 },
    [encodeURI('ünïcode/clé')]: { 'ключ': 'значение' },
  };
  for (const [path, data] of Object.entries(secrets)) {
    r = await call('POST', `legacy/${path}`, data);
    assert.equal(r.status, 204, path);
  }
  r = await call('GET', 'legacy/app/db');
  assert.deepEqual(r.body.data, secrets['app/db']);

  r = await call('POST', 'sys/mounts/legacy/tune', { options: { version: '2' } });
  assert.equal(r.status, 204);
  r = await call('GET', 'sys/mounts');
  assert.deepEqual(r.body.data['legacy/'].options, { version: '2' });

  for (const [path, data] of Object.entries(secrets)) {
    r = await readWhenUpgraded(`legacy/data/${path}`);
    assert.equal(r.status, 200, path);
    assert.deepEqual(r.body.data.data, data, path);
    assert.equal(r.body.data.metadata.version, 1, path);
    assert.equal(r.body.data.metadata.destroyed, false);
  }
  r = await call('GET', 'legacy/metadata/?list=true');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data.keys, ['app/', 'top', 'ünïcode/']);
  r = await call('GET', 'legacy/metadata/app?list=true');
  assert.deepEqual(r.body.data.keys, ['api/', 'db']);
  r = await call('GET', 'legacy/metadata/app/db');
  assert.equal(r.body.data.current_version, 1);
  assert.deepEqual(Object.keys(r.body.data.versions), ['1']);

  // The v1 addressing is gone; new writes continue the version history.
  r = await call('GET', 'legacy/app/db');
  assert.equal(r.status, 404);
  r = await call('POST', 'legacy/data/app/db', { options: { cas: 1 }, data: { username: 'admin', password: 'rotated' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.version, 2);

  // Downgrading stays refused.
  r = await call('POST', 'sys/mounts/legacy/tune', { options: { version: '1' } });
  assert.equal(r.status, 400);
});
