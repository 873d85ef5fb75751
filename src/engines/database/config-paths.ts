/**
 * config/ (LIST), config/<name> (write, read, delete), reset/<name> and rotate-root/<name>.
 * The root password is stored (behind the barrier) and never returned; a literal password in
 * connection_url is masked on read. Writing a config verifies it (unless verify_connection is
 * false) before storing, and replaces the config's pool.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, genericName, type FieldSchemas, type PathDef, type PathHandler } from '../../framework/index.js';
import type { Response } from '../../logical/request.js';
import { pluginDef } from './catalog.js';
import { passwordFor } from './credentials.js';
import { databaseFailure } from './engine-errors.js';
import { mountOf } from './mount-state.js';
import { PluginError, type ConnectionDetails, type DatabasePlugin, type PasswordAuthentication } from './plugin-api.js';
import { DEFAULT_MAX_OPEN_CONNECTIONS, POSTGRES_PLUGIN_NAME } from './postgresql-plugin.js';
import { maskUrlPassword, Redactor, urlPassword } from './redact.js';
import type { DatabaseConfig } from './store.js';
import { UsernameTemplate, UsernameTemplateError } from './username-template.js';

const NAME_FIELD = {
  name: { type: 'string', description: 'Name of this database connection.' },
} as const satisfies FieldSchemas;

const CONFIG_FIELDS = {
  ...NAME_FIELD,
  plugin_name: { type: 'string', description: `The database plugin to use (${POSTGRES_PLUGIN_NAME}).` },
  plugin_version: { type: 'string', description: 'The semantic version of the plugin; stored and reported.' },
  verify_connection: { type: 'bool', description: 'Connect to the database before storing the configuration.', default: true },
  allowed_roles: { type: 'comma-string-slice', description: 'Roles allowed to use this connection; "*" (or a glob) for any.' },
  root_rotation_statements: { type: 'string-slice', description: 'Statements run to rotate the root password.' },
  connection_url: { type: 'string', description: 'Connection URL; {{username}} and {{password}} are filled in.' },
  username: { type: 'string', description: 'The root user the engine connects as.' },
  password: { type: 'string', description: 'The root password; never returned.', sensitive: true },
  max_open_connections: { type: 'int', description: 'Maximum open connections in the pool (default 4).' },
  max_idle_connections: { type: 'int', description: 'Idle connections kept; negative disables keeping idle connections.' },
  max_connection_lifetime: { type: 'duration', description: 'How long a connection may be reused; 0 for ever.' },
  password_authentication: { type: 'string', description: 'How new passwords reach PostgreSQL: "password" or "scram-sha-256".' },
  disable_escaping: { type: 'bool', description: 'Do not percent-encode username and password in the URL.' },
  password_policy: { type: 'string', description: 'Password policy (sys/policies/password) for the passwords this connection generates; Vault\'s default when empty.' },
  username_template: { type: 'string', description: 'Template for dynamic usernames (Go template syntax with Vault\'s functions); Vault\'s default shape when empty.' },
} as const satisfies FieldSchemas;

const URL_PASSWORD_WARNING =
  'Password found in connection_url, use a templated url to enable root rotation and prevent read access to password information.';

function passwordAuthentication(value: string): PasswordAuthentication {
  if (value === 'password' || value === 'scram-sha-256') return value;
  throw new BadRequestError(`error creating database object: password_authentication must be "password" or "scram-sha-256", got "${value}"`);
}

/** The lock key config writes, deletes and root rotations of one name run under. */
function configLock(name: string): string {
  return `config/${name}`;
}

const writeConfig: PathHandler<typeof CONFIG_FIELDS> = async (_req, f, ctx) => {
  const m = mountOf(ctx);
  const name = f.get('name');
  return m.locks.run(configLock(name), async () => {
    const existing = await m.store.getConfig(name);
    const pluginName = f.getOk('plugin_name') ?? existing?.pluginName ?? '';
    if (pluginName === '') throw new BadRequestError('empty plugin name');
    const def = pluginDef(pluginName);
    if (def === undefined) {
      throw new BadRequestError(`error creating database object: plugin "${pluginName}" is not supported (available: ${POSTGRES_PLUGIN_NAME})`);
    }
    const prev = existing?.connection;
    const details: ConnectionDetails = {
      connectionUrl: f.getOk('connection_url') ?? prev?.connectionUrl ?? '',
      username: f.getOk('username') ?? prev?.username ?? '',
      password: f.getOk('password') ?? prev?.password ?? '',
      maxOpenConnections: f.getOk('max_open_connections') ?? prev?.maxOpenConnections ?? DEFAULT_MAX_OPEN_CONNECTIONS,
      maxIdleConnections: f.getOk('max_idle_connections') ?? prev?.maxIdleConnections ?? 0,
      maxConnectionLifetime: f.getOk('max_connection_lifetime') ?? prev?.maxConnectionLifetime ?? 0,
      passwordAuthentication: passwordAuthentication(f.getOk('password_authentication') ?? prev?.passwordAuthentication ?? 'password'),
      disableEscaping: f.getOk('disable_escaping') ?? prev?.disableEscaping ?? false,
      usernameTemplate: f.getOk('username_template') ?? prev?.usernameTemplate ?? '',
    };
    try {
      if (details.usernameTemplate !== '') UsernameTemplate.parse(details.usernameTemplate ?? '');
    } catch (err) {
      if (err instanceof UsernameTemplateError) throw new BadRequestError(`error creating database object: unable to initialize username template: ${err.message}`);
      throw err;
    }
    try {
      def.validate(details);
    } catch (err) {
      if (err instanceof PluginError) throw new BadRequestError(`error creating database object: ${err.message}`);
      throw err;
    }
    const config: DatabaseConfig = {
      pluginName,
      pluginVersion: f.getOk('plugin_version') ?? existing?.pluginVersion ?? '',
      allowedRoles: f.getOk('allowed_roles') ?? existing?.allowedRoles ?? [],
      rootRotationStatements: f.getOk('root_rotation_statements') ?? existing?.rootRotationStatements ?? [],
      verifyConnection: f.get('verify_connection'),
      passwordPolicy: f.getOk('password_policy') ?? existing?.passwordPolicy ?? '',
      connection: details,
    };

    let plugin: DatabasePlugin | undefined;
    if (config.verifyConnection) {
      plugin = def.open(details, new Redactor());
      try {
        await plugin.verify();
      } catch (err) {
        await plugin.close();
        const message = err instanceof PluginError ? err.message : new Redactor([details.password]).message(err);
        throw new BadRequestError(`error creating database object: ${message}`);
      }
    }
    try {
      // The operator's new password wins over any interrupted root rotation.
      await m.store.commitConfig(name, config);
    } catch (err) {
      // Not stored (a secondary forwards the write to its primary): the verified pool goes too.
      await plugin?.close();
      throw err;
    }
    await m.connections.replace(name, plugin);
    return urlPassword(details.connectionUrl) !== undefined ? { warnings: [URL_PASSWORD_WARNING] } : undefined;
  });
};

function renderConfig(config: DatabaseConfig): Response {
  const c = config.connection;
  return {
    data: {
      plugin_name: config.pluginName,
      plugin_version: config.pluginVersion,
      allowed_roles: [...config.allowedRoles],
      root_credentials_rotate_statements: [...config.rootRotationStatements],
      verify_connection: config.verifyConnection,
      password_policy: config.passwordPolicy ?? '',
      connection_details: {
        connection_url: maskUrlPassword(c.connectionUrl),
        username: c.username,
        max_open_connections: c.maxOpenConnections,
        max_idle_connections: c.maxIdleConnections,
        max_connection_lifetime: `${c.maxConnectionLifetime}s`,
        password_authentication: c.passwordAuthentication,
        disable_escaping: c.disableEscaping,
        username_template: c.usernameTemplate ?? '',
      },
    },
  };
}

const configPath = definePath({
  pattern: `config/${genericName('name')}`,
  fields: CONFIG_FIELDS,
  existenceCheck: async (_req, f, ctx) => (await mountOf(ctx).store.getConfig(f.get('name'))) !== undefined,
  operations: {
    create: writeConfig,
    update: writeConfig,
    read: async (_req, f, ctx) => {
      const config = await mountOf(ctx).store.getConfig(f.get('name'));
      return config === undefined ? undefined : renderConfig(config);
    },
    delete: async (_req, f, ctx) => {
      const m = mountOf(ctx);
      const name = f.get('name');
      await m.locks.run(configLock(name), async () => {
        await m.store.deleteConfig(name);
        await m.connections.replace(name, undefined);
      });
      return undefined;
    },
  },
  synopsis: 'Configure connection details to a database plugin.',
  description: `
This path configures the connection details used to connect to a particular
database. The root password is stored encrypted and never returned; a
templated connection_url ({{username}}, {{password}}) keeps it out of the URL.`,
});

const configListPath = definePath({
  pattern: 'config/?',
  fields: {},
  operations: {
    list: async (_req, _f, ctx) => {
      const keys = await mountOf(ctx).store.listConfigs();
      return keys.length === 0 ? undefined : { data: { keys } };
    },
  },
  synopsis: 'Configure connection details to a database plugin.',
  description: 'List the configured database connections.',
});

const resetPath = definePath({
  pattern: `reset/${genericName('name')}`,
  fields: NAME_FIELD,
  operations: {
    update: async (_req, f, ctx) => {
      const m = mountOf(ctx);
      const name = f.get('name');
      await m.locks.run(configLock(name), async () => {
        if ((await m.store.getConfig(name)) === undefined) throw new BadRequestError(`unable to reset: no database configuration named "${name}"`);
        // The next use opens a fresh pool from the stored configuration.
        await m.connections.replace(name, undefined);
      });
      return undefined;
    },
  },
  synopsis: 'Resets a database plugin.',
  description: 'Closes the connection pool of the named connection; the next request reopens it from the stored configuration.',
});

const rotateRootPath = definePath({
  pattern: `rotate-root/${genericName('name')}`,
  fields: NAME_FIELD,
  operations: {
    update: async (_req, f, ctx) => {
      const m = mountOf(ctx);
      const name = f.get('name');
      await m.locks.run(configLock(name), async () => {
        const config = await m.store.getConfig(name);
        if (config === undefined) throw new BadRequestError(`unable to rotate root credentials: no database configuration named "${name}"`);
        const c = config.connection;
        if (c.username === '') throw new BadRequestError('unable to rotate root credentials: no username in configuration');
        if (!/\{\{\s*password\s*\}\}/.test(c.connectionUrl)) {
          throw new BadRequestError('unable to rotate root credentials: connection_url must be templated with {{password}}');
        }
        const plugin = await m.connections.get(name).catch((err: unknown) => {
          throw databaseFailure(err, 'unable to rotate root credentials');
        });
        const password = await passwordFor(config, m.ctx.passwordFromPolicy);
        // Recorded first: if we die after the database changed, the next pool open finds it.
        await m.store.putPendingRoot(name, { password });
        try {
          await plugin.setPassword({ username: c.username, password, statements: config.rootRotationStatements });
        } catch (err) {
          await m.store.deletePendingRoot(name);
          throw databaseFailure(err, 'unable to rotate root credentials');
        }
        await m.store.commitConfig(name, { ...config, connection: { ...c, password } });
        await m.connections.replace(name, undefined);
      });
      return undefined;
    },
  },
  synopsis: 'Request to rotate the root credentials for a certain database connection.',
  description: 'Sets a new random password for the configured root user and stores it; it is never returned.',
});

export const CONFIG_PATHS: readonly PathDef[] = [configListPath, configPath, resetPath, rotateRootPath];
