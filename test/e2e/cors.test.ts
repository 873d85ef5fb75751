/**
 * sys/config/cors against a real dev server process: off by default, then an allowed origin
 * gets Access-Control-Allow-Origin and its preflight, another origin is refused with 403,
 * requests without Origin are untouched, and DELETE turns CORS off again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'cors-root';
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('CORS: configured origins, preflight, refusal, and off again', async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const url = server.url;
  const get = (headers: Record<string, string>) => api(url, 'GET', 'sys/mounts', { token: ROOT, headers });

  assert.equal((await get({ Origin: 'https://app.example' })).headers.get('access-control-allow-origin'), null, 'off by default');
  assert.deepEqual((await api(url, 'GET', 'sys/config/cors', { token: ROOT })).body.data, { enabled: false, allowed_origins: [], allowed_headers: [] });

  const bad = await api(url, 'PUT', 'sys/config/cors', { token: ROOT, body: { allowed_origins: ['*', 'https://app.example'] } });
  assert.deepEqual([bad.status, bad.body], [400, { errors: ["to allow all origins the '*' must be the only value for allowed_origins"] }]);
  assert.equal((await api(url, 'PUT', 'sys/config/cors', { token: ROOT, body: { allowed_origins: 'https://app.example', allowed_headers: ['X-Custom'] } })).status, 204);

  const allowed = await get({ Origin: 'https://app.example' });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
  const preflight = await fetch(`${url}/v1/secret/data/x`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT' } });
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Vault-Token.*X-Custom/);
  const refused = await get({ Origin: 'https://evil.example' });
  assert.deepEqual([refused.status, refused.body], [403, { errors: ['origin not allowed'] }]);
  assert.equal((await get({})).headers.get('access-control-allow-origin'), null, 'non-browser clients are untouched');

  assert.equal((await api(url, 'DELETE', 'sys/config/cors', { token: ROOT })).status, 204);
  assert.equal((await get({ Origin: 'https://evil.example' })).status, 200, 'off again');
});
