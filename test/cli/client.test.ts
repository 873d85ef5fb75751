/**
 * The HTTP client against a small scripted HTTP server on 127.0.0.1:0 (the server is test
 * scaffolding; the client under test is real).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, ApiError, TransportError, escapePath } from '../../src/cli/client.js';
import type { ClientSettings } from '../../src/cli/client-config.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '').split('?')[0];
      switch (path) {
        case '/v1/secret/foo':
          return reply(res, 200, { request_id: 'r1', lease_duration: 0, data: { a: 'b' }, warnings: null });
        case '/v1/missing':
          return reply(res, 404, { errors: [] });
        case '/v1/deleted':
          return reply(res, 404, { data: { data: null, metadata: { version: 2 } } });
        case '/v1/nocontent':
          return reply(res, 204);
        case '/v1/bad':
          return reply(res, 400, { errors: ['first problem', 'second problem'] });
        case '/v1/proxy':
          return reply(res, 502, '<html>bad gateway</html>');
        case '/v1/moved':
          return reply(res, 307, undefined, { Location: `${base}/v1/secret/foo` });
        case '/v1/hang':
          return; // never answers: exercises the timeout
        default:
          return reply(res, 404, { errors: ['no handler for route'] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(overrides: Partial<ClientSettings> = {}): ApiClient {
  return new ApiClient({ address: base, token: 's.tok', caCert: undefined, tlsSkipVerify: false, tlsServerName: undefined, timeoutMs: 5000, ...overrides });
}

function last(): Seen {
  return seen[seen.length - 1]!;
}

test('read sends the token and X-Vault-Request and returns the envelope', async () => {
  const secret = await client().read('secret/foo', { version: '2' });
  assert.deepEqual(secret?.data, { a: 'b' });
  assert.equal(last().method, 'GET');
  assert.equal(last().url, '/v1/secret/foo?version=2');
  assert.equal(last().headers['x-vault-token'], 's.tok');
  assert.equal(last().headers['x-vault-request'], 'true');
});

test('no token header when no token is configured', async () => {
  await client({ token: '' }).read('secret/foo');
  assert.equal(last().headers['x-vault-token'], undefined);
});

test('LIST goes out as GET with list=true', async () => {
  await client().list('secret/foo');
  assert.equal(last().method, 'GET');
  assert.equal(last().url, '/v1/secret/foo?list=true');
});

test('404 without data is "nothing there"; 404 with data is a secret (deleted KV version)', async () => {
  assert.equal(await client().read('missing'), undefined);
  assert.equal(await client().delete('missing'), undefined);
  const deleted = await client().read('deleted');
  assert.deepEqual(deleted?.data, { data: null, metadata: { version: 2 } });
});

test('write sends JSON, 204 means no secret, a 404 write is an error', async () => {
  assert.equal(await client().write('nocontent', { k: 'v' }), undefined);
  assert.equal(last().method, 'PUT');
  assert.equal(last().headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(last().body), { k: 'v' });
  await assert.rejects(client().write('missing', {}), (e: unknown) => e instanceof ApiError && e.status === 404);
});

test('mergePatch uses PATCH with the merge-patch content type', async () => {
  await client().mergePatch('secret/foo', { data: { a: 'c' } });
  assert.equal(last().method, 'PATCH');
  assert.equal(last().headers['content-type'], 'application/merge-patch+json');
});

test('API errors read exactly like Vault\'s', async () => {
  await assert.rejects(client().write('bad', { x: 1 }), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(
      e.message,
      `Error making API request.\n\nURL: PUT ${base}/v1/bad\nCode: 400. Errors:\n\n* first problem\n* second problem`,
    );
    assert.deepEqual(e.errors, ['first problem', 'second problem']);
    return true;
  });
  await assert.rejects(client().list('bad'), (e: unknown) => e instanceof ApiError && e.message.includes(`URL: GET ${base}/v1/bad?list=true`));
  await assert.rejects(client().call('GET', 'proxy'), (e: unknown) => e instanceof ApiError && /Code: 502\. Raw Message:\n\n<html>bad gateway<\/html>$/.test(e.message));
});

test('307 redirects are followed with the same method and body', async () => {
  const before = seen.length;
  const secret = await client().write('moved', { k: 'v' });
  assert.deepEqual(secret?.data, { a: 'b' });
  const hops = seen.slice(before);
  assert.deepEqual(hops.map((h) => [h.method, h.url]), [
    ['PUT', '/v1/moved'],
    ['PUT', '/v1/secret/foo'],
  ]);
  assert.equal(hops[1]!.body, '{"k":"v"}');
});

test('transport failures are TransportErrors phrased like Go\'s', async () => {
  const dead = new ApiClient({ address: 'http://127.0.0.1:1', token: '', caCert: undefined, tlsSkipVerify: false, tlsServerName: undefined, timeoutMs: 5000 });
  await assert.rejects(
    dead.read('sys/seal-status'),
    (e: unknown) => e instanceof TransportError && e.message === 'Get "http://127.0.0.1:1/v1/sys/seal-status": dial tcp 127.0.0.1:1: connect: connection refused',
  );
  await assert.rejects(client({ timeoutMs: 200 }).read('hang'), (e: unknown) => e instanceof TransportError && /timed out/.test(e.message));
});

test('paths are escaped like Go\'s URL.EscapedPath', () => {
  assert.equal(escapePath('secret/data/a b/c:d@e+f'), 'secret/data/a%20b/c:d@e+f');
  assert.equal(escapePath('x/ü?#'), 'x/%C3%BC%3F%23');
  assert.equal(client().urlFor('/secret/foo'), `${base}/v1/secret/foo`);
});

test('an unreadable CA file is a configuration error', () => {
  assert.throws(() => client({ caCert: '/nonexistent/ca.pem' }), /error loading CA certificate/);
});
