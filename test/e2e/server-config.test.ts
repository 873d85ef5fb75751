/**
 * `arca server` with real configuration files: an HTTPS listener with a certificate made by
 * openssl (clients verify it with the CA), and configuration errors that name the file and
 * line and keep the server from starting.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { ARCA_BIN, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'arca-cfg-'));
let server: ServerProcess | undefined;
const started: ServerProcess[] = [];
after(async () => {
  // Every server this file started, even one a failed test left running.
  await Promise.all(started.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** A CA and a server certificate for 127.0.0.1 signed by it; `tag` keeps sets apart. */
function makeCerts(tag = 'a'): { ca: string; cert: string; key: string } {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `ca-${tag}.key`, '-out', `ca-${tag}.crt`, '-days', '2', '-subj', `/CN=arca-test-ca-${tag}`]);
  o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `server-${tag}.key`, '-out', `server-${tag}.csr`, '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  o(['x509', '-req', '-in', `server-${tag}.csr`, '-CA', `ca-${tag}.crt`, '-CAkey', `ca-${tag}.key`, '-CAcreateserial', '-out', `server-${tag}.crt`, '-days', '2', '-extfile', 'ext.cnf']);
  return { ca: join(dir, `ca-${tag}.crt`), cert: join(dir, `server-${tag}.crt`), key: join(dir, `server-${tag}.key`) };
}

function httpsGet(url: string, ca: Buffer | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (no keep-alive agent), so every call does its own TLS handshake.
    const req = request(url, { ca, rejectUnauthorized: true, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTPS listener serves with the configured certificate', async () => {
  const { ca, cert, key } = makeCerts();
  const cfg = join(dir, 'tls.hcl');
  writeFileSync(
    cfg,
    `storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_cert_file = "${cert}"\n  tls_key_file = "${key}"\n  tls_min_version = "tls12"\n}\n`,
  );
  server = await startServerProcess([`-config=${cfg}`]);
  started.push(server);
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const r = await httpsGet(`${server.url}/v1/sys/seal-status`, readFileSync(ca));
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).initialized, false);
  // Without the CA the certificate is not trusted.
  await assert.rejects(httpsGet(`${server.url}/v1/sys/seal-status`, undefined));

  // Certificate rotation: new files in place, SIGHUP, and new connections get the new certificate.
  const next = makeCerts('b');
  writeFileSync(cert, readFileSync(next.cert));
  writeFileSync(key, readFileSync(next.key));
  server.proc.kill('SIGHUP');
  const deadline = Date.now() + 10_000;
  while (!/listener TLS material reloaded/.test(server.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(server.output(), /listener TLS material reloaded/);
  assert.equal(server.proc.exitCode, null, 'SIGHUP stopped the server');
  assert.equal((await httpsGet(`${server.url}/v1/sys/seal-status`, readFileSync(next.ca))).status, 200);
  await assert.rejects(httpsGet(`${server.url}/v1/sys/seal-status`, readFileSync(ca)));
  await server.stop();
  server = undefined;
});

test('a configuration error names the file and line and the server does not start', () => {
  const cfg = join(dir, 'bad.hcl');
  writeFileSync(cfg, 'storage "inmem" {}\n\nlistener "tcp" {\n  adress = "127.0.0.1:0"\n}\n');
  const r = spawnSync(process.execPath, [ARCA_BIN, 'server', `-config=${cfg}`], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${cfg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.match(r.stderr, /line 4/);
  assert.match(r.stderr, /adress/);

  const r2 = spawnSync(process.execPath, [ARCA_BIN, 'server', `-config=${join(dir, 'missing.hcl')}`], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /missing\.hcl/);
});

test('-config accepts a directory of files', async () => {
  const confDir = join(dir, 'conf.d');
  execFileSync('mkdir', ['-p', confDir]);
  writeFileSync(join(confDir, '10-storage.hcl'), `storage "sqlite" {\n  path = "${join(dir, 'd.db')}"\n}\n`);
  writeFileSync(join(confDir, '20-listener.json'), JSON.stringify({ listener: { tcp: { address: '127.0.0.1:0', tls_disable: true } } }));
  server = await startServerProcess([`-config=${confDir}`]);
  started.push(server);
  assert.match(server.output(), /Storage: sqlite/);
  const res = await fetch(`${server.url}/v1/sys/health`);
  assert.equal(res.status, 501);
  await server.stop();
  server = undefined;
});
