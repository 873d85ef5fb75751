/**
 * The database engine through handleRequest on in-memory storage, without a database: config
 * validation, connection verification failing cleanly (and without the password), config
 * reads that never show a password, role and static-role validation, listing and deleting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { databaseFactory } from '../../../src/engines/database/backend.js';
import { isArcaError } from '../../../src/errors.js';
import type { LogicalBackend } from '../../../src/logical/backend.js';
import { call, makeHarness } from '../../framework/harness.js';

const SECRET = 'Sup3r-s3cret;pw@x';

/** A 127.0.0.1 port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function withBackend(fn: (b: LogicalBackend, h: ReturnType<typeof makeHarness>) => Promise<void>): Promise<void> {
  const h = makeHarness({ type: 'database', defaultTTL: 3600 });
  const b = databaseFactory(h.ctx) as LogicalBackend;
  await b.initialize?.();
  try {
    await fn(b, h);
  } finally {
    await b.cleanup?.();
  }
}

/** assert.rejects matcher: status, message, and the secret nowhere in the message. */
function fails(status: number, message: string | RegExp) {
  return (err: unknown): boolean => {
    assert.ok(isArcaError(err), `expected an ArcaError, got ${String(err)}`);
    assert.equal(err.status, status, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    for (const form of [SECRET, encodeURIComponent(SECRET)]) assert.ok(!err.message.includes(form), `password leaked: ${err.message}`);
    return true;
  };
}

test('config writes are validated before anything is stored', async () => {
  await withBackend(async (b, h) => {
    await assert.rejects(call(b, 'create', 'config/db', { connection_url: 'postgres://x' }), fails(400, 'empty plugin name'));
    await assert.rejects(
      call(b, 'create', 'config/db', { plugin_name: 'mysql-database-plugin', connection_url: 'x' }),
      fails(400, /^error creating database object: plugin "mysql-database-plugin" is not supported/),
    );
    await assert.rejects(
      call(b, 'create', 'config/db', { plugin_name: 'postgresql-database-plugin' }),
      fails(400, 'error creating database object: connection_url cannot be empty'),
    );
    await assert.rejects(
      call(b, 'create', 'config/db', { plugin_name: 'postgresql-database-plugin', connection_url: 'x', password_authentication: 'md5' }),
      fails(400, /password_authentication must be "password" or "scram-sha-256"/),
    );
    assert.equal(h.storage.keys().length, 0);
  });
});

test('a connection that cannot be verified is a clean 400 that never shows the password', async () => {
  const port = await closedPort();
  await withBackend(async (b, h) => {
    // Templated, and literal in the URL: neither form may come back.
    for (const url of [`postgresql://{{username}}:{{password}}@127.0.0.1:${port}/postgres`, `postgresql://admin:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/postgres`]) {
      await assert.rejects(
        call(b, 'create', 'config/db', { plugin_name: 'postgresql-database-plugin', connection_url: url, username: 'admin', password: SECRET }),
        fails(400, /^error creating database object: error verifying connection: .*ECONNREFUSED/),
      );
    }
    assert.equal(h.storage.keys().length, 0, 'nothing stored');
    // An unparsable URL that contains the password must not echo it either.
    await assert.rejects(
      call(b, 'create', 'config/db', { plugin_name: 'postgresql-database-plugin', connection_url: `postgresql://admin:${SECRET}@[bad/postgres` }),
      fails(400, /^error creating database object: /),
    );
  });
});

test('config read shows connection details without the password; list and delete', async () => {
  await withBackend(async (b) => {
    const resp = await call(b, 'create', 'config/db', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/postgres',
      username: 'admin',
      password: SECRET,
      allowed_roles: 'app,dev-*',
      verify_connection: false,
      max_open_connections: 7,
    });
    assert.equal(resp, undefined);
    const read = await call(b, 'read', 'config/db');
    assert.deepEqual(read?.data, {
      plugin_name: 'postgresql-database-plugin',
      plugin_version: '',
      allowed_roles: ['app', 'dev-*'],
      root_credentials_rotate_statements: [],
      verify_connection: false,
      password_policy: '',
      connection_details: {
        connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/postgres',
        username: 'admin',
        max_open_connections: 7,
        max_idle_connections: 0,
        max_connection_lifetime: '0s',
        password_authentication: 'password',
        disable_escaping: false,
        username_template: '',
      },
    });
    assert.ok(!JSON.stringify(read).includes(SECRET));

    // An update merges: the URL changes, the stored password and the rest stay.
    const literal = await call(b, 'update', 'config/db', { connection_url: `postgresql://admin:${encodeURIComponent(SECRET)}@127.0.0.1:1/postgres`, verify_connection: false });
    assert.match(literal?.warnings?.[0] ?? '', /^Password found in connection_url/);
    const again = await call(b, 'read', 'config/db');
    const details = again?.data?.['connection_details'] as Record<string, unknown>;
    assert.equal(details['connection_url'], 'postgresql://admin:*****@127.0.0.1:1/postgres');
    assert.equal(details['max_open_connections'], 7);
    assert.deepEqual(again?.data?.['allowed_roles'], ['app', 'dev-*']);
    assert.ok(!JSON.stringify(again).includes(SECRET) && !JSON.stringify(again).includes(encodeURIComponent(SECRET)));

    await call(b, 'create', 'config/other', { plugin_name: 'postgresql-database-plugin', connection_url: 'postgresql://h/db', verify_connection: false });
    assert.deepEqual((await call(b, 'list', 'config/'))?.data?.['keys'], ['db', 'other']);
    await call(b, 'delete', 'config/other');
    assert.deepEqual((await call(b, 'list', 'config'))?.data?.['keys'], ['db']);
    assert.equal(await call(b, 'read', 'config/other'), undefined);
    await assert.rejects(call(b, 'update', 'reset/other'), fails(400, /no database configuration named "other"/));
    assert.equal(await call(b, 'update', 'reset/db'), undefined);
    await assert.rejects(call(b, 'update', 'rotate-root/db'), fails(400, /connection_url must be templated with \{\{password\}\}/));
  });
});

test('username_template is checked when the connection is configured, and read back', async () => {
  await withBackend(async (b, h) => {
    const base = { plugin_name: 'postgresql-database-plugin', connection_url: 'postgresql://h/db', verify_connection: false };
    await assert.rejects(
      call(b, 'create', 'config/db', { ...base, username_template: '{{ .RoleName | shout }}' }),
      fails(400, 'error creating database object: unable to initialize username template: function "shout" not defined'),
    );
    await assert.rejects(call(b, 'create', 'config/db', { ...base, username_template: '{{ .RoleName' }), fails(400, /unable to initialize username template: unclosed action/));
    assert.equal(h.storage.keys().length, 0);
    const template = '{{ printf "app_%s_%s" (.RoleName | lowercase) (random 8) | truncate 30 }}';
    await call(b, 'create', 'config/db', { ...base, username_template: template });
    const details = (await call(b, 'read', 'config/db'))?.data?.['connection_details'] as Record<string, unknown>;
    assert.equal(details['username_template'], template);
    // An update that does not name it keeps it.
    await call(b, 'update', 'config/db', { verify_connection: false, max_open_connections: 3 });
    assert.equal(((await call(b, 'read', 'config/db'))?.data?.['connection_details'] as Record<string, unknown>)['username_template'], template);
  });
});

test('roles: validation, read, list, delete; names are shared with static roles', async () => {
  await withBackend(async (b) => {
    await assert.rejects(call(b, 'create', 'roles/r', { creation_statements: 'SELECT 1' }), fails(400, 'empty database name attribute'));
    await assert.rejects(call(b, 'create', 'roles/r', { db_name: 'db', creation_statements: [' ; '] }), fails(400, 'empty creation statements'));
    await assert.rejects(
      call(b, 'create', 'roles/r', { db_name: 'db', creation_statements: 'SELECT 1', default_ttl: '2h', max_ttl: '1h' }),
      fails(400, 'ttl cannot be greater than max_ttl'),
    );
    await call(b, 'create', 'roles/r', { db_name: 'db', creation_statements: ['CREATE ROLE "{{name}}"'], default_ttl: '1h', max_ttl: 86400 });
    await call(b, 'update', 'roles/r', { renew_statements: 'ALTER ROLE "{{name}}" VALID UNTIL \'{{expiration}}\'' });
    assert.deepEqual((await call(b, 'read', 'roles/r'))?.data, {
      db_name: 'db',
      creation_statements: ['CREATE ROLE "{{name}}"'],
      revocation_statements: [],
      rollback_statements: [],
      renew_statements: ['ALTER ROLE "{{name}}" VALID UNTIL \'{{expiration}}\''],
      default_ttl: 3600,
      max_ttl: 86400,
      credential_type: 'password',
    });
    assert.deepEqual((await call(b, 'list', 'roles/'))?.data?.['keys'], ['r']);
    await assert.rejects(
      call(b, 'create', 'static-roles/r', { db_name: 'db', username: 'u', rotation_period: 60 }),
      fails(400, 'Role and Static Role names must be unique'),
    );
    await assert.rejects(call(b, 'read', 'creds/nope'), fails(400, 'unknown role: nope'));
    await assert.rejects(call(b, 'read', 'creds/r'), fails(400, 'could not find database with name: db'));
    await call(b, 'create', 'config/db', { plugin_name: 'postgresql-database-plugin', connection_url: 'postgresql://h/db', verify_connection: false, allowed_roles: 'other' });
    await assert.rejects(call(b, 'read', 'creds/r'), fails(400, '"r" is not an allowed role'));
    await call(b, 'delete', 'roles/r');
    assert.equal(await call(b, 'read', 'roles/r'), undefined);
    assert.equal(await call(b, 'list', 'roles/'), undefined);
  });
});

test('static roles: required fields and rotation_period bounds, checked before the database', async () => {
  await withBackend(async (b, h) => {
    await assert.rejects(call(b, 'create', 'static-roles/s', { username: 'u', rotation_period: 60 }), fails(400, 'database name is a required field'));
    await assert.rejects(call(b, 'create', 'static-roles/s', { db_name: 'db', rotation_period: 60 }), fails(400, 'username is a required field to create a static account'));
    await assert.rejects(call(b, 'create', 'static-roles/s', { db_name: 'db', username: 'u' }), fails(400, 'rotation_period is required to create static accounts'));
    await assert.rejects(call(b, 'create', 'static-roles/s', { db_name: 'db', username: 'u', rotation_period: 4 }), fails(400, 'rotation_period must be 5 seconds or more'));
    await assert.rejects(call(b, 'create', 'static-roles/s', { db_name: 'db', username: 'u"x', rotation_period: 60 }), fails(400, /username contains characters/));
    await assert.rejects(call(b, 'create', 'static-roles/s', { db_name: 'db', username: 'u', rotation_period: 60 }), fails(400, 'could not find database with name: db'));
    assert.equal(await call(b, 'read', 'static-roles/s'), undefined);
    await assert.rejects(call(b, 'read', 'static-creds/s'), fails(400, 'unknown role: s'));
    await assert.rejects(call(b, 'update', 'rotate-role/s'), fails(400, 'no static role found for role name: s'));
    assert.equal(h.storage.keys().length, 0);
  });
});

test('a creds lease of unknown shape fails to revoke instead of crashing', async () => {
  await withBackend(async (b) => {
    await assert.rejects(
      b.revokeSecret!({ leaseId: 'database/creds/x/abc', secretType: 'creds', internalData: {}, issueTime: 0, ttl: 60 }),
      fails(400, 'secret is missing username internal data'),
    );
  });
});
