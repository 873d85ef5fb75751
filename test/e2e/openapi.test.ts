/**
 * sys/internal/specs/openapi on a real dev server process: the document is generated from the
 * mounted path tables (so mounting adds paths), carries Vault's extensions, makes mount paths
 * generic on request, and shows each caller the mounts its policies reach.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandPattern } from '../../src/system/openapi.js';
import { devServerForFile } from '../helpers/server-process.js';

const ROOT = 'openapi-root';
const call = devServerForFile(ROOT);

type Doc = { openapi: string; info: Record<string, unknown>; paths: Record<string, Record<string, any>> };

test('openapi: path patterns expand into path templates, or are left out', () => {
  const paths = (p: string): string[] | undefined => expandPattern(p)?.map((v) => v.path);
  assert.deepEqual(paths('policies/acl/?'), ['policies/acl/', 'policies/acl']);
  assert.deepEqual(paths('data/(?<path>.*)'), ['data/{path}']);
  assert.deepEqual(expandPattern('data/(?<path>.*)')?.[0]?.params, ['path']);
  assert.deepEqual(paths('oidc/\\.well-known/keys'), ['oidc/.well-known/keys']);
  assert.deepEqual(paths('plugins/catalog/(?<type>auth|database|secret)/?'), ['plugins/catalog/{type}/', 'plugins/catalog/{type}']);
  assert.deepEqual(paths('(?:a|b)/c'), ['a/c', 'b/c']);
  assert.deepEqual(paths('key/(?<name>\\w(?:[\\w.-]*\\w)?)/rotate'), ['key/{name}/rotate']);
  assert.equal(paths('x.*'), undefined);
  assert.equal(paths('a\\w'), undefined);
  assert.equal(paths('(unclosed'), undefined);
});

test('openapi: the document of the mounts, with Vault\'s extensions and generic mount paths', async () => {
  assert.equal((await call('POST', 'sys/mounts/transit', { type: 'transit' })).status, 204);
  assert.equal((await call('POST', 'sys/auth/userpass', { type: 'userpass' })).status, 204);
  const r = await call('GET', 'sys/internal/specs/openapi');
  assert.equal(r.status, 200);
  const doc = r.body as Doc;
  assert.equal(doc.openapi, '3.0.2');
  assert.match(String(doc.info['title']), /Vault/);
  for (const [path, item] of Object.entries(doc.paths)) {
    assert.match(path, /^\/[A-Za-z0-9_./{}-]*$/, `no regex left in ${path}`);
    const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    assert.deepEqual((item['parameters'] ?? []).map((p: { name: string }) => p.name).sort(), [...params].sort(), `path parameters of ${path}`);
    const ops = ['get', 'post', 'patch', 'delete'].filter((m) => item[m] !== undefined);
    assert.ok(ops.length > 0, `${path} has an operation`);
    for (const m of ops) assert.ok(item[m].responses !== undefined, `${m} ${path} has responses`);
  }

  const data = doc.paths['/secret/data/{path}'];
  assert.ok(data !== undefined);
  assert.deepEqual(['get', 'post', 'patch', 'delete'].filter((m) => data[m] !== undefined), ['get', 'post', 'patch', 'delete']);
  assert.equal(data['x-vault-createSupported'], true);
  assert.deepEqual(Object.keys(data['post'].requestBody.content['application/json'].schema.properties).sort(), ['data', 'options', 'version']);
  assert.deepEqual(doc.paths['/sys/policies/acl/']?.['get']?.parameters?.[0], { name: 'list', in: 'query', required: true, description: 'Must be set to `true`', schema: { type: 'string', enum: ['true'] } });
  assert.ok(doc.paths['/sys/policies/acl/{name}']?.['post'] !== undefined);
  assert.equal(doc.paths['/sys/seal-status']?.['x-vault-unauthenticated'], true);
  assert.equal(doc.paths['/sys/rotate']?.['x-vault-sudo'], true);
  assert.equal(doc.paths['/identity/oidc/.well-known/keys']?.['x-vault-unauthenticated'], true);
  assert.ok(doc.paths['/auth/token/create']?.['post'] !== undefined);
  assert.ok(doc.paths['/auth/userpass/login/{username}']?.['post'] !== undefined);
  assert.equal(doc.paths['/auth/userpass/login/{username}']?.['x-vault-unauthenticated'], true);
  assert.ok(doc.paths['/transit/encrypt/{name}']?.['post'] !== undefined);
  const ttl = doc.paths['/transit/keys/{name}']?.['post']?.requestBody?.content['application/json']?.schema?.properties?.['auto_rotate_period'];
  assert.equal(ttl?.type, 'string');

  // Generic mount paths: every mount but the singletons becomes a parameter.
  const generic = (await call('GET', 'sys/internal/specs/openapi?generic_mount_paths=true')).body as Doc;
  const gdata = generic.paths['/{secret_mount_path}/data/{path}'];
  assert.ok(gdata !== undefined, Object.keys(generic.paths).filter((p) => p.includes('data')).join(' '));
  assert.deepEqual(gdata['parameters'][0], { name: 'secret_mount_path', in: 'path', required: true, description: 'Path that the backend was mounted at', schema: { type: 'string', default: 'secret' } });
  assert.ok(generic.paths['/auth/{userpass_mount_path}/login/{username}'] !== undefined);
  assert.ok(generic.paths['/sys/seal-status'] !== undefined, 'sys stays as it is');
  assert.ok(generic.paths['/auth/token/create'] !== undefined, 'auth/token stays as it is');
  assert.equal(generic.paths['/secret/data/{path}'], undefined);
});

test('openapi: each caller sees the mounts its policies reach; without a token, the unauthenticated paths', async () => {
  await call('POST', 'sys/mounts/other', { type: 'kv', options: { version: '2' } });
  await call('PUT', 'sys/policies/acl/secret-only', { policy: 'path "secret/*" { capabilities = ["read"] }' });
  const token = (await call('POST', 'auth/token/create', { policies: ['secret-only'] })).body.auth.client_token as string;
  const mine = (await call('GET', 'sys/internal/specs/openapi', undefined, token)).body as Doc;
  assert.ok(mine.paths['/secret/data/{path}'] !== undefined);
  assert.equal(mine.paths['/other/data/{path}'], undefined, 'a mount the policies do not reach is left out');
  assert.ok(mine.paths['/cubbyhole/{path}'] !== undefined, 'the default policy reaches cubbyhole');

  const anonymous = await call('GET', 'sys/internal/specs/openapi', undefined, '');
  assert.equal(anonymous.status, 200);
  const open = anonymous.body as Doc;
  assert.ok(open.paths['/sys/seal-status'] !== undefined);
  assert.ok(open.paths['/identity/oidc/.well-known/openid-configuration'] !== undefined);
  assert.equal(open.paths['/secret/data/{path}'], undefined);
  assert.ok(Object.values(open.paths).every((p) => p['x-vault-unauthenticated'] === true));

  assert.equal((await call('GET', 'sys/internal/specs/openapi', undefined, 'not-a-token')).status, 403);
});
