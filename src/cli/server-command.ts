/**
 * `arca server`: start a node from configuration files, or in dev mode (in-memory,
 * initialised, unsealed, KV v2 at secret/). Prints Vault's style of startup banner on stdout.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadServerConfig } from '../config/server-config.js';
import type { ListenerConfig, ServerConfig } from '../config/server-config-types.js';
import { DEFAULT_MAX_REQUEST_SIZE, DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL } from '../config/server-config-types.js';
import { startNode, type RunningNode } from '../server/node.js';
import { v8PoolHint } from '../server/node-flags.js';
import { createLogger, parseLogLevel, type LogLevel } from '../util/logger.js';
import { VERSION } from '../version.js';
import { FlagError, FlagSet } from './flags.js';

const SECTION = 'Command Options';

function serverFlags(): FlagSet {
  return new FlagSet()
    .define({ name: 'config', kind: 'list', usage: 'Path to a configuration file or directory (repeatable).', section: SECTION })
    .define({ name: 'dev', kind: 'bool', usage: 'Start in dev mode: in-memory, unsealed, root token printed.', section: SECTION })
    .define({ name: 'dev-root-token-id', kind: 'string', usage: 'Initial root token in dev mode.', section: SECTION })
    .define({ name: 'dev-listen-address', kind: 'string', usage: 'Listener address in dev mode.', section: SECTION, defaultValue: '127.0.0.1:8200' })
    .define({ name: 'dev-no-store-token', kind: 'bool', usage: 'Do not write the dev root token to ~/.vault-token.', section: SECTION })
    .define({ name: 'log-level', kind: 'string', usage: 'trace, debug, info, warn or error.', section: SECTION })
    .define({ name: 'log-format', kind: 'string', usage: 'standard or json.', section: SECTION });
}

function devConfig(address: string): ServerConfig {
  const m = /^(.*):(\d+)$/.exec(address);
  if (m === null) throw new ConfigError("-dev-listen-address", `invalid address "${address}": expected host:port`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = Number(m[2]);
  const listener: ListenerConfig = {
    type: 'tcp',
    address,
    host,
    port,
    clusterAddress: port === 0 ? `${m[1]}:0` : `${m[1]}:${port + 1}`,
    tls: { enabled: false },
    maxRequestSize: DEFAULT_MAX_REQUEST_SIZE,
  };
  return {
    ...DEFAULT_TOP_LEVEL,
    storage: { type: 'inmem', options: {} },
    listeners: [listener],
    telemetry: DEFAULT_TELEMETRY,
    replication: DEFAULT_REPLICATION,
    ignoredKeys: [],
  };
}

function banner(node: RunningNode, config: ServerConfig, level: LogLevel): string {
  const rows: [string, string][] = [['Api Address', node.apiAddr]];
  const first = node.listeners[0];
  if (first !== undefined) rows.push(['Cluster Address', config.clusterAddr ?? `https://${first.config.clusterAddress}`]);
  node.listeners.forEach((l, i) => {
    const tls = l.config.tls.enabled ? 'enabled' : 'disabled';
    rows.push([
      `Listener ${i + 1}`,
      `tcp (addr: "${l.address}", cluster address: "${l.config.clusterAddress}", max_request_size: "${l.config.maxRequestSize}", tls: "${tls}")`,
    ]);
  });
  rows.push(
    ['Log Level', level],
    // Node cannot lock memory; Vault prints the same line with disable_mlock.
    ['Mlock', 'supported: false, enabled: false'],
    ['Node Version', process.version],
    ['Recovery Mode', 'false'],
    ['Storage', config.storage.type],
    ['Version', `Arca v${VERSION}`],
  );
  const width = Math.max(...rows.map(([k]) => k.length)) + 12;
  const lines = rows.map(([k, v]) => `${k.padStart(width)}: ${v}`);
  return `==> Arca server configuration:\n\n${lines.join('\n')}\n\n==> Arca server started! Log data will stream in below:\n`;
}

export async function runServer(args: string[]): Promise<number> {
  const out = process.stdout;
  const err = process.stderr;
  if (args.includes('-h') || args.includes('-help') || args.includes('--help')) {
    out.write(`Usage: arca server [options]\n\n  Start an Arca server from configuration files, or in dev mode.\n\n${serverFlags().help()}\n`);
    return 0;
  }
  let flags;
  try {
    flags = serverFlags().parse(args);
  } catch (e) {
    if (e instanceof FlagError) {
      err.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (flags.args.length > 0) {
    err.write(`Too many arguments (expected 0, got ${flags.args.length})\n`);
    return 1;
  }
  const dev = flags.bool('dev');
  let config: ServerConfig;
  try {
    const paths = flags.list('config');
    if (!dev && paths.length === 0) {
      err.write('At least one config path must be specified with -config\n');
      return 1;
    }
    config = dev ? devConfig(flags.string('dev-listen-address')) : loadServerConfig(paths);
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`Error loading configuration: ${e.message}\n`);
      return 1;
    }
    throw e;
  }

  let level: LogLevel;
  try {
    // Flag, then Vault's environment variable, then the configuration file.
    level = parseLogLevel(flags.isSet('log-level') ? flags.string('log-level') : (process.env['VAULT_LOG_LEVEL'] || config.logLevel));
  } catch (e) {
    err.write(`${(e as Error).message}\n`);
    return 1;
  }
  const formatFlag = flags.isSet('log-format') ? flags.string('log-format') : (process.env['VAULT_LOG_FORMAT'] || config.logFormat);
  if (formatFlag !== 'standard' && formatFlag !== 'json') {
    err.write(`unknown log format: ${formatFlag}\n`);
    return 1;
  }
  const logger = createLogger({ level, format: formatFlag });

  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    const rootTokenId = flags.string('dev-root-token-id');
    node = await startNode(config, { logger, ...(dev ? { dev: rootTokenId ? { rootTokenId } : {} } : {}) });
  } catch (e) {
    err.write(`Error initializing core: ${(e as Error).message}\n`);
    return 1;
  }
  for (const key of config.ignoredKeys) logger.warn('configuration key is accepted for compatibility and ignored', { key });
  const poolHint = v8PoolHint(availableParallelism(), process.execArgv, process.env.NODE_OPTIONS);
  if (poolHint !== undefined) logger.info(poolHint);

  // One write, so a reader that sees the banner also sees the dev credentials.
  let text = banner(node, config, level);
  if (node.dev !== undefined) {
    if (!flags.bool('dev-no-store-token')) {
      try {
        writeFileSync(join(homedir(), '.vault-token'), node.dev.rootToken, { mode: 0o600 });
      } catch (e) {
        logger.warn('could not store the dev root token in ~/.vault-token', { error: (e as Error).message });
      }
    }
    text +=
      [
        'WARNING! dev mode is enabled! In this mode, Arca runs entirely in-memory',
        'and starts unsealed with a single unseal key. The root token is already',
        'authenticated to the CLI, so you can immediately begin using Arca.',
        '',
        'You may need to set the following environment variables:',
        '',
        `    $ export VAULT_ADDR='${node.apiAddr}'`,
        '',
        'The unseal key and root token are displayed below in case you want to',
        'seal/unseal the Vault or re-authenticate.',
        '',
        `Unseal Key: ${node.dev.unsealKey.toString('base64')}`,
        `Root Token: ${node.dev.rootToken}`,
        '',
        'Development mode should NOT be used in production installations!',
        '',
      ].join('\n');
  }
  out.write(text);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info('shutdown triggered', { signal });
      node.close().then(
        () => resolve(0),
        (e: unknown) => {
          logger.error('error during shutdown', { error: (e as Error).message });
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // SIGHUP reloads, as in Vault (certificate rotation); it must never stop the server.
    process.on('SIGHUP', () => {
      logger.info('reload triggered', { signal: 'SIGHUP' });
      // Log rotation: file audit devices reopen their files (a moved file is recreated).
      node.core.audit.reopen().then(
        (failed) => {
          for (const f of failed) logger.error('audit device reopen failed; its writes fail until it can be reopened', f);
          if (failed.length === 0) logger.info('audit devices reopened');
        },
        (e: unknown) => logger.error('audit device reopen failed', { error: (e as Error).message }),
      );
      for (const l of node.listeners) {
        if (!l.config.tls.enabled) continue;
        l.reloadTls().then(
          () => logger.info('listener TLS material reloaded', { address: l.address }),
          (e: unknown) => logger.error('listener TLS reload failed; keeping the previous certificate', { address: l.address, error: (e as Error).message }),
        );
      }
    });
  });
}
