import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileACL,
  DEFAULT_POLICY,
  DEFAULT_POLICY_TEXT,
  parsePolicy,
  RESPONSE_WRAPPING_POLICY,
  ROOT_POLICY,
} from '../../src/policy/index.js';

const IDENTITY = { entity: { id: 'ent-1', name: 'alice' } };

test('the default policy parses into the rules Vault ships', () => {
  assert.equal(DEFAULT_POLICY.name, 'default');
  assert.equal(DEFAULT_POLICY.raw, DEFAULT_POLICY_TEXT);
  assert.equal(DEFAULT_POLICY.templated, true);
  const rules = Object.fromEntries(DEFAULT_POLICY.paths.map((r) => [r.path, [...r.capabilities].sort()]));
  assert.deepEqual(rules, {
    'auth/token/lookup-self': ['read'],
    'auth/token/renew-self': ['update'],
    'auth/token/revoke-self': ['update'],
    'sys/capabilities-self': ['update'],
    'identity/entity/id/{{identity.entity.id}}': ['read'],
    'identity/entity/name/{{identity.entity.name}}': ['read'],
    'sys/internal/ui/resultant-acl': ['read'],
    'sys/renew': ['update'],
    'sys/leases/renew': ['update'],
    'sys/leases/lookup': ['update'],
    'cubbyhole/*': ['create', 'delete', 'list', 'read', 'update'],
    'sys/wrapping/wrap': ['update'],
    'sys/wrapping/lookup': ['update'],
    'sys/wrapping/unwrap': ['update'],
    'sys/tools/hash': ['update'],
    'sys/tools/hash/*': ['update'],
    'sys/control-group/request': ['update'],
    'identity/oidc/provider/+/authorize': ['read', 'update'],
  });
  // Stored text round-trips through the parser (what sys/policy/default returns).
  assert.deepEqual(parsePolicy('default', DEFAULT_POLICY.raw).paths, DEFAULT_POLICY.paths);
});

test('default policy behaviour for a token with an entity', () => {
  const acl = compileACL([DEFAULT_POLICY], { identity: IDENTITY });
  assert.equal(acl.allowed('read', 'auth/token/lookup-self').allowed, true);
  assert.equal(acl.allowed('update', 'auth/token/renew-self').allowed, true);
  assert.equal(acl.allowed('update', 'sys/capabilities-self').allowed, true);
  assert.equal(acl.allowed('list', 'cubbyhole/').allowed, true);
  assert.equal(acl.allowed('create', 'cubbyhole/a/b', { x: 1 }).allowed, true);
  assert.equal(acl.allowed('update', 'sys/tools/hash/sha2-256').allowed, true);
  assert.equal(acl.allowed('read', 'identity/entity/id/ent-1').allowed, true);
  assert.equal(acl.allowed('read', 'identity/entity/name/alice').allowed, true);
  assert.equal(acl.allowed('read', 'identity/entity/id/ent-2').allowed, false);
  assert.equal(acl.allowed('update', 'identity/oidc/provider/default/authorize').allowed, true);
  assert.equal(acl.allowed('read', 'secret/foo').allowed, false);
  assert.equal(acl.allowed('update', 'sys/wrapping/rewrap').allowed, false);
  assert.equal(acl.allowed('read', 'auth/token/lookup-self').sudo, false);
});

test('templated default rules are dropped for a token without an entity', () => {
  const acl = compileACL([DEFAULT_POLICY]);
  assert.deepEqual(acl.capabilities('identity/entity/id/'), ['deny']);
  assert.ok(!Object.keys(acl.resultant().exactPaths).some((p) => p.startsWith('identity/entity')));
  assert.deepEqual(acl.capabilities('auth/token/lookup-self'), ['read']);
});

test('templates resolve metadata, aliases and groups', () => {
  const p = parsePolicy(
    't',
    `path "kv/{{identity.entity.metadata.team}}/*" { capabilities = ["read"] }
     path "kv/alias/{{ identity.entity.aliases.auth_userpass_1.name }}" { capabilities = ["read"] }
     path "kv/group/{{identity.groups.names.ops.id}}" { capabilities = ["read"] }
     path "kv/gm/{{identity.groups.ids.g1.metadata.region}}" { capabilities = ["read"] }`,
  );
  const acl = compileACL([p], {
    identity: {
      entity: { id: 'e', name: 'n', metadata: { team: 'blue' }, aliases: [{ mountAccessor: 'auth_userpass_1', id: 'a1', name: 'bob' }] },
      groups: [{ id: 'g1', name: 'ops', metadata: { region: 'eu' } }],
    },
  });
  assert.deepEqual(acl.capabilities('kv/blue/x'), ['read']);
  assert.deepEqual(acl.capabilities('kv/alias/bob'), ['read']);
  assert.deepEqual(acl.capabilities('kv/group/g1'), ['read']);
  assert.deepEqual(acl.capabilities('kv/gm/eu'), ['read']);
  assert.deepEqual(compileACL([p], { identity: { entity: { id: 'e', name: 'n' } } }).capabilities('kv/blue/x'), ['deny']);
});

test('response-wrapping policy: read the cubbyhole response and unwrap, nothing else', () => {
  const acl = compileACL([RESPONSE_WRAPPING_POLICY]);
  assert.deepEqual(acl.capabilities('cubbyhole/response'), ['create', 'read']);
  assert.equal(acl.allowed('update', 'sys/wrapping/unwrap').allowed, true);
  assert.equal(acl.allowed('read', 'cubbyhole/other').allowed, false);
  assert.equal(acl.allowed('read', 'auth/token/lookup-self').allowed, false);
});

test('root policy allows everything, even alongside other policies', () => {
  const acl = compileACL([DEFAULT_POLICY, ROOT_POLICY]);
  assert.equal(acl.root, true);
  assert.deepEqual(acl.capabilities('sys/seal'), ['root']);
  assert.equal(acl.allowed('delete', 'sys/policies/acl/x').allowed, true);
  assert.equal(acl.resultant().root, true);
});

test('resultant view lists exact and glob paths with their merged rules', () => {
  const acl = compileACL([
    parsePolicy('a', 'path "s/x" { capabilities = ["read"] required_parameters = ["k"] }\npath "s/+/y*" { capabilities = ["list"] }'),
    parsePolicy('b', 'path "s/x" { capabilities = ["update"] max_wrapping_ttl = 60 }\npath "__proto__" { capabilities = ["read"] }'),
  ]);
  const r = acl.resultant();
  assert.deepEqual(r.exactPaths['s/x'], { capabilities: ['read', 'update'], requiredParameters: ['k'], maxWrappingTTL: 60 });
  assert.deepEqual(r.globPaths['s/+/y*'], { capabilities: ['list'] });
  assert.ok(Object.prototype.hasOwnProperty.call(r.exactPaths, '__proto__'));
});
