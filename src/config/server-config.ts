/**
 * Reads Vault-style server configuration into a typed, frozen ServerConfig.
 *
 * Each file is decoded on its own (so errors point at file and line), then files merge in
 * order: later single values win key by key, a later storage stanza replaces an earlier
 * one, listeners accumulate. Requirements that only the whole can answer (a storage, at
 * least one listener, default TTL <= max TTL) are checked after the merge.
 */
import { readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import {
  asBool,
  asDuration,
  asEnum,
  asHttpUrl,
  asNonEmptyString,
  asNonNegativeInt,
  asPositiveInt,
  decodeBody,
  decodeField,
  fail,
  type FieldTable,
  type Scope,
  type Sourced,
  type SourcedFields,
} from './config-decode.js';
import { ConfigError } from './config-error.js';
import { HclSyntaxError, blocksOf, parseConfigText, type HclBlock, type HclBody, type HclItem } from './hcl.js';
import { decodeListener } from './listener-config.js';
import { decodeStorage } from './storage-config.js';
import {
  DEFAULT_REPLICATION,
  DEFAULT_TELEMETRY,
  DEFAULT_TOP_LEVEL,
  type ListenerConfig,
  type LogFormat,
  type LogLevel,
  type ReplicationConfig,
  type ServerConfig,
  type StorageConfig,
  type TelemetryConfig,
  type TopLevelSettings,
} from './server-config-types.js';

export { ConfigError } from './config-error.js';
export {
  DEFAULT_LEASE_TTL_SECONDS,
  DEFAULT_LISTENER_ADDRESS,
  DEFAULT_MAX_REQUEST_SIZE,
  DEFAULT_REPLICATION,
  DEFAULT_TELEMETRY,
  DEFAULT_TLS_MIN_VERSION,
  DEFAULT_TOP_LEVEL,
  type ListenerConfig,
  type ListenerTls,
  type LogFormat,
  type LogLevel,
  type ReplicationConfig,
  type ServerConfig,
  type StorageConfig,
  type StorageType,
  type TelemetryConfig,
  type TlsVersion,
  type TopLevelSettings,
} from './server-config-types.js';
export { STORAGE_TYPES } from './storage-config.js';

export interface LoadOptions {
  /**
   * Dev mode (`arca server -dev`): a missing storage stanza means inmem and no listener is
   * required, because the command line supplies them. Everything else is checked as usual.
   */
  readonly dev?: boolean;
}

/** Config files larger than this are refused: no real configuration comes close. */
export const MAX_CONFIG_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Real Vault keys Arca accepts and deliberately ignores, so existing Vault configuration
 * files load unchanged. Reported in ServerConfig.ignoredKeys for a startup warning.
 */
export const IGNORED_VAULT_KEYS: readonly string[] = [
  'plugin_directory',
  'pid_file',
  'introspection_endpoint',
  'disable_clustering',
];

/** Real Vault stanzas Arca refuses with an explanation rather than "unknown key". */
const UNSUPPORTED_VAULT_KEYS: Readonly<Record<string, string>> = {
  ha_storage: 'Arca coordinates high availability through its shared postgresql storage; remove this stanza',
  ha_backend: 'Arca coordinates high availability through its shared postgresql storage; remove this stanza',
  seal: 'Arca supports only Shamir unsealing; remove this stanza',
  service_registration: 'remove this stanza',
};

const TOP_FIELDS: FieldTable<TopLevelSettings> = {
  apiAddr: ['api_addr', asHttpUrl],
  clusterAddr: ['cluster_addr', asHttpUrl],
  defaultLeaseTTL: ['default_lease_ttl', asDuration],
  maxLeaseTTL: ['max_lease_ttl', asDuration],
  disableMlock: ['disable_mlock', asBool],
  ui: ['ui', asBool],
  logLevel: ['log_level', asEnum<LogLevel>(['trace', 'debug', 'info', 'warn', 'error'], { err: 'error' })],
  logFormat: ['log_format', asEnum<LogFormat>(['standard', 'json'])],
  clusterName: ['cluster_name', asNonEmptyString],
  disablePerformanceStandby: ['disable_performance_standby', asBool],
  cacheSize: ['cache_size', asNonNegativeInt],
  disableCache: ['disable_cache', asBool],
  rawStorageEndpoint: ['raw_storage_endpoint', asBool],
};

const TELEMETRY_FIELDS: FieldTable<TelemetryConfig> = {
  unauthenticatedMetricsAccess: ['unauthenticated_metrics_access', asBool],
  prometheusRetentionTime: ['prometheus_retention_time', asDuration],
  disableHostname: ['disable_hostname', asBool],
};

const REPLICATION_FIELDS: FieldTable<ReplicationConfig> = {
  allowForwardingViaHeader: ['allow_forwarding_via_header', asBool],
  walRetentionEntries: ['wal_retention_entries', asPositiveInt],
  walRetentionBytes: ['wal_retention_bytes', asPositiveInt],
};

/** One file's contribution, with positions kept for merge-time errors. */
interface FileConfig {
  storage?: Sourced<StorageConfig>;
  listeners: ListenerConfig[];
  top: SourcedFields<TopLevelSettings>;
  telemetry: SourcedFields<TelemetryConfig>;
  replication: SourcedFields<ReplicationConfig>;
  ignored: Set<string>;
}

/** Parses one configuration text (HCL, or JSON by `.json` name or leading `{`). */
export function parseServerConfig(text: string, filename: string, options: LoadOptions = {}): ServerConfig {
  return finalize([decodeFile(text, filename)], filename, options);
}

/**
 * Loads and merges configuration from files and directories, in the order given. A directory
 * contributes its `*.hcl` and `*.json` files (not subdirectories) in name order.
 */
export function loadServerConfig(paths: readonly string[], options: LoadOptions = {}): ServerConfig {
  const files = paths.flatMap(expandPath);
  if (files.length === 0) {
    throw new ConfigError(paths.length === 0 ? '(no paths)' : paths.join(', '), 'no configuration files found');
  }
  return finalize(
    files.map((file) => decodeFile(readConfigFile(file), file)),
    files.join(', '),
    options,
  );
}

function expandPath(path: string): string[] {
  const stat = statOrFail(path);
  if (!stat.isDirectory()) return [path];
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (err) {
    throw new ConfigError(path, `cannot read directory: ${describeFsError(err)}`, undefined, undefined, { cause: err });
  }
  return names
    .filter((name) => name.endsWith('.hcl') || name.endsWith('.json'))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => !statOrFail(file).isDirectory());
}

function statOrFail(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    throw new ConfigError(path, `cannot read: ${describeFsError(err)}`, undefined, undefined, { cause: err });
  }
}

function readConfigFile(file: string): string {
  if (statOrFail(file).size > MAX_CONFIG_FILE_BYTES) {
    throw new ConfigError(file, `file is larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, `cannot read: ${describeFsError(err)}`, undefined, undefined, { cause: err });
  }
}

function describeFsError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return typeof code === 'string' ? code : 'unknown error';
  }
}

function decodeFile(text: string, file: string): FileConfig {
  let body: HclBody;
  try {
    body = parseConfigText(text, file);
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new ConfigError(file, err.reason, err.line, err.column);
    throw err;
  }
  const top: Scope = { file, where: '' };
  const fc: FileConfig = { listeners: [], top: {}, telemetry: {}, replication: {}, ignored: new Set() };
  let telemetryLine: number | undefined;
  let replicationLine: number | undefined;
  for (const item of body.items) {
    switch (item.key) {
      case 'storage':
      case 'backend':
        for (const block of expandBlocks(item, 1, file)) {
          if (fc.storage !== undefined) fail(top, block.line, `only one storage stanza is allowed (the first is on line ${fc.storage.line})`);
          fc.storage = { value: decodeStorage(block, file), file, line: block.line };
        }
        break;
      case 'listener':
        for (const block of expandBlocks(item, 1, file)) fc.listeners.push(decodeListener(block, file));
        break;
      case 'telemetry':
        for (const block of expandBlocks(item, 0, file)) {
          if (telemetryLine !== undefined) fail(top, block.line, `only one telemetry stanza is allowed (the first is on line ${telemetryLine})`);
          telemetryLine = block.line;
          decodeBody(TELEMETRY_FIELDS, { file, where: 'telemetry' }, block.body, fc.telemetry);
        }
        break;
      case 'replication':
        for (const block of expandBlocks(item, 0, file)) {
          if (replicationLine !== undefined) fail(top, block.line, `only one replication stanza is allowed (the first is on line ${replicationLine})`);
          replicationLine = block.line;
          decodeBody(REPLICATION_FIELDS, { file, where: 'replication' }, block.body, fc.replication);
        }
        break;
      default:
        if (decodeField(TOP_FIELDS, top, item, fc.top)) break;
        if (IGNORED_VAULT_KEYS.includes(item.key)) {
          fc.ignored.add(item.key);
          break;
        }
        if (Object.hasOwn(UNSUPPORTED_VAULT_KEYS, item.key)) {
          fail(top, item.line, `${JSON.stringify(item.key)} is not supported: ${UNSUPPORTED_VAULT_KEYS[item.key]}`);
        }
        fail(top, item.line, `unknown key ${JSON.stringify(item.key)}`);
    }
  }
  return fc;
}

function expandBlocks(item: HclItem, labelCount: number, file: string): HclBlock[] {
  try {
    return blocksOf(item, labelCount);
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new ConfigError(file, err.reason, err.line);
    throw err;
  }
}

/** Merges files in order and applies defaults and whole-configuration checks. */
function finalize(files: readonly FileConfig[], label: string, options: LoadOptions): ServerConfig {
  let storage: Sourced<StorageConfig> | undefined;
  const listeners: ListenerConfig[] = [];
  const top: SourcedFields<TopLevelSettings> = {};
  const telemetry: SourcedFields<TelemetryConfig> = {};
  const replication: SourcedFields<ReplicationConfig> = {};
  const ignored = new Set<string>();
  for (const fc of files) {
    storage = fc.storage ?? storage;
    listeners.push(...fc.listeners);
    Object.assign(top, fc.top);
    Object.assign(telemetry, fc.telemetry);
    Object.assign(replication, fc.replication);
    for (const key of fc.ignored) ignored.add(key);
  }

  if (storage === undefined && options.dev !== true) {
    throw new ConfigError(label, 'no storage stanza: configure one, for example storage "sqlite" { path = "/var/lib/arca/arca.db" }');
  }
  if (listeners.length === 0 && options.dev !== true) {
    throw new ConfigError(label, 'no listener stanza: configure at least one listener "tcp" { ... }');
  }

  const settings = withDefaults(top, DEFAULT_TOP_LEVEL);
  if (settings.defaultLeaseTTL > settings.maxLeaseTTL) {
    const at = top.defaultLeaseTTL ?? top.maxLeaseTTL;
    const problem = 'default_lease_ttl must not be greater than max_lease_ttl';
    throw at === undefined ? new ConfigError(label, problem) : new ConfigError(at.file, problem, at.line);
  }

  return deepFreeze({
    ...settings,
    storage: storage?.value ?? { type: 'inmem', options: {} },
    listeners,
    telemetry: withDefaults(telemetry, DEFAULT_TELEMETRY),
    replication: withDefaults(replication, DEFAULT_REPLICATION),
    ignoredKeys: [...ignored].sort(),
  });
}

function withDefaults<T extends object>(set: SourcedFields<T>, defaults: T): T {
  const out = { ...defaults };
  for (const key of Object.keys(set) as (keyof T)[]) {
    const v = set[key];
    if (v !== undefined) out[key] = v.value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
