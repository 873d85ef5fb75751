/**
 * sys/raw against real server processes started from configuration files: absent unless
 * `raw_storage_endpoint = true`; then root reads, writes, lists and deletes decrypted storage
 * entries (plain and base64), a token without sudo is refused, and the seal's keys stay out of
 * reach.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startConfiguredServer } from '../helpers/server-process.js';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

async function serverWith(extra: string): Promise<{ url: string; root: string }> {
  const server = await startConfiguredServer(extra);
  stops.push(server.stop);
  return server;
}

test('without raw_storage_endpoint there is no sys/raw', async () => {
  const { url, root } = await serverWith('');
  const r = await api(url, 'GET', 'sys/raw/core/cors-config', { token: root });
  assert.equal(r.status, 404);
  assert.equal((await api(url, 'GET', 'sys/config/state/sanitized', { token: root })).body.data.raw_storage_endpoint, false);
});

test('with raw_storage_endpoint root reads, writes, lists and deletes decrypted entries', async () => {
  const { url, root } = await serverWith('raw_storage_endpoint = true\n');
  assert.equal((await api(url, 'GET', 'sys/config/state/sanitized', { token: root })).body.data.raw_storage_endpoint, true);

  // An entry Arca wrote through its own API reads back decrypted.
  assert.equal((await api(url, 'PUT', 'sys/config/cors', { token: root, body: { allowed_origins: ['https://app.example'] } })).status, 204);
  const cors = await api(url, 'GET', 'sys/raw/core/cors-config', { token: root });
  assert.equal(cors.status, 200);
  assert.deepEqual(JSON.parse(cors.body.data.value).allowed_origins, ['https://app.example']);

  // Write, list, read (plain and base64), delete.
  assert.equal((await api(url, 'PUT', 'sys/raw/test-raw/plain', { token: root, body: { value: '{"hello":"world"}' } })).status, 204);
  const bytes = Buffer.from([0, 1, 2, 254, 255]);
  assert.equal((await api(url, 'PUT', 'sys/raw/test-raw/binary', { token: root, body: { value: bytes.toString('base64'), encoding: 'base64' } })).status, 204);
  const listed = await api(url, 'LIST', 'sys/raw/test-raw', { token: root });
  assert.deepEqual(listed.body.data.keys, ['binary', 'plain']);
  assert.equal((await api(url, 'GET', 'sys/raw/test-raw/plain', { token: root })).body.data.value, '{"hello":"world"}');
  assert.equal((await api(url, 'GET', 'sys/raw/test-raw/binary?encoding=base64', { token: root })).body.data.value, bytes.toString('base64'));
  const top = (await api(url, 'LIST', 'sys/raw/', { token: root })).body.data.keys as string[];
  assert.ok(top.includes('test-raw/') && top.includes('core/'), JSON.stringify(top));
  assert.equal((await api(url, 'DELETE', 'sys/raw/test-raw/plain', { token: root })).status, 204);
  assert.equal((await api(url, 'GET', 'sys/raw/test-raw/plain', { token: root })).status, 404);

  // Bad input is a 400, never a crash.
  const bad = async (method: string, path: string, body?: unknown): Promise<string> => {
    const r = await api(url, method, path, { token: root, ...(body !== undefined ? { body } : {}) });
    assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
    return r.body.errors[0];
  };
  assert.match(await bad('PUT', 'sys/raw/test-raw/x', {}), /missing value/);
  assert.match(await bad('PUT', 'sys/raw/test-raw/x', { value: 'v', compression_type: 'gzip' }), /unsupported compression type "gzip"/);
  assert.match(await bad('PUT', 'sys/raw/test-raw/x', { value: '%%%', encoding: 'base64' }), /not valid base64/);
  assert.match(await bad('GET', 'sys/raw/test-raw/binary?encoding=hex'), /invalid encoding "hex"/);
  assert.match(await bad('GET', 'sys/raw'), /missing path/);
  assert.equal((await api(url, 'GET', 'sys/rawx/core/cors-config', { token: root })).status, 404, 'only sys/raw and below');
  // The seal's own keys are refused.
  assert.match(await bad('GET', 'sys/raw/core/keyring'), /reserved for the seal/);
  assert.match(await bad('PUT', 'sys/raw/core/keyring', { value: 'x' }), /reserved for the seal/);

  // The OpenAPI document describes the endpoint while it is served.
  const spec = await api(url, 'GET', 'sys/internal/specs/openapi', { token: root });
  assert.equal(spec.status, 200);
  assert.ok(Object.keys(spec.body.paths).some((p) => p.startsWith('/sys/raw')), Object.keys(spec.body.paths).filter((p) => p.startsWith('/sys/r')).join(', '));

  // A token without sudo on sys/raw is refused even with every other capability.
  await api(url, 'PUT', 'sys/policy/raw-no-sudo', { token: root, body: { policy: 'path "sys/raw/*" { capabilities = ["create", "read", "update", "delete", "list"] }' } });
  const token: string = (await api(url, 'POST', 'auth/token/create', { token: root, body: { policies: ['raw-no-sudo'] } })).body.auth.client_token;
  assert.equal((await api(url, 'GET', 'sys/raw/test-raw/binary', { token })).status, 403);
  await api(url, 'PUT', 'sys/policy/raw-sudo', { token: root, body: { policy: 'path "sys/raw/*" { capabilities = ["read", "sudo"] }' } });
  const sudo: string = (await api(url, 'POST', 'auth/token/create', { token: root, body: { policies: ['raw-sudo'] } })).body.auth.client_token;
  assert.equal((await api(url, 'GET', 'sys/raw/test-raw/binary', { token: sudo })).status, 200);
});
