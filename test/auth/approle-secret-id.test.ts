/**
 * AppRole secret IDs, without sockets: generate, custom, list, lookup and destroy by value and
 * by accessor, bounds against the role, storage (HMAC keys, local area), and tidy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyClassifier } from '../../src/storage/keys.js';
import { createRole, generate, makeAppRole, mountKeys } from './approle-harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('generate returns Vault\'s fields; the role\'s defaults apply', async () => {
  const h = makeAppRole();
  await createRole(h, 'r', { secret_id_num_uses: 10, secret_id_ttl: '10m' });
  const s = await generate(h, 'r');
  assert.deepEqual(Object.keys(s).sort(), ['secret_id', 'secret_id_accessor', 'secret_id_num_uses', 'secret_id_ttl']);
  assert.match(String(s['secret_id']), UUID);
  assert.match(String(s['secret_id_accessor']), UUID);
  assert.equal(s['secret_id_num_uses'], 10);
  assert.equal(s['secret_id_ttl'], 600);
  const narrower = await generate(h, 'r', { num_uses: 2, ttl: 60 });
  assert.equal(narrower['secret_id_num_uses'], 2);
  assert.equal(narrower['secret_id_ttl'], 60);
});

test('secret IDs, accessors and role IDs never reach storage in plaintext', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r', { role_id: 'role-id-plaintext-marker' });
  const s = await generate(h, 'r');
  const custom = await h.call('update', 'role/r/custom-secret-id', { secret_id: 'custom-secret-plaintext-marker' });
  assert.equal(custom?.data?.['secret_id'], 'custom-secret-plaintext-marker');
  const needles = [String(s['secret_id']), 'custom-secret-plaintext-marker', String(s['secret_id_accessor'])];
  for (const [key, value] of h.storage.entries) {
    for (const needle of needles) {
      assert.ok(!key.includes(needle), `key ${key} contains ${needle}`);
      // The accessor is stored inside its secret ID's entry (lookups return it); the secret never is.
      if (needle !== s['secret_id_accessor']) assert.ok(!value.toString('utf8').includes(needle), `value of ${key} contains ${needle}`);
    }
    assert.ok(!key.includes(roleId), `key ${key} contains the role ID`);
  }
});

test('list, lookup and destroy by secret ID', async () => {
  const h = makeAppRole();
  await createRole(h, 'r');
  assert.equal(await h.call('list', 'role/r/secret-id'), undefined);
  const a = await generate(h, 'r', { metadata: '{"env":"prod"}', cidr_list: '127.0.0.0/8', token_bound_cidrs: ['127.0.0.1'] });
  const b = await generate(h, 'r');
  const list = await h.call('list', 'role/r/secret-id/');
  assert.deepEqual(list?.data, { keys: [a['secret_id_accessor'], b['secret_id_accessor']].sort() });

  const looked = await h.call('update', 'role/r/secret-id/lookup', { secret_id: a['secret_id'] });
  assert.deepEqual(looked?.data, {
    cidr_list: ['127.0.0.0/8'],
    creation_time: '2026-01-01T00:00:00Z',
    expiration_time: '0001-01-01T00:00:00Z',
    last_updated_time: '2026-01-01T00:00:00Z',
    metadata: { env: 'prod' },
    secret_id_accessor: a['secret_id_accessor'],
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    token_bound_cidrs: ['127.0.0.1'],
  });
  assert.equal(await h.call('update', 'role/r/secret-id/lookup', { secret_id: 'not-a-secret-id' }), undefined);
  await h.fails('update', 'role/r/secret-id/lookup', {}, 400, 'missing secret_id');
  await h.fails('update', 'role/none/secret-id/lookup', { secret_id: 'x' }, 404, 'role "none" does not exist');

  assert.equal(await h.call('update', 'role/r/secret-id/destroy', { secret_id: a['secret_id'] }), undefined);
  assert.equal(await h.call('update', 'role/r/secret-id/lookup', { secret_id: a['secret_id'] }), undefined);
  assert.deepEqual((await h.call('list', 'role/r/secret-id'))?.data, { keys: [b['secret_id_accessor']] });
  // Destroying again is fine; DELETE works as well as POST.
  assert.equal(await h.call('delete', 'role/r/secret-id/destroy', { secret_id: a['secret_id'] }), undefined);
  assert.equal(await h.call('delete', 'role/r/secret-id/destroy', { secret_id: b['secret_id'] }), undefined);
  assert.equal(await h.call('list', 'role/r/secret-id'), undefined);
  assert.deepEqual(mountKeys(h).filter((k) => k.startsWith('secret_id/') || k.startsWith('accessor/')), []);
});

test('lookup and destroy by accessor; another role\'s accessor is not found', async () => {
  const h = makeAppRole();
  await createRole(h, 'r');
  await createRole(h, 'other');
  const s = await generate(h, 'r', { ttl: 90 });
  const accessor = String(s['secret_id_accessor']);
  const looked = await h.call('update', 'role/r/secret-id-accessor/lookup', { secret_id_accessor: accessor });
  assert.equal(looked?.data?.['secret_id_accessor'], accessor);
  assert.equal(looked?.data?.['expiration_time'], '2026-01-01T00:01:30Z');
  assert.equal(looked?.data?.['secret_id_ttl'], 90);

  const notFound = `failed to find accessor entry for secret_id_accessor: ${JSON.stringify(accessor)}`;
  await h.fails('update', 'role/other/secret-id-accessor/lookup', { secret_id_accessor: accessor }, 404, notFound);
  await h.fails('update', 'role/other/secret-id-accessor/destroy', { secret_id_accessor: accessor }, 404, notFound);
  await h.fails('update', 'role/r/secret-id-accessor/lookup', {}, 400, 'missing secret_id_accessor');
  // Still there after the refused cross-role destroy.
  assert.ok(await h.call('update', 'role/r/secret-id/lookup', { secret_id: s['secret_id'] }));

  assert.equal(await h.call('update', 'role/r/secret-id-accessor/destroy', { secret_id_accessor: accessor }), undefined);
  assert.equal(await h.call('update', 'role/r/secret-id/lookup', { secret_id: s['secret_id'] }), undefined);
  await h.fails('update', 'role/r/secret-id-accessor/lookup', { secret_id_accessor: accessor }, 404, notFound);
});

test('custom secret IDs: registered once, usable for login', async () => {
  const h = makeAppRole();
  const roleId = await createRole(h, 'r');
  const resp = await h.call('update', 'role/r/custom-secret-id', { secret_id: 'my-pushed-secret', num_uses: 1 });
  assert.equal(resp?.data?.['secret_id'], 'my-pushed-secret');
  assert.equal(resp?.data?.['secret_id_num_uses'], 1);
  assert.match(String(resp?.data?.['secret_id_accessor']), UUID);
  await h.fails('update', 'role/r/custom-secret-id', { secret_id: 'my-pushed-secret' }, 400, 'SecretID is already registered');
  await h.fails('update', 'role/r/custom-secret-id', {}, 400, 'missing secret_id');
  const login = await h.call('update', 'login', { role_id: roleId, secret_id: 'my-pushed-secret' });
  assert.ok(login?.login);
});

test('a secret ID stays within the role\'s bounds', async () => {
  const h = makeAppRole();
  await createRole(h, 'r', { secret_id_num_uses: 5, secret_id_ttl: '1h', secret_id_bound_cidrs: '10.0.0.0/8', token_bound_cidrs: '10.0.0.0/8' });
  await h.fails('update', 'role/r/secret-id', { num_uses: 6 }, 400, "num_uses cannot be higher than the role's secret_id_num_uses");
  await h.fails('update', 'role/r/secret-id', { num_uses: 0 }, 400, "num_uses cannot be higher than the role's secret_id_num_uses");
  await h.fails('update', 'role/r/secret-id', { num_uses: -1 }, 400, 'num_uses cannot be negative');
  await h.fails('update', 'role/r/secret-id', { ttl: '2h' }, 400, "ttl cannot be longer than the role's secret_id_ttl");
  await h.fails(
    'update',
    'role/r/secret-id',
    { cidr_list: '10.1.0.0/16,192.168.1.0/24' },
    400,
    'failed to verify the CIDR restrictions set on the secret ID: CIDR blocks on the secret ID ["10.1.0.0/16" "192.168.1.0/24"] should be a subset of CIDR blocks on the role ["10.0.0.0/8"]',
  );
  await h.fails(
    'update',
    'role/r/secret-id',
    { token_bound_cidrs: '0.0.0.0/0' },
    400,
    'failed to verify the token bound CIDR restrictions set on the secret ID: CIDR blocks on the secret ID ["0.0.0.0/0"] should be a subset of token bound CIDR blocks on the role ["10.0.0.0/8"]',
  );
  await h.fails('update', 'role/r/secret-id', { cidr_list: 'junk' }, 400, 'invalid CIDR block "junk" in cidr_list');
  await h.fails('update', 'role/r/secret-id', { metadata: '{not json' }, 400, /* message from JSON.parse */ await parseError('{not json'));
  await h.fails('update', 'role/r/secret-id', { metadata: '{"n":1}' }, 400, 'failed to parse metadata: value of "n" is not a string');
  await h.fails('update', 'role/r/secret-id', { metadata: '[]' }, 400, 'failed to parse metadata: expected a JSON object');
  await h.fails('update', 'role/none/secret-id', {}, 404, 'role "none" does not exist');
  // Nothing was stored by the refused requests.
  assert.equal(await h.call('list', 'role/r/secret-id'), undefined);
  const ok = await generate(h, 'r', { cidr_list: '10.1.0.0/16', token_bound_cidrs: '10.2.3.4', num_uses: 5, ttl: '30m' });
  assert.equal(ok['secret_id_num_uses'], 5);

  await createRole(h, 'nobind', { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.1/32' });
  await h.fails('update', 'role/nobind/secret-id', {}, 400, 'bind_secret_id is not set on the role');
});

async function parseError(text: string): Promise<string> {
  try {
    JSON.parse(text);
  } catch (err) {
    return `failed to parse metadata: ${(err as Error).message}`;
  }
  throw new Error('expected a parse error');
}

test('secret IDs of local_secret_ids roles land under the declared local prefix', async () => {
  const h = makeAppRole();
  await createRole(h, 'loc', { local_secret_ids: true });
  await createRole(h, 'shared');
  await generate(h, 'loc');
  await generate(h, 'shared');
  const classifier = new KeyClassifier();
  classifier.setMount(h.prefix, { local: false, localPaths: h.backend.specialPaths.local ?? [] });

  const keys = mountKeys(h);
  const local = keys.filter((k) => classifier.classify(h.prefix + k) === 'local').sort();
  const replicated = keys.filter((k) => classifier.classify(h.prefix + k) === 'replicated');
  // The local role's secret ID and accessor, and nothing else, stay on this cluster.
  assert.equal(local.length, 2, local.join('\n'));
  assert.ok(local[0]!.startsWith('local/accessor/'));
  assert.ok(local[1]!.startsWith('local/secret_id/'));
  assert.ok(replicated.some((k) => k.startsWith('secret_id/')));
  assert.ok(replicated.some((k) => k.startsWith('accessor/')));
  assert.ok(replicated.includes('role/loc') && replicated.includes('salt'));

  // Everything still works through the local area.
  const list = await h.call('list', 'role/loc/secret-id');
  assert.equal((list?.data?.['keys'] as string[]).length, 1);
});

test('tidy removes expired secret IDs and dangling entries, and keeps live ones', async () => {
  const h = makeAppRole();
  await createRole(h, 'r', { secret_id_ttl: 60 });
  await createRole(h, 'loc', { local_secret_ids: true, secret_id_ttl: 60 });
  await generate(h, 'r');
  await generate(h, 'loc');
  h.clock.advance(30_000);
  const live = await generate(h, 'r');
  const liveLocal = await generate(h, 'loc');
  h.clock.advance(31_000); // the first two are now expired, the second two are not

  // A dangling accessor entry, and secret IDs of a role deleted behind the backend's back.
  const orphanAccessor = `${h.prefix}accessor/deadbeef`;
  h.storage.entries.set(orphanAccessor, Buffer.from(JSON.stringify({ roleKey: 'nope', secretIdKey: 'nope' })));
  await createRole(h, 'ghost');
  await generate(h, 'ghost');
  h.storage.entries.delete(`${h.prefix}role/ghost`);

  const before = mountKeys(h).filter((k) => k.includes('secret_id/')).length;
  assert.equal(before, 5);
  const resp = await h.call('update', 'tidy/secret-id');
  assert.equal(resp?.statusCode, 202);
  assert.equal(resp?.warnings?.length, 1);
  const after = mountKeys(h);
  assert.equal(after.filter((k) => k.includes('secret_id/')).length, 2, after.join('\n'));
  assert.equal(after.filter((k) => k.includes('accessor/')).length, 2, after.join('\n'));
  assert.ok(!h.storage.entries.has(orphanAccessor));
  assert.deepEqual((await h.call('list', 'role/r/secret-id'))?.data, { keys: [live['secret_id_accessor']] });
  assert.deepEqual((await h.call('list', 'role/loc/secret-id'))?.data, { keys: [liveLocal['secret_id_accessor']] });
});
