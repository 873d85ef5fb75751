/**
 * Golden table of path-matching cases from Vault's "Policies" documentation: exact and glob
 * paths, "+" segments, priority matching, deny, sudo, parameter constraints and wrapping
 * TTLs. Each case lists the policies (merged into one ACL) and the expected answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileACL, parsePolicy, ROOT_POLICY } from '../../src/policy/index.js';
import type { Operation } from '../../src/logical/request.js';

interface Check {
  readonly op: Operation;
  readonly path: string;
  readonly data?: Record<string, unknown>;
  readonly wrapTTL?: number;
  readonly allowed: boolean;
  readonly sudo?: boolean;
}

interface Case {
  readonly name: string;
  readonly policies: readonly string[];
  /** sys/capabilities answers: path -> sorted capabilities. */
  readonly caps?: Readonly<Record<string, readonly string[]>>;
  readonly checks?: readonly Check[];
}

const ALL = '["create", "read", "update", "patch", "delete", "list"]';

const CASES: readonly Case[] = [
  {
    name: 'docs: secret/* with an explicit deny and a restricted path',
    policies: [
      `path "secret/*" { capabilities = ${ALL} }
       path "secret/super-secret" { capabilities = ["deny"] }
       path "secret/restricted" {
         capabilities = ["create"]
         allowed_parameters = { "foo" = [] "bar" = ["zip", "zap"] }
       }`,
    ],
    caps: {
      'secret/anything': ['create', 'delete', 'list', 'patch', 'read', 'update'],
      'secret/super-secret': ['deny'],
      'secret/restricted': ['create'],
      'other/path': ['deny'],
    },
    checks: [
      { op: 'read', path: 'secret/a/b/c', allowed: true },
      { op: 'read', path: 'secret/super-secret', allowed: false },
      { op: 'delete', path: 'secret/super-secret', allowed: false },
      { op: 'create', path: 'secret/restricted', data: { foo: 'anything', bar: 'zip' }, allowed: true },
      { op: 'create', path: 'secret/restricted', data: { bar: 'zap' }, allowed: true },
      { op: 'create', path: 'secret/restricted', data: { bar: 'zop' }, allowed: false },
      { op: 'create', path: 'secret/restricted', data: { baz: 1 }, allowed: false },
      { op: 'update', path: 'secret/restricted', data: { foo: 1 }, allowed: false },
      { op: 'read', path: 'secret', allowed: false },
    ],
  },
  {
    name: 'docs: exact path versus glob prefixes',
    policies: [
      `path "secret/foo" { capabilities = ["read"] }
       path "secret/bar/*" { capabilities = ["read"] }
       path "secret/zip-*" { capabilities = ["read"] }`,
    ],
    checks: [
      { op: 'read', path: 'secret/foo', allowed: true },
      { op: 'read', path: 'secret/food', allowed: false },
      { op: 'read', path: 'secret/foo/bar', allowed: false },
      { op: 'read', path: 'secret/bar/zip', allowed: true },
      { op: 'read', path: 'secret/bar/zip/zap', allowed: true },
      { op: 'read', path: 'secret/bars/zip', allowed: false },
      { op: 'read', path: 'secret/zip-zap', allowed: true },
      { op: 'read', path: 'secret/zip-zap/zong', allowed: true },
      { op: 'read', path: 'secret/zip/zap', allowed: false },
      { op: 'update', path: 'secret/foo', allowed: false },
    ],
  },
  {
    name: 'docs: + matches exactly one segment',
    policies: [
      `path "secret/+/teamb" { capabilities = ["read"] }
       path "secret/+/+/teamb" { capabilities = ["read"] }`,
    ],
    checks: [
      { op: 'read', path: 'secret/foo/teamb', allowed: true },
      { op: 'read', path: 'secret/foo/bar/teamb', allowed: true },
      { op: 'read', path: 'secret/bar/foo/teamb', allowed: true },
      { op: 'read', path: 'secret/teamb', allowed: false },
      { op: 'read', path: 'secret/a/b/c/teamb', allowed: false },
      { op: 'read', path: 'secret/foo/teamb/x', allowed: false },
      { op: 'read', path: 'secret/foo/teambx', allowed: false },
    ],
  },
  {
    name: 'docs priority example: secret/* outranks secret/+/+/foo/* (rule 3, fewer + segments)',
    policies: [`path "secret/*" { capabilities = ["read"] }`, `path "secret/+/+/foo/*" { capabilities = ["update"] }`],
    caps: { 'secret/a/b/foo/c': ['read'], 'secret/a': ['read'] },
    checks: [{ op: 'update', path: 'secret/a/b/foo/c', allowed: false }],
  },
  {
    name: 'rule 1: the later first wildcard wins, whichever kind it is',
    policies: [
      `path "secret/+/foo" { capabilities = ["read"] }
       path "secret/a/*" { capabilities = ["update"] }
       path "+/a/foo" { capabilities = ["delete"] }`,
    ],
    caps: { 'secret/a/foo': ['update'], 'secret/b/foo': ['read'], 'other/a/foo': ['delete'] },
  },
  {
    name: 'rule 2: not ending in * beats ending in *',
    policies: [`path "secret/+/foo" { capabilities = ["read"] }`, `path "secret/+/foo*" { capabilities = ["update"] }`],
    caps: { 'secret/x/foo': ['read'], 'secret/x/foobar': ['update'], 'secret/x/foo/bar': ['update'] },
  },
  {
    name: 'rule 4: longer beats shorter at equal wildcard position',
    policies: [`path "secret/+/a*" { capabilities = ["read"] }`, `path "secret/+/ab*" { capabilities = ["update"] }`],
    caps: { 'secret/x/abc': ['update'], 'secret/x/ac': ['read'] },
  },
  {
    name: 'the longest plain glob wins among globs',
    policies: [`path "secret/*" { capabilities = ["deny"] }`, `path "secret/public/*" { capabilities = ["read", "list"] }`],
    caps: { 'secret/public/x': ['list', 'read'], 'secret/private': ['deny'], 'secret/public': ['deny'] },
  },
  {
    name: 'exact beats glob in both directions: an exact grant under a denied glob',
    policies: [`path "secret/*" { capabilities = ["deny"] }`, `path "secret/foo" { capabilities = ["read"] }`],
    caps: { 'secret/foo': ['read'], 'secret/foo/x': ['deny'] },
  },
  {
    name: 'same path in several policies: capabilities are unioned',
    policies: [`path "secret/foo" { capabilities = ["read"] }`, `path "secret/foo" { capabilities = ["update", "list"] }`],
    caps: { 'secret/foo': ['list', 'read', 'update'] },
  },
  {
    name: 'same path in several policies: deny wins whatever the order',
    policies: [
      `path "secret/foo" { capabilities = ["read", "sudo"] }`,
      `path "secret/foo" { capabilities = ["deny"] }`,
      `path "secret/bar" { capabilities = ["deny"] }`,
      `path "secret/bar" { capabilities = ["read"] }`,
    ],
    caps: { 'secret/foo': ['deny'], 'secret/bar': ['deny'] },
    checks: [{ op: 'read', path: 'secret/foo', allowed: false, sudo: false }],
  },
  {
    name: 'deny in a capability list removes every other capability',
    policies: [`path "secret/foo" { capabilities = ["read", "deny", "sudo"] }`],
    caps: { 'secret/foo': ['deny'] },
  },
  {
    name: 'legacy docs example: policy shorthands mixed with capabilities',
    policies: [
      `path "sys/*" { policy = "deny" }
       path "secret/*" { policy = "write" }
       path "secret/foo" {
         policy = "read"
         capabilities = ["create", "sudo"]
       }
       path "secret/super-secret" { capabilities = ["deny"] }`,
    ],
    caps: {
      'sys/mounts': ['deny'],
      'secret/x': ['create', 'delete', 'list', 'read', 'update'],
      'secret/foo': ['create', 'list', 'read', 'sudo'],
      'secret/super-secret': ['deny'],
    },
    checks: [
      { op: 'read', path: 'secret/foo', allowed: true, sudo: true },
      { op: 'patch', path: 'secret/x', allowed: false },
    ],
  },
  {
    name: 'sudo is reported for the winning rule and does not grant operations by itself',
    policies: [`path "sys/audit/*" { capabilities = ["sudo"] }`, `path "sys/audit/file" { capabilities = ["update", "sudo"] }`],
    checks: [
      { op: 'update', path: 'sys/audit/file', allowed: true, sudo: true },
      { op: 'update', path: 'sys/audit/other', allowed: false, sudo: true },
      { op: 'read', path: 'sys/mounts', allowed: false, sudo: false },
    ],
  },
  {
    name: 'operation to capability mapping',
    policies: [`path "a/read" { capabilities = ["read"] }
      path "a/list" { capabilities = ["list"] }
      path "a/create" { capabilities = ["create"] }
      path "a/update" { capabilities = ["update"] }
      path "a/patch" { capabilities = ["patch"] }
      path "a/delete" { capabilities = ["delete"] }`],
    checks: (['read', 'list', 'create', 'update', 'patch', 'delete'] as const).flatMap((cap) =>
      (['read', 'list', 'create', 'update', 'patch', 'delete'] as const).map((op) => ({ op, path: `a/${cap}`, allowed: op === cap })),
    ),
  },
  {
    name: 'LIST with a trailing slash matches rules written without it',
    policies: [`path "secret/metadata/app" { capabilities = ["list"] }`, `path "+/sys/policies/acl" { capabilities = ["list"] }`],
    checks: [
      { op: 'list', path: 'secret/metadata/app/', allowed: true },
      { op: 'list', path: 'ns1/sys/policies/acl/', allowed: true },
      { op: 'read', path: 'secret/metadata/app/', allowed: false },
      { op: 'list', path: 'secret/metadata/other/', allowed: false },
    ],
  },
  {
    name: 'docs: required_parameters',
    policies: [`path "secret/foo" { capabilities = ["create"] required_parameters = ["bar", "baz"] }`],
    checks: [
      { op: 'create', path: 'secret/foo', data: { bar: 1, baz: 2, other: 3 }, allowed: true },
      { op: 'create', path: 'secret/foo', data: { bar: 1 }, allowed: false },
      { op: 'create', path: 'secret/foo', data: {}, allowed: false },
    ],
  },
  {
    name: 'docs: allowed_parameters with "*" lets other parameters through',
    policies: [`path "secret/foo" { capabilities = ["create"] allowed_parameters = { "bar" = ["zip", "zap"] "*" = [] } }`],
    checks: [
      { op: 'create', path: 'secret/foo', data: { bar: 'zip', any: 'thing' }, allowed: true },
      { op: 'create', path: 'secret/foo', data: { bar: 'nope', any: 'thing' }, allowed: false },
      { op: 'create', path: 'secret/foo', data: { BAR: 'zap' }, allowed: true },
      { op: 'create', path: 'secret/foo', data: {}, allowed: true },
    ],
  },
  {
    name: 'docs: value globs in allowed_parameters',
    policies: [
      `path "secret/foo" { capabilities = ["create", "update", "patch"] allowed_parameters = { "bar" = ["baz/*"] } }
       path "secret/pre" { capabilities = ["create"] allowed_parameters = { "bar" = ["foo-*", "*-suffix", "*mid*"] } }`,
    ],
    checks: [
      { op: 'update', path: 'secret/foo', data: { bar: 'baz/quux' }, allowed: true },
      { op: 'patch', path: 'secret/foo', data: { bar: 'baz/quux,wibble,wobble' }, allowed: true },
      { op: 'update', path: 'secret/foo', data: { bar: 'bar/quux' }, allowed: false },
      { op: 'create', path: 'secret/pre', data: { bar: 'foo-1' }, allowed: true },
      { op: 'create', path: 'secret/pre', data: { bar: 'x-suffix' }, allowed: true },
      { op: 'create', path: 'secret/pre', data: { bar: 'xxmidxx' }, allowed: true },
      { op: 'create', path: 'secret/pre', data: { bar: 'foo' }, allowed: false },
      { op: 'create', path: 'secret/pre', data: { bar: ['foo-1', 'x-suffix'] }, allowed: true },
      { op: 'create', path: 'secret/pre', data: { bar: ['foo-1', 'nope'] }, allowed: false },
    ],
  },
  {
    name: 'docs: denied_parameters (any value, listed values, "*")',
    policies: [
      `path "secret/any" { capabilities = ["create"] denied_parameters = { "bar" = [] } }
       path "secret/vals" { capabilities = ["create"] denied_parameters = { "bar" = ["zip", "zap"] } }
       path "secret/none" { capabilities = ["create"] denied_parameters = { "*" = [] } }
       path "secret/both" {
         capabilities = ["create"]
         allowed_parameters = { "bar" = [] }
         denied_parameters = { "bar" = ["zip"] }
       }`,
    ],
    checks: [
      { op: 'create', path: 'secret/any', data: { foo: 1 }, allowed: true },
      { op: 'create', path: 'secret/any', data: { bar: 1 }, allowed: false },
      { op: 'create', path: 'secret/vals', data: { bar: 'zop', foo: 1 }, allowed: true },
      { op: 'create', path: 'secret/vals', data: { bar: 'zip' }, allowed: false },
      { op: 'create', path: 'secret/vals', data: { bar: ['ok', 'zap'] }, allowed: false },
      { op: 'create', path: 'secret/none', data: {}, allowed: true },
      { op: 'create', path: 'secret/none', data: { x: 1 }, allowed: false },
      { op: 'create', path: 'secret/both', data: { bar: 'zap' }, allowed: true },
      { op: 'create', path: 'secret/both', data: { bar: 'zip' }, allowed: false },
      { op: 'create', path: 'secret/both', data: { other: 'zap' }, allowed: false },
    ],
  },
  {
    name: 'parameter constraints are not applied to reads',
    policies: [`path "secret/foo" { capabilities = ["read", "create"] allowed_parameters = { "a" = [] } }`],
    checks: [
      { op: 'read', path: 'secret/foo', data: { b: 1 }, allowed: true },
      { op: 'create', path: 'secret/foo', data: { b: 1 }, allowed: false },
    ],
  },
  {
    name: 'merged parameter constraints across policies',
    policies: [
      `path "secret/foo" { capabilities = ["create"] allowed_parameters = { "a" = ["1"] } denied_parameters = { "x" = ["bad"] } }`,
      `path "secret/foo" { capabilities = ["update"] allowed_parameters = { "a" = ["2"] "b" = [] } required_parameters = ["a"] }`,
      `path "secret/open" { capabilities = ["create"] allowed_parameters = { "a" = [] } }`,
      `path "secret/open" { capabilities = ["create"] }`,
    ],
    checks: [
      { op: 'create', path: 'secret/foo', data: { a: '1' }, allowed: true },
      { op: 'update', path: 'secret/foo', data: { a: '2', b: 'x' }, allowed: true },
      { op: 'update', path: 'secret/foo', data: { a: '3' }, allowed: false },
      { op: 'update', path: 'secret/foo', data: { b: 'x' }, allowed: false },
      { op: 'create', path: 'secret/open', data: { z: 1 }, allowed: true },
    ],
  },
  {
    name: 'docs: min_wrapping_ttl 1s and max_wrapping_ttl 90s make wrapping mandatory',
    policies: [
      `path "auth/approle/role/my-role/secret-id" {
         capabilities = ["create", "update"]
         min_wrapping_ttl = "1s"
         max_wrapping_ttl = "90s"
       }`,
    ],
    checks: [
      { op: 'update', path: 'auth/approle/role/my-role/secret-id', allowed: false },
      { op: 'update', path: 'auth/approle/role/my-role/secret-id', wrapTTL: 60, allowed: true },
      { op: 'update', path: 'auth/approle/role/my-role/secret-id', wrapTTL: 91, allowed: false },
    ],
  },
  {
    name: 'the root policy allows everything with sudo',
    policies: [],
    caps: { 'sys/audit': ['root'], anything: ['root'] },
  },
  {
    name: 'an empty policy grants nothing',
    policies: [''],
    caps: { 'secret/foo': ['deny'] },
    checks: [{ op: 'read', path: 'secret/foo', allowed: false }],
  },
];

for (const c of CASES) {
  test(`golden: ${c.name}`, () => {
    const policies = c.policies.map((text, i) => parsePolicy(`p${i}`, text));
    const acl = compileACL(c.name.startsWith('the root policy') ? [ROOT_POLICY] : policies);
    for (const [path, want] of Object.entries(c.caps ?? {})) {
      assert.deepEqual(acl.capabilities(path), want, `capabilities(${path})`);
    }
    for (const check of c.checks ?? []) {
      const got = acl.allowed(check.op, check.path, check.data, check.wrapTTL);
      const what = `${check.op} ${check.path} ${JSON.stringify(check.data ?? {})} wrap=${check.wrapTTL ?? 0}`;
      assert.equal(got.allowed, check.allowed, what);
      if (check.sudo !== undefined) assert.equal(got.sudo, check.sudo, `sudo for ${what}`);
    }
  });
}

test('root decision carries sudo and the root capability', () => {
  const d = compileACL([ROOT_POLICY]).allowed('delete', 'sys/raw/x');
  assert.deepEqual([d.allowed, d.sudo, d.root, d.capabilities], [true, true, true, ['root']]);
});
