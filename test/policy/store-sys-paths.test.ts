/** The sys/ tables for policies and capabilities: wiring, Vault's root-protected list, base64 text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findOverlapDetails } from '../../src/framework/index.js';
import { Core } from '../../src/core/core.js';
import { matchesAny } from '../../src/core/special-paths.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { silentLogger } from '../../src/util/logger.js';
import { capabilitiesPaths } from '../../src/system/capabilities-paths.js';
import { decodePolicyText, policyPaths } from '../../src/system/policy-paths.js';
import { SYS_ROOT_PATHS } from '../../src/system/root-paths.js';
import { sysPaths } from '../../src/system/sys-backend.js';

test('policy and capabilities paths are wired into the sys/ table (its overlap test: test/core/sys-overlaps)', () => {
  const core = new Core({ physical: new InmemPhysical(), storageType: 'inmem', logger: silentLogger, ttls: { defaultLeaseTTL: 60, maxLeaseTTL: 120 } });
  const all = sysPaths(core);
  const mine = [...policyPaths(core), ...capabilitiesPaths(core)];
  for (const p of mine) assert.ok(all.some((q) => q.pattern === p.pattern), `${p.pattern} is not in the sys/ table`);
  assert.deepEqual(findOverlapDetails(mine), []);
});

test('root-protected sys/ paths follow Vault\'s documented list', () => {
  const root = (p: string): boolean => matchesAny(SYS_ROOT_PATHS, p);
  for (const p of [
    'auth/userpass',
    'auth/userpass/tune',
    'audit',
    'audit/file',
    'raw/core/keyring',
    'raw',
    'rotate',
    'seal',
    'step-down',
    'remount',
    'config/cors',
    'config/auditing/request-headers/x',
    'config/ui/headers/x',
    'plugins/catalog/secret/kv',
    'leases/lookup/aws/',
    'leases/revoke-prefix/aws',
    'leases/revoke-force/aws',
    'revoke-prefix/aws',
    'revoke-force/aws',
    'replication/performance/primary/secondary-token',
    'replication/dr/primary/secondary-token',
    'replication/reindex',
  ]) {
    assert.ok(root(p), `sys/${p} should need sudo`);
  }
  for (const p of [
    'mounts',
    'mounts/secret',
    'mounts/secret/tune',
    'auth',
    'key-status',
    'policy',
    'policy/dev',
    'policies/acl/dev',
    'capabilities',
    'capabilities-self',
    'internal/ui/resultant-acl',
    'leases/lookup',
    'leases/renew',
    'rotate-something',
    'sealed',
  ]) {
    assert.ok(!root(p), `sys/${p} should not need sudo`);
  }
});

test('policy text may arrive base64-encoded; anything else is taken as written', () => {
  const hcl = 'path "secret/*" {\n  capabilities = ["read"]\n}\n';
  assert.equal(decodePolicyText(Buffer.from(hcl).toString('base64')), hcl);
  // Go's decoder ignores line breaks inside base64 (as produced by `base64` tools).
  const wrapped = Buffer.from(hcl).toString('base64').replace(/(.{16})/g, '$1\n');
  assert.equal(decodePolicyText(wrapped), hcl);
  assert.equal(decodePolicyText(hcl), hcl);
  assert.equal(decodePolicyText('{"path":{"a":{"capabilities":["read"]}}}'), '{"path":{"a":{"capabilities":["read"]}}}');
  assert.equal(decodePolicyText('abc'), 'abc', 'unpadded is not standard base64');
});
