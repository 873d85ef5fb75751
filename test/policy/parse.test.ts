import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../../src/errors.js';
import {
  checkDeletablePolicyName,
  checkWritablePolicyName,
  compileACL,
  parsePolicy,
  PolicyParseError,
  type Policy,
} from '../../src/policy/index.js';

function parseError(text: string): PolicyParseError {
  try {
    parsePolicy('p', text);
  } catch (err) {
    assert.ok(err instanceof PolicyParseError, `expected PolicyParseError, got ${String(err)}`);
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.status, 400);
    assert.match(err.message, /^failed to parse policy: /);
    return err;
  }
  assert.fail(`policy parsed but should not have: ${text}`);
}

test('parses every path attribute into a typed rule', () => {
  const p = parsePolicy(
    '  My-Policy ',
    `# comment
path "/secret/foo" {
  comment = "why"
  capabilities = ["create", "read", "create"]
  required_parameters = ["a", "a", "b"]
  allowed_parameters = { "Bar" = ["zip", 1, true] "*" = [] }
  denied_parameters = { "x" = [] }
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = 3600
}
path "secret/{{identity.entity.id}}/*" { capabilities = ["list"] }
`,
  );
  assert.equal(p.name, 'my-policy');
  assert.equal(p.templated, true);
  const [a, b] = p.paths;
  assert.ok(a && b);
  assert.equal(a.path, 'secret/foo');
  assert.equal(a.line, 2);
  assert.deepEqual(a.capabilities, ['create', 'read']);
  assert.deepEqual(a.requiredParameters, ['a', 'b']);
  assert.deepEqual([...(a.allowedParameters ?? [])], [['bar', ['zip', 1, true]], ['*', []]]);
  assert.deepEqual([...(a.deniedParameters ?? [])], [['x', []]]);
  assert.equal(a.minWrappingTTL, 60);
  assert.equal(a.maxWrappingTTL, 3600);
  assert.equal(b.templated, true);
});

test('legacy policy shorthand maps as Vault does', () => {
  const caps = (v: string): readonly string[] => parsePolicy('p', `path "a" { policy = "${v}" }`).paths[0]!.capabilities;
  assert.deepEqual(caps('read'), ['read', 'list']);
  assert.deepEqual(caps('write'), ['create', 'read', 'update', 'delete', 'list']);
  assert.deepEqual(caps('sudo'), ['create', 'read', 'update', 'delete', 'list', 'sudo']);
  assert.deepEqual(caps('deny'), ['deny']);
  assert.deepEqual(parsePolicy('p', 'path "a" {\n policy = "read"\n capabilities = ["deny"] }').paths[0]!.capabilities, ['deny']);
});

test('errors name the line', () => {
  const cases: [string, number, RegExp][] = [
    ['path "a" {\n  capabilities = ["raed"]\n}', 2, /path "a": invalid capability "raed" on line 2/],
    ['path "a" {\n  capabilities = ["READ"]\n}', 2, /invalid capability "READ"/],
    ['\n\npath "a" {\n  policy = "admin"\n}', 4, /path "a": invalid policy "admin" on line 4/],
    ['path "a" { capabilities = ["read"] }\nfoo = 1', 2, /invalid key "foo" on line 2/],
    ['path "a" {\n\n  capabilitie = ["read"]\n}', 3, /path "a": invalid key "capabilitie" on line 3/],
    ['path "a" {\n  capabilities = ["read"]\n  capabilities = ["list"]\n}', 3, /duplicate key "capabilities" on line 3/],
    ['path "a" {\n  capabilities = "read" "list"\n}', 3, /At 3:1:/],
    ['path "a" {\n  capabilities = ["read"\n}', 3, /At 3:1:/],
    ['path "a" {\n  capabilities = [1]\n}', 2, /capabilities must be a list of strings/],
    ['path "a" {\n  allowed_parameters = { "x" = "y" }\n}', 2, /parameter "x" must map to a list/],
    ['path "a" {\n  allowed_parameters = "x"\n}', 2, /allowed_parameters must be a map/],
    ['path "a" {\n  denied_parameters = { "*" = ["x"] }\n}', 2, /the only value allowed for "\*" is \[\]/],
    ['path "a" {\n  min_wrapping_ttl = "soon"\n}', 2, /error parsing min_wrapping_ttl/],
    ['path "a" {\n  min_wrapping_ttl = -5\n}', 2, /min_wrapping_ttl cannot be negative/],
    ['path "a" {\n  min_wrapping_ttl = "2m"\n  max_wrapping_ttl = "1m"\n}', 3, /max_wrapping_ttl cannot be less than min_wrapping_ttl/],
    ['\npath "s/{{identity.entity.secret}}" {\n}', 2, /invalid template parameter "identity.entity.secret"/],
    ['path = "x"', 1, /on line 1/],
    ['{"path": {"a": {"capabilities": ["read", "bogus"]}}}', 1, /invalid capability "bogus"/],
    ['{\n"path": {\n "a": {\n  "policy": "nope"\n }\n}\n}', 4, /invalid policy "nope" on line 4/],
    ['{"path": {"a": {"capabilities": ["read"]}}', 1, /At 1:/],
  ];
  for (const [text, line, re] of cases) {
    const err = parseError(text);
    assert.match(err.message, re, text);
    assert.equal(err.line, line, `line for ${JSON.stringify(text)}: ${err.message}`);
  }
});

/** Comparable shape: same rules, positions and raw text aside. */
function shape(p: Policy): unknown[] {
  return p.paths.map((r) => ({
    ...r,
    line: 0,
    allowedParameters: r.allowedParameters && [...r.allowedParameters],
    deniedParameters: r.deniedParameters && [...r.deniedParameters],
  }));
}

test('JSON and HCL spellings of a policy are equivalent', () => {
  const hcl = `
path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "secret/super-secret" { capabilities = ["deny"] }
path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = { "foo" = [] "bar" = ["zip", "zap"] }
  denied_parameters = { "baz" = [] }
  required_parameters = ["foo"]
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = "90s"
}
path "old" { policy = "write" }`;
  const json = JSON.stringify({
    path: {
      'secret/*': { capabilities: ['create', 'read', 'update', 'delete', 'list'] },
      'secret/super-secret': { capabilities: ['deny'] },
      'secret/restricted': {
        capabilities: ['create'],
        allowed_parameters: { foo: [], bar: ['zip', 'zap'] },
        denied_parameters: { baz: [] },
        required_parameters: ['foo'],
        min_wrapping_ttl: '1s',
        max_wrapping_ttl: 90,
      },
      old: { policy: 'write' },
    },
  });
  const listJson = JSON.stringify({
    path: [{ 'secret/*': { capabilities: ['create', 'read', 'update', 'delete', 'list'] } }, { 'secret/super-secret': { capabilities: ['deny'] } }],
  });
  const a = parsePolicy('p', hcl);
  const b = parsePolicy('p', json);
  assert.deepEqual(shape(b), shape(a));
  assert.deepEqual(shape(parsePolicy('p', listJson)), shape(a).slice(0, 2));
  // HCL1 object form too.
  assert.deepEqual(
    shape(parsePolicy('p', 'path = { "secret/*" = { capabilities = ["read"] } }')),
    shape(parsePolicy('p', 'path "secret/*" { capabilities = ["read"] }')),
  );
  for (const path of ['secret/x', 'secret/super-secret', 'secret/restricted', 'old']) {
    assert.deepEqual(compileACL([b]).capabilities(path), compileACL([a]).capabilities(path));
  }
});

test('a path written several times in one policy is merged like separate policies', () => {
  const acl = compileACL([parsePolicy('p', 'path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }')]);
  assert.deepEqual(acl.capabilities('a'), ['list', 'read']);
});

test('policy names: lower-cased, root and response-wrapping cannot be written, default cannot be deleted', () => {
  assert.equal(checkWritablePolicyName(' Admins '), 'admins');
  assert.throws(() => checkWritablePolicyName('ROOT'), { message: 'cannot update "root" policy' });
  assert.throws(() => checkWritablePolicyName('response-wrapping'), BadRequestError);
  assert.throws(() => checkWritablePolicyName('  '), { message: 'policy name missing' });
  assert.equal(checkWritablePolicyName('default'), 'default');
  assert.throws(() => checkDeletablePolicyName('Default'), { message: 'cannot delete default policy' });
  assert.throws(() => checkDeletablePolicyName('root'), { message: 'cannot delete "root" policy' });
  assert.equal(checkDeletablePolicyName('Ops'), 'ops');
});

test('a "*" in the middle of a path is literal, as in Vault', () => {
  const acl = compileACL([parsePolicy('p', 'path "secret/*/config" { capabilities = ["read"] }')]);
  assert.deepEqual(acl.capabilities('secret/*/config'), ['read']);
  assert.deepEqual(acl.capabilities('secret/app/config'), ['deny']);
});

test('error messages do not echo parameter values', () => {
  const err = parseError('path "a" {\n allowed_parameters = { "k" = ["s3cr3t"] }\n denied_parameters = { "*" = ["hunter2"] }\n}');
  assert.doesNotMatch(err.message, /hunter2|s3cr3t/);
});
