import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadServerConfig, MAX_CONFIG_FILE_BYTES } from '../../src/config/server-config.js';

const root = mkdtempSync(join(tmpdir(), 'arca-config-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function dir(): string {
  const d = join(root, `d${counter++}`);
  mkdirSync(d);
  return d;
}
function write(d: string, name: string, text: string): string {
  const p = join(d, name);
  writeFileSync(p, text);
  return p;
}

const BASE = `
storage "sqlite" {
  path = "/data/one.db"
}
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true
}
ui = true
log_level = "info"
default_lease_ttl = "1h"
telemetry {
  disable_hostname = true
  prometheus_retention_time = "1m"
}
`;

const OVERRIDE = `
listener "tcp" {
  address = "127.0.0.1:8300"
  tls_disable = true
}
log_level = "debug"
telemetry {
  prometheus_retention_time = "2m"
}
pid_file = "/run/arca.pid"
`;

test('two files merge: later scalars win, listeners accumulate, blocks merge key by key', () => {
  const d = dir();
  const cfg = loadServerConfig([write(d, 'base.hcl', BASE), write(d, 'override.hcl', OVERRIDE)]);
  assert.equal(cfg.logLevel, 'debug');
  assert.equal(cfg.ui, true);
  assert.equal(cfg.defaultLeaseTTL, 3600);
  assert.deepEqual(
    cfg.listeners.map((l) => l.address),
    ['127.0.0.1:8200', '127.0.0.1:8300'],
  );
  assert.deepEqual(cfg.telemetry, { unauthenticatedMetricsAccess: false, disableHostname: true, prometheusRetentionTime: 120 });
  assert.deepEqual(cfg.ignoredKeys, ['pid_file']);
  assert.equal(cfg.storage.type, 'sqlite');
});

test('a later storage stanza replaces the earlier one wholesale', () => {
  const d = dir();
  const cfg = loadServerConfig([
    write(d, 'a.hcl', BASE),
    write(d, 'b.json', '{"storage": {"postgresql": {"connection_url": "postgres://db/arca"}}}'),
  ]);
  assert.deepEqual(cfg.storage, { type: 'postgresql', options: { connection_url: 'postgres://db/arca' } });
});

test('a directory contributes its .hcl and .json files in name order, nothing else', () => {
  const d = dir();
  write(d, '20-override.hcl', OVERRIDE);
  write(d, '10-base.hcl', BASE);
  write(d, '30-last.json', '{"log_level": "warn", "listener": {"tcp": {"address": "127.0.0.1:8400", "tls_disable": true}}}');
  write(d, 'README.md', 'this is not configuration = {');
  write(d, 'backup.hcl.bak', 'garbage {');
  mkdirSync(join(d, 'sub.hcl'));
  write(join(d, 'sub.hcl'), 'nested.hcl', 'garbage {');
  const cfg = loadServerConfig([d]);
  assert.equal(cfg.logLevel, 'warn');
  assert.deepEqual(
    cfg.listeners.map((l) => l.port),
    [8200, 8300, 8400],
  );
  assert.equal(cfg.telemetry.prometheusRetentionTime, 120);
});

test('files and directories can be mixed; order of the arguments is the merge order', () => {
  const d = dir();
  write(d, 'base.hcl', BASE);
  const extra = write(dir(), 'extra.hcl', 'log_level = "trace"\n');
  assert.equal(loadServerConfig([d, extra]).logLevel, 'trace');
  const first = write(dir(), 'first.hcl', 'log_level = "trace"\n');
  assert.equal(loadServerConfig([first, d]).logLevel, 'info');
});

test('requirements are checked on the merged result, naming every file', () => {
  const d = dir();
  const a = write(d, 'a.hcl', 'storage "inmem" {}\n');
  const b = write(d, 'b.hcl', 'ui = true\n');
  assert.throws(
    () => loadServerConfig([a, b]),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message === `error loading ${a}, ${b}: no listener stanza: configure at least one listener "tcp" { ... }` &&
      err.line === undefined,
  );
  // A listener in one file and a storage in another is a complete configuration.
  const c = write(d, 'c.hcl', 'listener "tcp" {\n  tls_disable = true\n}\n');
  assert.equal(loadServerConfig([a, c]).listeners.length, 1);
});

test('a TTL conflict across files points at the file and line that set the default', () => {
  const d = dir();
  const a = write(d, 'a.hcl', BASE);
  const b = write(d, 'b.hcl', '\n\nmax_lease_ttl = "30m"\n');
  assert.throws(
    () => loadServerConfig([a, b]),
    (err: unknown) => err instanceof ConfigError && err.file === a && err.line === 11 && /default_lease_ttl must not be greater/.test(err.message),
  );
});

test('errors in the second file name the second file and its line', () => {
  const d = dir();
  const a = write(d, 'a.hcl', BASE);
  const b = write(d, 'b.hcl', 'ui = true\n\nlistener "tcp" {\n  tls_disable = true\n  adress = "x"\n}\n');
  assert.throws(
    () => loadServerConfig([a, b]),
    (err: unknown) => err instanceof ConfigError && err.message === `error loading ${b}: line 5: listener "tcp": unknown key "adress"`,
  );
  const c = write(d, 'c.json', '{\n  "ui": true,\n  "storage": {"sqlite": {}}\n}');
  assert.throws(
    () => loadServerConfig([a, c]),
    (err: unknown) => err instanceof ConfigError && err.message === `error loading ${c}: line 3: storage "sqlite": a "path" to the database file is required`,
  );
});

test('two storage stanzas in one file are an error even though files may replace each other', () => {
  const d = dir();
  const a = write(d, 'a.hcl', `${BASE}\nstorage "inmem" {}\n`);
  assert.throws(() => loadServerConfig([a]), (err: unknown) => err instanceof ConfigError && err.line === 17 && /only one storage stanza/.test(err.message));
});

test('a missing file is an error naming it', () => {
  const missing = join(root, 'does-not-exist.hcl');
  assert.throws(
    () => loadServerConfig([missing]),
    (err: unknown) => err instanceof ConfigError && err.message === `error loading ${missing}: cannot read: no such file or directory`,
  );
});

test('an unreadable entry in a directory is an error naming it', () => {
  const d = dir();
  write(d, 'a.hcl', BASE);
  const broken = join(d, 'b.hcl');
  symlinkSync(join(d, 'nowhere'), broken);
  assert.throws(
    () => loadServerConfig([d]),
    (err: unknown) => err instanceof ConfigError && err.file === broken && /cannot read: no such file or directory/.test(err.message),
  );
});

test('an empty directory or no paths at all is an error', () => {
  const d = dir();
  assert.throws(() => loadServerConfig([d]), (err: unknown) => err instanceof ConfigError && err.message === `error loading ${d}: no configuration files found`);
  assert.throws(() => loadServerConfig([]), (err: unknown) => err instanceof ConfigError && /no configuration files found/.test(err.message));
});

test('an oversized file is refused before reading it', () => {
  const d = dir();
  const big = write(d, 'big.hcl', '#'.repeat(MAX_CONFIG_FILE_BYTES + 1));
  assert.throws(() => loadServerConfig([big]), (err: unknown) => err instanceof ConfigError && err.file === big && /larger than/.test(err.message));
});

test('dev mode loads a file without storage or listener', () => {
  const d = dir();
  const cfg = loadServerConfig([write(d, 'dev.hcl', 'ui = true\n')], { dev: true });
  assert.equal(cfg.storage.type, 'inmem');
  assert.equal(cfg.listeners.length, 0);
});
