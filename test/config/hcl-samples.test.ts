import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyToPlain, findBlocks, findItems, isJSONConfig, parseConfigText, parseHCL, type HclBody } from '../../src/config/hcl.js';

const SERVER_HCL = `
# A production-style server configuration.
ui            = true
cluster_addr  = "https://10.0.0.5:8201"
api_addr      = "https://vault.example.com:8200"
disable_mlock = true

storage "postgresql" {
  connection_url = "postgres://arca:pw@db.internal:5432/arca?sslmode=verify-full"
  table          = "arca_kv_store"
  max_parallel   = 128
}

listener "tcp" {
  address       = "0.0.0.0:8200"
  tls_cert_file = "/etc/arca/tls/arca.crt"
  tls_key_file  = "/etc/arca/tls/arca.key"
}

listener "tcp" {
  address     = "127.0.0.1:8210"
  tls_disable = "true"
}

telemetry {
  prometheus_retention_time = "30s"
  disable_hostname          = true
}
`;

const POLICY_HCL = `
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

path "secret/data/{{identity.entity.id}}/*" {
  capabilities = ["create", "update", "read", "delete", "list"]
  required_parameters = ["bar", "baz"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
  denied_parameters = {
    "*" = []
  }
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = "90s"
}

path "sys/*" {
  capabilities = ["deny"]
}
`;

const POLICY_JSON = `{
  "path": {
    "auth/token/lookup-self": {
      "capabilities": ["read"]
    },
    "secret/data/{{identity.entity.id}}/*": {
      "capabilities": ["create", "update", "read", "delete", "list"],
      "required_parameters": ["bar", "baz"],
      "allowed_parameters": { "foo": [], "bar": ["zip", "zap"] },
      "denied_parameters": { "*": [] },
      "min_wrapping_ttl": "1s",
      "max_wrapping_ttl": "90s"
    },
    "sys/*": { "capabilities": ["deny"] }
  }
}`;

function paths(body: HclBody): unknown {
  return findBlocks(body, 'path', 1).map((b) => ({ path: b.labels[0], line: b.line, rules: bodyToPlain(b.body) }));
}

test('a Vault-style server configuration reads naturally', () => {
  const body = parseHCL(SERVER_HCL);
  const listeners = findBlocks(body, 'listener', 1);
  assert.deepEqual(
    listeners.map((l) => [l.labels[0], l.line, bodyToPlain(l.body)['address']]),
    [
      ['tcp', 14, '0.0.0.0:8200'],
      ['tcp', 20, '127.0.0.1:8210'],
    ],
  );
  const [storage] = findBlocks(body, 'storage', 1);
  assert.equal(storage?.labels[0], 'postgresql');
  assert.deepEqual(bodyToPlain(storage!.body), {
    connection_url: 'postgres://arca:pw@db.internal:5432/arca?sslmode=verify-full',
    table: 'arca_kv_store',
    max_parallel: 128,
  });
  const [telemetry] = findBlocks(body, 'telemetry', 0);
  assert.deepEqual(bodyToPlain(telemetry!.body), { prometheus_retention_time: '30s', disable_hostname: true });
  assert.equal(findItems(body, 'ui')[0]?.line, 3);
});

test('an ACL policy reads naturally, with nested parameter objects', () => {
  const rules = paths(parseHCL(POLICY_HCL));
  assert.deepEqual(rules, [
    { path: 'auth/token/lookup-self', line: 3, rules: { capabilities: ['read'] } },
    {
      path: 'secret/data/{{identity.entity.id}}/*',
      line: 7,
      rules: {
        capabilities: ['create', 'update', 'read', 'delete', 'list'],
        required_parameters: ['bar', 'baz'],
        allowed_parameters: { foo: [], bar: ['zip', 'zap'] },
        denied_parameters: { '*': [] },
        min_wrapping_ttl: '1s',
        max_wrapping_ttl: '90s',
      },
    },
    { path: 'sys/*', line: 21, rules: { capabilities: ['deny'] } },
  ]);
});

test('the same policy in JSON gives the same blocks (lines from the JSON file)', () => {
  const strip = (v: unknown): unknown => (v as { path: string; rules: unknown }[]).map(({ path, rules }) => ({ path, rules }));
  const fromJson = paths(parseConfigText(POLICY_JSON, 'policy.json'));
  assert.deepEqual(strip(fromJson), strip(paths(parseHCL(POLICY_HCL))));
  assert.deepEqual(
    (fromJson as { line: number }[]).map((r) => r.line),
    [3, 6, 14],
  );
});

test('JSON repeated blocks: a list of objects, or an object of several labels', () => {
  const listForm = parseConfigText(
    '{"listener": [{"tcp": {"address": "a:1"}}, {"tcp": {"address": "b:2"}}]}',
    'x.json',
  );
  const hclForm = parseHCL('listener "tcp" { address = "a:1" }\nlistener "tcp" { address = "b:2" }');
  const shape = (b: HclBody): unknown => findBlocks(b, 'listener', 1).map((l) => [l.labels, bodyToPlain(l.body)]);
  assert.deepEqual(shape(listForm), shape(hclForm));
  const labelsForm = parseConfigText('{"outer": {"a": {"b": {"x": 1}}, "c": {"d": {"x": 2}}}}', 'y');
  assert.deepEqual(
    findBlocks(labelsForm, 'outer', 2).map((b) => [b.labels, bodyToPlain(b.body)]),
    [
      [['a', 'b'], { x: 1 }],
      [['c', 'd'], { x: 2 }],
    ],
  );
});

test('JSON keeps duplicate keys as repeated items, and null values', () => {
  const body = parseConfigText('{"a": 1, "a": 2, "n": null, "s": "\\u00e9\\n\\/"}', 'dup.json');
  assert.deepEqual(bodyToPlain(body), { a: [1, 2], n: null, s: 'é\n/' });
});

test('parseConfigText picks JSON by extension or a leading brace', () => {
  assert.equal(isJSONConfig('a = 1', 'arca.json'), true);
  assert.equal(isJSONConfig('a = 1', 'arca.JSON'), true);
  assert.equal(isJSONConfig('  \n {"a": 1}', 'arca.hcl'), true);
  assert.equal(isJSONConfig('a = 1', 'arca.hcl'), false);
  assert.deepEqual(bodyToPlain(parseConfigText('\n{"a": 1}', 'noext')), { a: 1 });
  assert.deepEqual(bodyToPlain(parseConfigText('a = 1', 'noext')), { a: 1 });
});
