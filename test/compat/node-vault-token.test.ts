/** node-vault (npm) against a real dev server process: the token auth method's commands. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const require = createRequire(import.meta.url);
// node-vault is CommonJS without types.
const nodeVault = require('node-vault') as (opts: { apiVersion?: string; endpoint: string; token?: string }) => any;

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('node-vault: tokenCreate, lookups, renewals, revocations, roles', async () => {
  server = await startServerProcess(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:0']);
  const admin = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: 'root' });

  // tokenCreate makes the new token the client's token (node-vault's tokenSource).
  const user = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: 'root' });
  const created = await user.tokenCreate({ policies: ['default'], ttl: '1h', meta: { app: 'nv' }, display_name: 'nv' });
  assert.match(created.auth.client_token, /^s\./);
  assert.equal(user.token, created.auth.client_token);
  assert.equal(created.auth.lease_duration, 3600);
  assert.deepEqual(created.auth.policies, ['default']);

  const self = await user.tokenLookupSelf();
  assert.equal(self.data.id, created.auth.client_token);
  assert.equal(self.data.display_name, 'token-nv');
  assert.deepEqual(self.data.meta, { app: 'nv' });

  const renewed = await user.tokenRenewSelf({ increment: '20m' });
  assert.equal(renewed.auth.lease_duration, 1200);
  // tokenRenewSelf is a tokenSource too: the client keeps the same token.
  assert.equal(user.token, created.auth.client_token);

  const looked = await admin.tokenLookup({ token: created.auth.client_token });
  assert.equal(looked.data.accessor, created.auth.accessor);
  const byAccessor = await admin.tokenLookupAccessor({ accessor: created.auth.accessor });
  assert.equal(byAccessor.data.id, '');
  const renewedByRoot = await admin.tokenRenew({ token: created.auth.client_token });
  assert.equal(renewedByRoot.auth.lease_duration, 3600);
  // tokenRenew is a tokenSource as well: it switched the client to the renewed token.
  assert.equal(admin.token, created.auth.client_token);
  admin.token = 'root';

  const orphanMaker = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: 'root' });
  const orphan = await orphanMaker.tokenCreateOrphan({ policies: ['default'] });
  assert.equal(orphan.auth.orphan, true);

  await admin.addTokenRole({ role_name: 'ci', allowed_policies: 'ci-runner', orphan: false, path_suffix: 'v3' });
  assert.deepEqual((await admin.tokenRoles()).data.keys, ['ci']);
  const roleMaker = nodeVault({ apiVersion: 'v1', endpoint: server.url, token: 'root' });
  const fromRole = await roleMaker.tokenCreateRole({ role_name: 'ci' });
  assert.deepEqual(fromRole.auth.policies, ['ci-runner', 'default']);
  assert.equal((await admin.tokenLookup({ token: fromRole.auth.client_token })).data.path, 'auth/token/create/ci/v3');

  const accessors = (await admin.tokenAccessors()).data.keys as string[];
  assert.ok(accessors.includes(created.auth.accessor));

  await admin.tokenRevokeAccessor({ accessor: orphan.auth.accessor });
  await assert.rejects(admin.tokenLookup({ token: orphan.auth.client_token }), (e: any) => e.response?.statusCode === 403);
  await admin.tokenRevoke({ token: fromRole.auth.client_token });
  await assert.rejects(admin.tokenLookup({ token: fromRole.auth.client_token }), (e: any) => e.response?.statusCode === 403);

  await user.tokenRevokeSelf();
  await assert.rejects(user.tokenLookupSelf(), (e: any) => e.response?.statusCode === 403);
  await assert.rejects(
    admin.tokenCreate({ policies: ['x'], num_uses: -1 }),
    (e: any) => e.response?.statusCode === 400 && /number of uses cannot be negative/.test(e.message),
  );
});
