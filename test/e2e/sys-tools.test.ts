/**
 * sys/tools/hash and sys/tools/random over HTTP against a dev server process: Vault's paths,
 * fields, output formats and errors, and the ACL (a token without a policy on sys/tools/* is
 * refused). The same helpers serve transit's hash/ and random/ (test/engines/transit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { devServerForFile } from '../helpers/server-process.js';

const call = devServerForFile('sys-tools-root');
const hello = Buffer.from('hello').toString('base64');

test('sys/tools/hash: algorithm in the path or the body, hex or base64, Vault errors', async () => {
  let r = await call('POST', 'sys/tools/hash', { input: hello });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.sum, createHash('sha256').update('hello').digest('hex'));
  r = await call('POST', 'sys/tools/hash/sha2-512', { input: hello, format: 'base64' });
  assert.equal(r.body.data.sum, createHash('sha512').update('hello').digest('base64'));
  r = await call('POST', 'sys/tools/hash', { input: hello, algorithm: 'sha3-256' });
  assert.equal(r.body.data.sum, createHash('sha3-256').update('hello').digest('hex'));

  r = await call('POST', 'sys/tools/hash/md5', { input: hello });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: ['unsupported algorithm md5'] });
  r = await call('POST', 'sys/tools/hash', {});
  assert.deepEqual([r.status, r.body], [400, { errors: ['input missing'] }]);
});

test('sys/tools/random: bytes in the path or the body, source, format, bounds', async () => {
  let r = await call('POST', 'sys/tools/random');
  assert.equal(r.status, 200);
  assert.equal(Buffer.from(r.body.data.random_bytes, 'base64').length, 32);
  r = await call('POST', 'sys/tools/random/16', { format: 'hex' });
  assert.match(r.body.data.random_bytes, /^[0-9a-f]{32}$/);
  r = await call('POST', 'sys/tools/random/all/48');
  assert.equal(Buffer.from(r.body.data.random_bytes, 'base64').length, 48);
  const again = await call('POST', 'sys/tools/random/all/48');
  assert.notEqual(again.body.data.random_bytes, r.body.data.random_bytes);
  r = await call('POST', 'sys/tools/random', { bytes: 0 });
  assert.deepEqual([r.status, r.body], [400, { errors: ['"bytes" cannot be less than 1'] }]);
});

test('sys/tools needs a policy that grants it', async () => {
  const created = await call('POST', 'auth/token/create', { policies: ['default'] });
  assert.equal(created.status, 200);
  const token = created.body.auth.client_token as string;
  const refused = await call('POST', 'sys/tools/random', undefined, token);
  assert.equal(refused.status, 403);
  assert.match(refused.body.errors[0], /permission denied/);
  assert.equal((await call('PUT', 'sys/policies/acl/tools', { policy: 'path "sys/tools/*" { capabilities = ["update"] }' })).status, 204);
  const granted = await call('POST', 'auth/token/create', { policies: ['tools'] });
  assert.equal((await call('POST', 'sys/tools/random/8', undefined, granted.body.auth.client_token as string)).status, 200);
});
