/**
 * The TLS listener, with a CA, a server certificate and a client certificate generated for the
 * test by the machine's openssl.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startListener, type ListenerOptions, type RunningListener } from '../../src/http/listener.js';
import { echo, MemoryLogger } from './helpers.js';

interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherKey: string;
  garbage: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
}

function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'arca-http-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=arca-test-ca', '-days', '2']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=arca-test-${name}`]);
    openssl(dir, [
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`,
    ]);
  }
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key']);
  writeFileSync(join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    otherKey: p('other.key'),
    garbage: p('garbage.pem'),
  };
}

interface TlsClientOptions {
  method?: string;
  cert?: string;
  key?: string;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

function tlsGet(l: RunningListener, pki: Pki, path: string, opts: TlsClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: l.port,
        path,
        method: opts.method ?? 'GET',
        ca: readFileSync(pki.caCert),
        agent: false,
        ...(opts.cert === undefined ? {} : { cert: readFileSync(opts.cert) }),
        ...(opts.key === undefined ? {} : { key: readFileSync(opts.key) }),
        ...(opts.maxVersion === undefined ? {} : { maxVersion: opts.maxVersion }),
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS listener', () => {
  let pki: Pki;
  const log = new MemoryLogger();
  const handler = { handle: async (req: Parameters<typeof echo>[0]) => echo(req) };
  const base = (): ListenerOptions => ({
    address: '127.0.0.1:0',
    tlsDisable: false,
    tlsCertFile: pki.serverCert,
    tlsKeyFile: pki.serverKey,
    maxRequestSize: 1024,
    closeGraceMs: 500,
  });

  before(() => {
    pki = makePki();
  });
  after(() => rmSync(pki.dir, { recursive: true, force: true }));

  it('serves HTTPS with the configured certificate, LIST included', async () => {
    const l = await startListener(base(), handler, log);
    try {
      assert.match(l.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const r = await tlsGet(l, pki, '/v1/secret/foo');
      assert.equal(r.status, 200);
      assert.equal((JSON.parse(r.body) as { data: { path: string } }).data.path, 'secret/foo');
      const list = await tlsGet(l, pki, '/v1/secret', { method: 'LIST' });
      assert.equal((JSON.parse(list.body) as { data: { operation: string; path: string } }).data.operation, 'list');
    } finally {
      await l.close();
    }
  });

  it('requires and verifies a client certificate when configured', async () => {
    const l = await startListener({ ...base(), tlsClientCaFile: pki.caCert, tlsRequireAndVerifyClientCert: true }, handler, log);
    try {
      await assert.rejects(tlsGet(l, pki, '/v1/x'), 'no client certificate is refused');
      const ok = await tlsGet(l, pki, '/v1/x', { cert: pki.clientCert, key: pki.clientKey });
      assert.equal(ok.status, 200);
    } finally {
      await l.close();
    }
  });

  it('refuses a client certificate from another CA', async () => {
    const other = mkdtempSync(join(tmpdir(), 'arca-http-tls-other-'));
    try {
      openssl(other, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', '/CN=stranger', '-days', '1']);
      const l = await startListener({ ...base(), tlsClientCaFile: pki.caCert, tlsRequireAndVerifyClientCert: true }, handler, log);
      try {
        await assert.rejects(tlsGet(l, pki, '/v1/x', { cert: join(other, 'c.pem'), key: join(other, 'k.pem') }));
      } finally {
        await l.close();
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('enforces tls_min_version', async () => {
    const l = await startListener({ ...base(), tlsMinVersion: 'tls13' }, handler, log);
    try {
      await assert.rejects(tlsGet(l, pki, '/v1/x', { maxVersion: 'TLSv1.2' }));
      assert.equal((await tlsGet(l, pki, '/v1/x')).status, 200);
    } finally {
      await l.close();
    }
  });

  it('bad certificate files fail at start with a clear error', async () => {
    const start = (o: Partial<ListenerOptions>): Promise<RunningListener> => startListener({ ...base(), ...o }, handler, log);
    await assert.rejects(start({ tlsCertFile: join(pki.dir, 'missing.crt') }), /cannot read tls_cert_file ".*missing\.crt": ENOENT/);
    await assert.rejects(start({ tlsKeyFile: join(pki.dir, 'missing.key') }), /cannot read tls_key_file/);
    await assert.rejects(start({ tlsClientCaFile: join(pki.dir, 'missing-ca.crt') }), /cannot read tls_client_ca_file/);
    await assert.rejects(start({ tlsCertFile: pki.garbage }), /invalid TLS material/);
    await assert.rejects(start({ tlsKeyFile: pki.otherKey }), /invalid TLS material/);
  });
});
