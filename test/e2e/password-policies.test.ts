/**
 * sys/policies/password over HTTP against a dev server process: write (HCL, JSON, base64), read,
 * LIST, generate, delete, Vault's errors, and the ACL on generate. Parsing and generation are
 * tested in test/passwords/; their use by the database engine in test/engines/database/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devServerForFile } from '../helpers/server-process.js';

const call = devServerForFile('password-policies-root');
const POLICY = 'length = 24\nrule "charset" {\n  charset = "abcdef"\n  min-chars = 2\n}\nrule "charset" {\n  charset = "0123456789"\n  min-chars = 3\n}\n';

test('write, read, list, generate and delete a password policy', async () => {
  assert.equal((await call('PUT', 'sys/policies/password/hex-ish', { policy: POLICY })).status, 204);
  const json = JSON.stringify({ length: 8, rule: [{ charset: { charset: 'XYZ' } }] });
  assert.equal((await call('POST', 'sys/policies/password/json-one', { policy: Buffer.from(json).toString('base64') })).status, 204, 'base64 text is accepted');

  const read = await call('GET', 'sys/policies/password/hex-ish');
  assert.equal(read.status, 200);
  assert.equal(read.body.data.policy, POLICY, 'the text is returned as written');
  assert.equal((await call('GET', 'sys/policies/password/json-one')).body.data.policy, json, 'base64 is stored decoded');
  assert.deepEqual((await call('LIST', 'sys/policies/password')).body.data.keys, ['hex-ish', 'json-one']);

  const seen = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const g = await call('GET', 'sys/policies/password/hex-ish/generate');
    assert.equal(g.status, 200);
    const pw = g.body.data.password as string;
    assert.match(pw, /^[a-f0-9]{24}$/);
    assert.ok((pw.match(/[0-9]/g) ?? []).length >= 3 && (pw.match(/[a-f]/g) ?? []).length >= 2);
    seen.add(pw);
  }
  assert.equal(seen.size, 5);
  assert.match((await call('GET', 'sys/policies/password/json-one/generate')).body.data.password, /^[XYZ]{8}$/);

  assert.equal((await call('DELETE', 'sys/policies/password/json-one')).status, 204);
  assert.equal((await call('GET', 'sys/policies/password/json-one')).status, 404);
  assert.equal((await call('GET', 'sys/policies/password/json-one/generate')).status, 404);
  assert.deepEqual((await call('LIST', 'sys/policies/password')).body.data.keys, ['hex-ish']);
});

test('bad policies are refused with the reason and nothing is stored', async () => {
  const refused = async (body: unknown, re: RegExp): Promise<void> => {
    const r = await call('PUT', 'sys/policies/password/bad', body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.errors[0], re);
  };
  await refused({}, /missing password policy/);
  await refused({ policy: 'length = 20' }, /at least one charset rule/);
  await refused({ policy: 'length = 2\nrule "charset" { charset = "ab" }' }, /length must be >= 4/);
  await refused({ policy: 'length = {' }, /unable to parse policy/);
  await refused({ policy: 'length = 4\nrule "charset" {\n charset = "ab"\n min-chars = 3\n}\nrule "charset" {\n charset = "01"\n min-chars = 3\n}' }, /unable to generate password from provided policy/);
  assert.equal((await call('GET', 'sys/policies/password/bad')).status, 404);
});

test('generate needs read on the generate path; writing needs its own grant', async () => {
  await call('PUT', 'sys/policies/password/shared', { policy: POLICY });
  await call('PUT', 'sys/policies/acl/pw-gen', { policy: 'path "sys/policies/password/+/generate" { capabilities = ["read"] }' });
  const token = (await call('POST', 'auth/token/create', { policies: ['pw-gen'] })).body.auth.client_token as string;
  assert.equal((await call('GET', 'sys/policies/password/shared/generate', undefined, token)).status, 200);
  assert.equal((await call('GET', 'sys/policies/password/shared', undefined, token)).status, 403);
  assert.equal((await call('PUT', 'sys/policies/password/shared', { policy: POLICY }, token)).status, 403);
});
