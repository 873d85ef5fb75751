import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  DEFAULT_LEASE_TTL_SECONDS,
  DEFAULT_MAX_REQUEST_SIZE,
  DEFAULT_REPLICATION,
  DEFAULT_TELEMETRY,
  parseServerConfig,
  type ServerConfig,
} from '../../src/config/server-config.js';

const FILE = '/etc/arca/a.hcl';
const MINIMAL = 'storage "inmem" {}\nlistener "tcp" {\n  tls_disable = true\n}\n';

function parse(text: string): ServerConfig {
  return parseServerConfig(text, FILE);
}

test('a minimal configuration gets every default', () => {
  assert.deepEqual(parse(MINIMAL), {
    apiAddr: undefined,
    clusterAddr: undefined,
    defaultLeaseTTL: 2764800,
    maxLeaseTTL: 2764800,
    disableMlock: false,
    ui: false,
    logLevel: 'info',
    logFormat: 'standard',
    clusterName: undefined,
    storage: { type: 'inmem', options: {} },
    listeners: [
      {
        type: 'tcp',
        address: '127.0.0.1:8200',
        host: '127.0.0.1',
        port: 8200,
        clusterAddress: '127.0.0.1:8201',
        tls: { enabled: false },
        maxRequestSize: 33554432,
      },
    ],
    telemetry: { unauthenticatedMetricsAccess: false, prometheusRetentionTime: 86400, disableHostname: false },
    replication: { allowForwardingViaHeader: false, walRetentionEntries: 100000, walRetentionBytes: 268435456 },
    ignoredKeys: [],
  });
  assert.equal(DEFAULT_LEASE_TTL_SECONDS, 768 * 3600);
  assert.equal(DEFAULT_MAX_REQUEST_SIZE, 32 * 1024 * 1024);
  assert.deepEqual(DEFAULT_REPLICATION, { allowForwardingViaHeader: false, walRetentionEntries: 100000, walRetentionBytes: 268435456 });
  assert.equal(DEFAULT_TELEMETRY.prometheusRetentionTime, 86400);
});

test('every top-level field is read and typed', () => {
  const cfg = parse(`
api_addr = "https://arca.example.com:8200"
cluster_addr = "https://10.1.2.3:8201"
default_lease_ttl = "1h"
max_lease_ttl = "720h"
disable_mlock = true
ui = "1"
log_level = "Debug"
log_format = "json"
cluster_name = "eu-west"
plugin_directory = "/opt/plugins"
pid_file = "/run/arca.pid"
raw_storage_endpoint = true
cache_size = "131072"
disable_cache = false
storage "sqlite" {
  path = "/var/lib/arca/arca.db"
  journal_mode = "WAL"
  busy_timeout = 5000
  synchronous = true
}
listener "tcp" {
  address = "0.0.0.0:8200"
  tls_disable = 1
}
telemetry {
  unauthenticated_metrics_access = true
  prometheus_retention_time = "30s"
  disable_hostname = true
}
replication {
  allow_forwarding_via_header = true
  wal_retention_entries = 5000
  wal_retention_bytes = "1048576"
}
`);
  assert.equal(cfg.apiAddr, 'https://arca.example.com:8200');
  assert.equal(cfg.clusterAddr, 'https://10.1.2.3:8201');
  assert.equal(cfg.defaultLeaseTTL, 3600);
  assert.equal(cfg.maxLeaseTTL, 720 * 3600);
  assert.equal(cfg.disableMlock, true);
  assert.equal(cfg.ui, true);
  assert.equal(cfg.logLevel, 'debug');
  assert.equal(cfg.logFormat, 'json');
  assert.equal(cfg.clusterName, 'eu-west');
  assert.equal(cfg.cacheSize, 131072);
  assert.equal(cfg.disableCache, false);
  assert.deepEqual(cfg.storage, {
    type: 'sqlite',
    path: '/var/lib/arca/arca.db',
    options: { path: '/var/lib/arca/arca.db', journal_mode: 'WAL', busy_timeout: '5000', synchronous: 'true' },
  });
  assert.equal(cfg.listeners[0]?.host, '0.0.0.0');
  assert.deepEqual(cfg.telemetry, { unauthenticatedMetricsAccess: true, prometheusRetentionTime: 30, disableHostname: true });
  assert.deepEqual(cfg.replication, { allowForwardingViaHeader: true, walRetentionEntries: 5000, walRetentionBytes: 1048576 });
  assert.equal(cfg.rawStorageEndpoint, true);
  assert.deepEqual(cfg.ignoredKeys, ['pid_file', 'plugin_directory']);
});

test('cache_size must be a whole number of entries, not negative', () => {
  assert.equal(parse(`${MINIMAL}cache_size = 0`).cacheSize, 0);
  assert.throws(() => parse(`${MINIMAL}cache_size = -1`), /"cache_size" must not be negative/);
  assert.throws(() => parse(`${MINIMAL}cache_size = "lots"`), /"cache_size" must be an integer/);
  assert.throws(() => parse(`${MINIMAL}disable_cache = "maybe"`), /"disable_cache" must be a boolean/);
});

test('log_level accepts err as error, and each Vault level', () => {
  for (const [written, level] of [['err', 'error'], ['error', 'error'], ['WARN', 'warn'], ['trace', 'trace'], ['info', 'info']]) {
    assert.equal(parse(`${MINIMAL}log_level = "${written}"`).logLevel, level);
  }
});

test('TLS listener settings', () => {
  const cfg = parse(`storage "inmem" {}
listener "tcp" {
  address = "[::1]:8443"
  tls_cert_file = "/tls/c.pem"
  tls_key_file = "/tls/k.pem"
  tls_client_ca_file = "/tls/ca.pem"
  tls_min_version = "tls13"
  tls_require_and_verify_client_cert = "true"
}
listener "tcp" {
  address = "127.0.0.1:9443"
  cluster_address = "127.0.0.1:9999"
  tls_cert_file = "/tls/c.pem"
  tls_key_file = "/tls/k.pem"
}`);
  assert.deepEqual(cfg.listeners[0], {
    type: 'tcp',
    address: '[::1]:8443',
    host: '::1',
    port: 8443,
    clusterAddress: '[::1]:8444',
    tls: {
      enabled: true,
      certFile: '/tls/c.pem',
      keyFile: '/tls/k.pem',
      clientCaFile: '/tls/ca.pem',
      minVersion: 'tls13',
      requireAndVerifyClientCert: true,
    },
    maxRequestSize: DEFAULT_MAX_REQUEST_SIZE,
  });
  const second = cfg.listeners[1]!;
  assert.equal(second.clusterAddress, '127.0.0.1:9999');
  assert.ok(second.tls.enabled);
  assert.equal(second.tls.minVersion, 'tls12');
  assert.equal(second.tls.clientCaFile, undefined);
  assert.equal(second.tls.requireAndVerifyClientCert, false);
});

test('max_request_size: unset or 0 is the default, negative disables the limit', () => {
  const size = (v: string): number =>
    parse(`storage "inmem" {}\nlistener "tcp" {\n tls_disable = true\n${v}\n}`).listeners[0]!.maxRequestSize;
  assert.equal(size(''), DEFAULT_MAX_REQUEST_SIZE);
  assert.equal(size('max_request_size = 0'), DEFAULT_MAX_REQUEST_SIZE);
  assert.equal(size('max_request_size = 1024'), 1024);
  assert.equal(size('max_request_size = -1'), Infinity);
});

test('x_forwarded_for_* keys: CIDRs as a string or a list, defaults as in Vault\'s code', () => {
  const xff = (v: string) => parse(`storage "inmem" {}\nlistener "tcp" {\n tls_disable = true\n${v}\n}`).listeners[0]!.forwardedFor;
  assert.equal(xff(''), undefined);
  assert.deepEqual(xff('x_forwarded_for_authorized_addrs = "10.0.0.0/8, 192.168.1.5"'), {
    authorizedAddrs: ['10.0.0.0/8', '192.168.1.5/32'],
    hopSkips: 0,
    rejectNotAuthorized: false,
    rejectNotPresent: false,
  });
  assert.deepEqual(
    xff('x_forwarded_for_authorized_addrs = ["::1", "127.0.0.0/8"]\nx_forwarded_for_hop_skips = "1"\nx_forwarded_for_reject_not_authorized = true\nx_forwarded_for_reject_not_present = "true"'),
    { authorizedAddrs: ['::1/128', '127.0.0.0/8'], hopSkips: 1, rejectNotAuthorized: true, rejectNotPresent: true },
  );
});

test('listener addresses: port 0, all interfaces, hostnames; cluster port follows the API port', () => {
  const listener = (address: string) =>
    parse(`storage "inmem" {}\nlistener "tcp" {\n address = "${address}"\n tls_disable = true\n}`).listeners[0]!;
  assert.deepEqual(
    [listener('127.0.0.1:0').port, listener('127.0.0.1:0').clusterAddress],
    [0, '127.0.0.1:0'],
  );
  assert.deepEqual([listener(':8200').host, listener(':8200').clusterAddress], ['', ':8201']);
  assert.deepEqual([listener('localhost:8300').host, listener('localhost:8300').port], ['localhost', 8300]);
});

test('bool fields take true/false, "true"/"1"/"false"/"0" and 1/0', () => {
  for (const [written, expected] of [['true', true], ['"true"', true], ['"1"', true], ['1', true], ['false', false], ['"false"', false], ['"0"', false], ['0', false]] as const) {
    assert.equal(parse(`${MINIMAL}ui = ${written}`).ui, expected, written);
  }
});

test('legacy backend stanza and postgresql storage', () => {
  const cfg = parse(`backend "postgresql" {\n connection_url = "postgres://x"\n}\n${L}`);
  assert.deepEqual(cfg.storage, { type: 'postgresql', options: { connection_url: 'postgres://x' } });
});

test('dev mode needs neither storage nor listener', () => {
  const cfg = parseServerConfig('ui = true', 'dev.hcl', { dev: true });
  assert.deepEqual(cfg.storage, { type: 'inmem', options: {} });
  assert.deepEqual(cfg.listeners, []);
  assert.equal(cfg.ui, true);
});

test('the result is deeply frozen', () => {
  const cfg = parse(MINIMAL);
  assert.ok(Object.isFrozen(cfg));
  assert.ok(Object.isFrozen(cfg.listeners));
  assert.ok(Object.isFrozen(cfg.listeners[0]));
  assert.ok(Object.isFrozen(cfg.storage.options));
  assert.ok(Object.isFrozen(cfg.telemetry));
});

test('the same configuration in HCL and JSON gives an equal ServerConfig', () => {
  const hcl = `
ui = true
api_addr = "http://127.0.0.1:8200"
default_lease_ttl = "24h"
max_lease_ttl = 86400
log_level = "warn"
disable_cache = true
storage "sqlite" {
  path = "/data/arca.db"
  cache_size = 2000
}
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true
  max_request_size = -1
}
listener "tcp" {
  address = "10.0.0.1:8443"
  tls_cert_file = "/c.pem"
  tls_key_file = "/k.pem"
  tls_min_version = "tls13"
}
telemetry {
  disable_hostname = true
}
replication {
  wal_retention_entries = 200
}
`;
  const json = `{
  "ui": true,
  "api_addr": "http://127.0.0.1:8200",
  "default_lease_ttl": "24h",
  "max_lease_ttl": 86400,
  "log_level": "warn",
  "disable_cache": true,
  "storage": { "sqlite": { "path": "/data/arca.db", "cache_size": 2000 } },
  "listener": [
    { "tcp": { "address": "127.0.0.1:8200", "tls_disable": true, "max_request_size": -1 } },
    { "tcp": { "address": "10.0.0.1:8443", "tls_cert_file": "/c.pem", "tls_key_file": "/k.pem", "tls_min_version": "tls13" } }
  ],
  "telemetry": { "disable_hostname": true },
  "replication": { "wal_retention_entries": 200 }
}`;
  const a = parseServerConfig(hcl, 'arca.hcl');
  const b = parseServerConfig(json, 'arca.json');
  assert.deepEqual(a, b);
  assert.equal(a.listeners.length, 2);
  assert.equal(a.defaultLeaseTTL, 86400);
  // Vault's documented JSON form with a single listener object and a numeric tls_disable.
  const single = parseServerConfig(
    '{"storage": {"inmem": {}}, "listener": {"tcp": {"address": "127.0.0.1:8200", "tls_disable": 1}}}',
    'single.json',
  );
  assert.deepEqual(single, parse(MINIMAL));
});

interface ErrorCase {
  readonly name: string;
  readonly text: string;
  readonly message: string | RegExp;
  readonly line: number | undefined;
}

const L = 'listener "tcp" {\n  tls_disable = true\n}\n';
const S = 'storage "inmem" {}\n';

const ERROR_CASES: readonly ErrorCase[] = [
  {
    name: 'a typo in a listener key',
    text: `${S}\nlistener "tcp" {\n  adress = "127.0.0.1:8200"\n  tls_disable = true\n}`,
    message: 'error loading /etc/arca/a.hcl: line 4: listener "tcp": unknown key "adress"',
    line: 4,
  },
  { name: 'an unknown top-level key', text: `${S}${L}ui = true\nfoo = 1\n`, message: 'error loading /etc/arca/a.hcl: line 6: unknown key "foo"', line: 6 },
  {
    name: 'an unsupported storage type',
    text: `${L}storage "consul" {\n}`,
    message: /^error loading \/etc\/arca\/a\.hcl: line 4: storage "consul": unsupported storage type \(Arca supports: inmem, sqlite, postgresql\)$/,
    line: 4,
  },
  { name: 'an empty storage type', text: `${L}storage "" {}`, message: /line 4: storage "": the storage type must not be empty/, line: 4 },
  { name: 'a storage stanza without a type', text: `${L}storage {\n  path = "x"\n}`, message: /line 4: block "storage" needs 1 label/, line: 4 },
  { name: 'an empty JSON storage object', text: '{"listener": {"tcp": {"tls_disable": true}},\n "storage": {}}', message: /line 2: block "storage" needs 1 label/, line: 2 },
  { name: 'two storage stanzas', text: `${S}${L}storage "sqlite" { path = "/x" }`, message: /line 5: only one storage stanza is allowed \(the first is on line 1\)/, line: 5 },
  { name: 'storage and backend together', text: `${S}${L}backend "inmem" {}`, message: /line 5: only one storage stanza/, line: 5 },
  { name: 'sqlite without a path', text: `${L}storage "sqlite" {\n  journal_mode = "WAL"\n}`, message: /line 4: storage "sqlite": a "path" to the database file is required/, line: 4 },
  { name: 'ha_storage', text: `${S}${L}ha_storage "postgresql" {}`, message: /line 5: "ha_storage" is not supported: /, line: 5 },
  { name: 'a seal stanza', text: `${S}${L}seal "awskms" {}`, message: /line 5: "seal" is not supported/, line: 5 },
  { name: 'no listener', text: S, message: 'error loading /etc/arca/a.hcl: no listener stanza: configure at least one listener "tcp" { ... }', line: undefined },
  { name: 'no storage', text: L, message: /^error loading \/etc\/arca\/a\.hcl: no storage stanza/, line: undefined },
  { name: 'an invalid address', text: `${S}listener "tcp" {\n  tls_disable = true\n  address = "127.0.0.1"\n}`, message: /line 4: listener "tcp": "address": invalid address/, line: 4 },
  { name: 'an out-of-range port', text: `${S}listener "tcp" {\n  tls_disable = true\n  address = "127.0.0.1:70000"\n}`, message: /line 4: listener "tcp": "address": invalid address/, line: 4 },
  { name: 'a bad IPv4 address', text: `${S}listener "tcp" {\n  tls_disable = true\n  address = "127.0.0.300:8200"\n}`, message: /line 4: .*invalid address/, line: 4 },
  { name: 'an invalid cluster_address', text: `${S}listener "tcp" {\n  tls_disable = true\n  cluster_address = "nope"\n}`, message: /line 4: listener "tcp": "cluster_address": invalid address/, line: 4 },
  { name: 'an invalid api_addr', text: `${S}${L}api_addr = "vault.example.com:8200"`, message: /line 5: "api_addr": invalid address/, line: 5 },
  { name: 'an invalid duration', text: `${S}${L}default_lease_ttl = "12 parsecs"`, message: /line 5: "default_lease_ttl": invalid duration/, line: 5 },
  { name: 'a negative duration', text: `${S}${L}max_lease_ttl = "-1h"`, message: /line 5: "max_lease_ttl": duration must not be negative/, line: 5 },
  { name: 'default TTL above max TTL', text: `${S}${L}max_lease_ttl = "1h"\ndefault_lease_ttl = "2h"`, message: /line 6: default_lease_ttl must not be greater than max_lease_ttl/, line: 6 },
  { name: 'default TTL above the default max', text: `${S}${L}default_lease_ttl = "769h"`, message: /line 5: default_lease_ttl must not be greater/, line: 5 },
  { name: 'TLS without a certificate', text: `${S}listener "tcp" {\n  address = "127.0.0.1:8200"\n}`, message: /line 2: listener "tcp": tls_cert_file and tls_key_file are required unless tls_disable = true/, line: 2 },
  { name: 'an invalid tls_min_version', text: `${S}listener "tcp" {\n  tls_disable = true\n  tls_min_version = "ssl3"\n}`, message: /line 4: listener "tcp": "tls_min_version" must be one of: tls10, tls11, tls12, tls13/, line: 4 },
  { name: 'a unix listener', text: `${S}listener "unix" {\n}`, message: /line 2: listener "unix": unsupported listener type/, line: 2 },
  { name: 'proxy protocol settings', text: `${S}listener "tcp" {\n  tls_disable = true\n  proxy_protocol_behavior = "use_always"\n}`, message: /line 4: listener "tcp": "proxy_protocol_behavior" is not supported by Arca/, line: 4 },
  { name: 'client certificates in a header', text: `${S}listener "tcp" {\n  tls_disable = true\n  x_forwarded_for_client_cert_header = "X-Cert"\n}`, message: /line 4: .*"x_forwarded_for_client_cert_header" is not supported by Arca/, line: 4 },
  { name: 'a bad forwarded-for CIDR', text: `${S}listener "tcp" {\n  tls_disable = true\n  x_forwarded_for_authorized_addrs = "10.0.0.0/40"\n}`, message: /line 4: .*"x_forwarded_for_authorized_addrs": invalid CIDR block "10.0.0.0\/40"/, line: 4 },
  { name: 'hop skips without authorized addresses', text: `${S}listener "tcp" {\n  tls_disable = true\n  x_forwarded_for_hop_skips = 1\n}`, message: /line 4: .*x_forwarded_for_authorized_addrs is required/, line: 4 },
  { name: 'negative hop skips', text: `${S}listener "tcp" {\n  tls_disable = true\n  x_forwarded_for_authorized_addrs = "10.0.0.0/8"\n  x_forwarded_for_hop_skips = -1\n}`, message: /line 5: .*"x_forwarded_for_hop_skips" must not be negative/, line: 5 },
  { name: 'tls_cipher_suites', text: `${S}listener "tcp" {\n  tls_disable = true\n  tls_cipher_suites = "x"\n}`, message: /line 4: .*"tls_cipher_suites" is not supported/, line: 4 },
  { name: 'a duplicate top-level key', text: `${S}${L}ui = true\nui = false`, message: /line 6: duplicate key "ui" \(first set on line 5\)/, line: 6 },
  { name: 'a duplicate listener key', text: `${S}listener "tcp" {\n  tls_disable = true\n  tls_disable = false\n}`, message: /line 4: listener "tcp": duplicate key "tls_disable"/, line: 4 },
  { name: 'a non-boolean', text: `${S}${L}ui = "maybe"`, message: /line 5: "ui" must be a boolean/, line: 5 },
  { name: 'a number where a string belongs', text: `${S}listener "tcp" {\n  tls_disable = true\n  address = 8200\n}`, message: /line 4: listener "tcp": "address" must be a string/, line: 4 },
  { name: 'a block where a value belongs', text: `${S}${L}cluster_name "x" {}`, message: /line 5: "cluster_name" must be a string/, line: 5 },
  { name: 'an unknown telemetry key', text: `${S}${L}telemetry {\n  statsd_address = "x"\n}`, message: /line 6: telemetry: unknown key "statsd_address"/, line: 6 },
  { name: 'two telemetry stanzas', text: `${S}${L}telemetry {}\ntelemetry {}`, message: /line 6: only one telemetry stanza/, line: 6 },
  { name: 'a zero WAL retention', text: `${S}${L}replication {\n  wal_retention_entries = 0\n}`, message: /line 6: replication: "wal_retention_entries" must be greater than zero/, line: 6 },
  { name: 'a fractional integer', text: `${S}${L}replication {\n  wal_retention_bytes = 1.5\n}`, message: /line 6: replication: "wal_retention_bytes" must be an integer/, line: 6 },
  { name: 'a storage option that is a list', text: `${L}storage "postgresql" {\n  connection_url = ["a"]\n}`, message: /line 5: storage "postgresql": "connection_url" must be a string, number or boolean/, line: 5 },
  { name: 'an invalid log_format', text: `${S}${L}log_format = "xml"`, message: /line 5: "log_format" must be one of: standard, json/, line: 5 },
  { name: 'a syntax error', text: `${S}listener "tcp" {\n  address = "127.0.0.1:8200\n}`, message: 'error loading /etc/arca/a.hcl: line 3, column 13: string literal not terminated before end of line', line: 3 },
];

for (const c of ERROR_CASES) {
  test(`config error: ${c.name}`, () => {
    assert.throws(
      () => parse(c.text),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
        if (typeof c.message === 'string') assert.equal(err.message, c.message);
        else assert.match(err.message, c.message);
        assert.ok(err.message.startsWith(`error loading ${FILE}: `), err.message);
        assert.equal(err.file, FILE);
        assert.equal(err.line, c.line);
        return true;
      },
    );
  });
}

test('configuration values never appear in error messages', () => {
  const secret = 'postgres://admin:S3cr3t-pw@db:5432/x';
  const texts = [
    `storage "postgresql" {\n  connection_url = ["${secret}"]\n}\n${L}`,
    `${S}${L}api_addr = "${secret}"`,
    `${S}${L}default_lease_ttl = "${secret}"`,
    `${S}${L}log_level = "${secret}"`,
    `${S}listener "tcp" {\n  address = "${secret}"\n  tls_disable = true\n}`,
    `${S}${L}ui = "${secret}"`,
    `${S}${L}cluster_name = "${secret}`,
  ];
  for (const text of texts) {
    assert.throws(
      () => parse(text),
      (err: unknown) => err instanceof ConfigError && !err.message.includes('S3cr3t'),
      text,
    );
  }
});
