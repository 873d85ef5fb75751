/**
 * `bin/arca server` on `storage "postgresql"`, end to end: init, unseal, KV write and read,
 * restart the process, the data is still there; what lands in the table is ciphertext; a
 * database that cannot be used stops the server at start with a clear message and exit code 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startPostgresOrSkip } from '../helpers/postgres.js';
import { api, ARCA_BIN, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const cluster = await startPostgresOrSkip();
const dir = mkdtempSync(join(tmpdir(), 'arca-pgsrv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, storageBody: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `storage "postgresql" {\n${storageBody}\n}\n\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n\ndisable_mlock = true\n`,
  );
  return path;
}

/** Run a server expected to fail at start: its exit code and everything it printed. */
function runFailing(configPath: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [ARCA_BIN, 'server', `-config=${configPath}`], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: dir } });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 1));
    });
  });
}

if (typeof cluster === 'string') {
  test('postgresql server end to end', (t) => t.skip(cluster));
} else {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
    await cluster.stop();
  });

  test('init, unseal, KV v2 write and read, restart: the data persists, and the table holds only ciphertext', async () => {
    const table = cluster.freshTable('server');
    const configPath = writeConfig('server.hcl', `  connection_url = "${cluster.url()}"\n  table = "${table}"\n  ha_enabled = "false"`);
    server = await startServerProcess([`-config=${configPath}`]);
    let url = server.url;

    const status = await api(url, 'GET', 'sys/seal-status');
    assert.equal(status.body.initialized, false);
    assert.equal(status.body.storage_type, 'postgresql');
    const init = await api(url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    assert.equal(init.status, 200);
    const key: string = init.body.keys_base64[0];
    const root: string = init.body.root_token;
    assert.equal((await api(url, 'PUT', 'sys/unseal', { body: { key } })).body.sealed, false);
    assert.equal((await api(url, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv', options: { version: '2' } } })).status, 204);

    const marker = `plaintext-marker-${randomBytes(8).toString('hex')}`;
    const written = await api(url, 'POST', 'kv/data/app/db', { token: root, body: { data: { password: marker } } });
    assert.equal(written.status, 200);
    assert.equal((await api(url, 'POST', 'kv/data/app/other', { token: root, body: { data: { n: 1 } } })).status, 200);
    assert.equal((await api(url, 'GET', 'kv/data/app/db', { token: root })).body.data.data.password, marker);
    assert.deepEqual((await api(url, 'LIST', 'kv/metadata/app', { token: root })).body.data.keys, ['db', 'other']);

    assert.equal(await server.stop(), 0);
    server = await startServerProcess([`-config=${configPath}`]);
    url = server.url;
    assert.equal((await api(url, 'GET', 'sys/seal-status')).body.sealed, true);
    assert.equal((await api(url, 'PUT', 'sys/unseal', { body: { key } })).body.sealed, false);
    const read = await api(url, 'GET', 'kv/data/app/db', { token: root });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.data.password, marker);
    assert.equal(read.body.data.metadata.version, 1);

    // What PostgreSQL holds: the barrier's ciphertext. Neither the secret, nor the root token,
    // nor the unseal key appears in any value.
    const rows = await cluster.query<{ key: string; value: Buffer }>(`SELECT key, value FROM "${table}"`);
    assert.ok(rows.rows.length >= 5, `only ${rows.rows.length} rows stored`);
    assert.ok(rows.rows.some((r) => r.key.startsWith('logical/')), 'KV data is stored under logical/');
    const unsealKey = Buffer.from(key, 'base64');
    for (const row of rows.rows) {
      for (const needle of [Buffer.from(marker), Buffer.from(root), unsealKey, Buffer.from(key)]) {
        assert.equal(row.value.indexOf(needle), -1, `row ${row.key} holds a plaintext secret`);
      }
    }

    // The database goes away under a running server: requests get Vault's 503, the process lives
    // on, and once the database is back the same server serves again.
    await cluster.pause();
    try {
      const during = await api(url, 'POST', 'kv/data/app/during', { token: root, body: { data: { x: 1 } } });
      assert.equal(during.status, 503);
      assert.deepEqual(during.body.errors, ['storage backend is unavailable']);
      assert.equal((await api(url, 'GET', 'kv/data/app/never-read', { token: root })).status, 503);
      assert.equal(server.proc.exitCode, null, 'the server process died');
    } finally {
      await cluster.resume();
    }
    let resumed = await api(url, 'POST', 'kv/data/app/after', { token: root, body: { data: { x: 2 } } });
    for (let i = 0; i < 50 && resumed.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      resumed = await api(url, 'POST', 'kv/data/app/after', { token: root, body: { data: { x: 2 } } });
    }
    assert.equal(resumed.status, 200);
    assert.equal((await api(url, 'GET', 'kv/data/app/db', { token: root })).body.data.data.password, marker);
    assert.ok(!server.output().includes(cluster.password), 'the password leaked into the server log');
  });

  test('an unreachable database: retried for startup_timeout, then exit 1 naming host and cause, no password', async () => {
    const port = await closedPort();
    const configPath = writeConfig('unreachable.hcl', `  connection_url = "postgres://arca:${cluster.password}@127.0.0.1:${port}/arca?sslmode=disable"\n  startup_timeout = "2s"`);
    const started = Date.now();
    const r = runFailing(configPath);
    assert.equal(r.status, 1, r.output);
    assert.ok(Date.now() - started >= 1500, 'gave up before startup_timeout');
    assert.match(r.output, new RegExp(`Error initializing core: postgresql storage: cannot reach 127\\.0\\.0\\.1:${port} \\(database "arca", user "arca"\\): connection refused`));
    assert.match(r.output, /not reachable yet, retrying/);
    assert.ok(!r.output.includes(cluster.password), 'the password leaked into the output');
    assert.doesNotMatch(r.output, /Api Address/);
  });

  test('a wrong password: exit 1 at once, with PostgreSQL\'s reason and without the password', () => {
    const configPath = writeConfig('badpw.hcl', `  connection_url = "postgres://arca:wrong-${cluster.password}@127.0.0.1:${cluster.port}/postgres?sslmode=disable"`);
    const r = runFailing(configPath);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, new RegExp(`127\\.0\\.0\\.1:${cluster.port} \\(database "postgres", user "arca"\\) refused: password authentication failed for user "arca"`));
    assert.ok(!r.output.includes(cluster.password), 'the password leaked into the output');
    assert.doesNotMatch(r.output, /retrying/);
  });

  test('a malformed connection_url is a configuration error, with its line and without its value', () => {
    const configPath = writeConfig('malformed.hcl', `  connection_url = "postgres://arca:${cluster.password}@db/x?sslmode=sometimes"`);
    const r = runFailing(configPath);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /Error loading configuration: error loading .*malformed\.hcl: line 2: storage "postgresql": "connection_url" has an unknown sslmode/);
    assert.ok(!r.output.includes(cluster.password), 'the password leaked into the output');
  });
}
