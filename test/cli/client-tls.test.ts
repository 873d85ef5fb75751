/**
 * The client over HTTPS against a node:https server with a throwaway self-signed certificate
 * (made with the openssl binary): verification on by default, -ca-cert trusts it,
 * skip-verify bypasses it, and the SNI name is what the certificate is checked against.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApiClient, TransportError } from '../../src/cli/client.js';
import type { ClientSettings } from '../../src/cli/client-config.js';
import { removeDir, tempDir } from './cli-process.js';

const OPENSSL = '/usr/bin/openssl';
let dir = '';
let server: Server | undefined;
let address = '';

before(async () => {
  if (!existsSync(OPENSSL)) return;
  dir = tempDir('arca-cli-tls-');
  execFileSync(OPENSSL, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=arca.test', '-addext', 'subjectAltName=DNS:arca.test',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ data: { tls: true } }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
  if (dir !== '') removeDir(dir);
});

function client(overrides: Partial<ClientSettings>): ApiClient {
  return new ApiClient({ address, token: '', caCert: undefined, tlsSkipVerify: false, tlsServerName: undefined, timeoutMs: 5000, ...overrides });
}

test('TLS: untrusted by default, trusted with the CA file and the right server name, or with skip-verify', async (t) => {
  if (server === undefined) {
    t.skip('openssl is not installed');
    return;
  }
  await assert.rejects(client({}).read('x'), (e: unknown) => e instanceof TransportError && /certificate/i.test(e.message));
  const ca = join(dir, 'cert.pem');
  assert.deepEqual((await client({ caCert: ca, tlsServerName: 'arca.test' }).read('x'))?.data, { tls: true });
  // Trusted CA but the certificate does not name 127.0.0.1: hostname verification still applies.
  await assert.rejects(client({ caCert: ca }).read('x'), TransportError);
  assert.deepEqual((await client({ tlsSkipVerify: true }).read('x'))?.data, { tls: true });
});
