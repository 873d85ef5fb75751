/**
 * The `storage "postgresql"` options and connection_url parsing, without a database: defaults,
 * Vault's keys, strictness, the environment override, both URL spellings, and that no message
 * ever quotes the URL or its password.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseServerConfig } from '../../src/config/server-config.js';
import { clientConfigs, describeTarget, parseConnectionUrl } from '../../src/storage/pg-connection.js';
import { DEFAULT_MAX_PARALLEL, parsePostgresOptions, PostgresOptionError } from '../../src/storage/pg-options.js';

const SECRET = 'S3cr3t!pw';

test('defaults are Vault\'s names, with a pool of 32 and a 60 s start-up window', () => {
  const o = parsePostgresOptions({ connection_url: 'postgres://u:p@db:5432/arca' }, {});
  assert.deepEqual(o, {
    connectionUrl: 'postgres://u:p@db:5432/arca',
    table: '"vault_kv_store"',
    haTable: '"vault_ha_locks"',
    maxParallel: DEFAULT_MAX_PARALLEL,
    haEnabled: false,
    startupTimeoutMs: 60_000,
  });
  assert.equal(DEFAULT_MAX_PARALLEL, 32);
});

test('every Vault key is read; booleans as Go parses them; schema-qualified tables are quoted per part', () => {
  const o = parsePostgresOptions(
    {
      connection_url: 'postgres://db/arca',
      table: 'arca.Kv_Store',
      ha_table: 'locks',
      max_parallel: '7',
      max_idle_connections: '2',
      ha_enabled: 'T',
      upsert_function: 'vault_kv_put',
      startup_timeout: '2m',
    },
    {},
  );
  assert.equal(o.table, '"arca"."Kv_Store"');
  assert.equal(o.haTable, '"locks"');
  assert.equal(o.maxParallel, 7);
  assert.equal(o.haEnabled, true);
  assert.equal(o.startupTimeoutMs, 120_000);
  assert.equal(parsePostgresOptions({ connection_url: 'postgres://db/arca', startup_timeout: '0' }, {}).startupTimeoutMs, 0);
});

test('bad options are refused, naming the key', () => {
  const bad: [Record<string, string>, string, RegExp][] = [
    [{ connection_url: 'postgres://db/a', tabel: 'x' }, 'tabel', /unknown key "tabel"/],
    [{ connection_url: 'postgres://db/a', max_parallel: '0' }, 'max_parallel', /positive integer/],
    [{ connection_url: 'postgres://db/a', max_parallel: 'many' }, 'max_parallel', /positive integer/],
    [{ connection_url: 'postgres://db/a', ha_enabled: 'yes' }, 'ha_enabled', /true or false/],
    [{ connection_url: 'postgres://db/a', table: 'kv; DROP TABLE x' }, 'table', /table name/],
    [{ connection_url: 'postgres://db/a', table: 'a.b.c' }, 'table', /table name/],
    [{ connection_url: 'postgres://db/a', startup_timeout: 'soon' }, 'startup_timeout', /duration/],
    [{}, 'connection_url', /is required \(or set VAULT_PG_CONNECTION_URL\)/],
    [{ connection_url: `mysql://root:${SECRET}@db/x` }, 'connection_url', /neither a postgres:\/\/ URL nor/],
  ];
  for (const [options, key, message] of bad) {
    assert.throws(() => parsePostgresOptions(options, {}), (err: unknown) => {
      assert.ok(err instanceof PostgresOptionError, String(err));
      assert.equal(err.key, key);
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, new RegExp(SECRET.replace('!', '\\!')));
      return true;
    });
  }
});

test('VAULT_PG_CONNECTION_URL overrides connection_url, as in Vault', () => {
  const env = { VAULT_PG_CONNECTION_URL: 'postgres://env-host/envdb' };
  assert.equal(parsePostgresOptions({ connection_url: 'postgres://file-host/db' }, env).connectionUrl, 'postgres://env-host/envdb');
  assert.equal(parsePostgresOptions({}, env).connectionUrl, 'postgres://env-host/envdb');
  assert.throws(() => parsePostgresOptions({}, { VAULT_PG_CONNECTION_URL: 'nonsense' }), /VAULT_PG_CONNECTION_URL/);
});

test('connection_url: URL form, percent-decoding, IPv6, defaults from PG* variables', () => {
  const t = parseConnectionUrl(`postgresql://us%40er:${encodeURIComponent(SECRET)}@[::1]:6543/my%20db?sslmode=verify-full&application_name=node1`, {});
  assert.equal(t.host, '::1');
  assert.equal(t.port, 6543);
  assert.equal(t.user, 'us@er');
  assert.equal(t.password, SECRET);
  assert.equal(t.database, 'my db');
  assert.equal(t.sslMode, 'verify-full');
  assert.equal(t.applicationName, 'node1');
  assert.equal(describeTarget(t), '[::1]:6543 (database "my db", user "us@er")');

  const d = parseConnectionUrl('postgres://', { PGHOST: 'pg.internal', PGPORT: '5433', PGUSER: 'svc', PGPASSWORD: 'pw', PGDATABASE: 'vault' });
  assert.deepEqual([d.host, d.port, d.user, d.password, d.database, d.sslMode], ['pg.internal', 5433, 'svc', 'pw', 'vault', 'prefer']);
  const sock = parseConnectionUrl('postgres:///arca?host=/var/run/postgresql', { PGUSER: 'arca' });
  assert.equal(describeTarget(sock), 'socket /var/run/postgresql/.s.PGSQL.5432 (database "arca", user "arca")');
});

test('connection_url: libpq key=value form with quoting', () => {
  const t = parseConnectionUrl(`host=db.internal port=5444 user=arca password='it\\'s ${SECRET}' dbname=secrets sslmode=disable connect_timeout=3`, {});
  assert.deepEqual(
    [t.host, t.port, t.user, t.password, t.database, t.sslMode, t.connectTimeoutMs],
    ['db.internal', 5444, 'arca', `it's ${SECRET}`, 'secrets', 'disable', 3000],
  );
});

test('connection_url: refused shapes, never quoting the input', () => {
  const bad: [string, RegExp][] = [
    [`postgres://u:${SECRET}@a,b/db`, /several hosts/],
    [`postgres://u:${SECRET}@db:99999/x`, /not a valid postgres:\/\/ URL|invalid port/],
    [`postgres://u:${SECRET}@db/x?sslmode=sometimes`, /unknown sslmode/],
    [`postgres://u:${SECRET}@db/x?sslmode=verify-ca`, /verify-ca without sslrootcert/],
    [`postgres://u:${SECRET}@db/x?binary_parameters=yes`, /unsupported parameter "binary_parameters"/],
    [`host=db password='${SECRET}`, /unterminated quoted value/],
  ];
  for (const [url, message] of bad) {
    assert.throws(() => parseConnectionUrl(url, {}), (err: unknown) => {
      assert.match((err as Error).message, message);
      assert.ok(!(err as Error).message.includes(SECRET), (err as Error).message);
      return true;
    });
  }
});

test('sslmode decides the TLS settings tried, in order', () => {
  const modes = (mode: string): unknown[] =>
    clientConfigs(parseConnectionUrl(`postgres://db/x?sslmode=${mode}`, {})).map((c) =>
      c.ssl === false ? 'plain' : typeof c.ssl === 'object' && c.ssl.rejectUnauthorized === false ? 'tls-unverified' : 'tls-verified',
    );
  assert.deepEqual(modes('disable'), ['plain']);
  assert.deepEqual(modes('allow'), ['plain', 'tls-unverified']);
  assert.deepEqual(modes('prefer'), ['tls-unverified', 'plain']);
  assert.deepEqual(modes('require'), ['tls-unverified']);
  assert.deepEqual(modes('verify-full'), ['tls-verified']);
});

test('server configuration: postgresql options are checked at load time, with their line, without their value', () => {
  const listener = 'listener "tcp" {\n  address = "127.0.0.1:8200"\n  tls_disable = true\n}\n';
  const ok = parseServerConfig(`storage "postgresql" {\n  connection_url = "postgres://db/arca"\n  ha_enabled = true\n  max_parallel = 16\n}\n${listener}`, 'a.hcl');
  assert.deepEqual(ok.storage, { type: 'postgresql', options: { connection_url: 'postgres://db/arca', ha_enabled: 'true', max_parallel: '16' } });
  const cases: [string, RegExp][] = [
    [`storage "postgresql" {\n  connection_url = "postgres://db/arca"\n  tabel = "x"\n}\n`, /line 3: storage "postgresql": unknown key "tabel"/],
    [`storage "postgresql" {\n  connection_url = "postgres://u:${SECRET}@db/arca?sslmode=maybe"\n}\n`, /line 2: storage "postgresql": "connection_url" has an unknown sslmode/],
    [`storage "postgresql" {\n  connection_url = "postgres://db/arca"\n  max_parallel = -1\n}\n`, /line 3: storage "postgresql": "max_parallel" must be a positive integer/],
  ];
  for (const [storage, message] of cases) {
    assert.throws(() => parseServerConfig(`${storage}${listener}`, 'a.hcl'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes(SECRET));
      return true;
    });
  }
});
