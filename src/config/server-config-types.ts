/**
 * The typed server configuration and its defaults. Everything here is a readonly value
 * object with no source positions, so the same settings written in HCL or JSON, in one file
 * or several, compare equal.
 */

import type { ForwardedForPolicy } from '../http/forwarded-for.js';

export type StorageType = 'inmem' | 'sqlite' | 'postgresql';

/**
 * The storage stanza. `options` holds every key of the stanza as a string (numbers and
 * booleans are stringified, as Vault's storage options are a string map); the storage
 * backend validates its own options. SQLite's `path` is required and lifted out.
 */
export type StorageConfig =
  | { readonly type: 'inmem'; readonly options: Readonly<Record<string, string>> }
  | { readonly type: 'sqlite'; readonly path: string; readonly options: Readonly<Record<string, string>> }
  | { readonly type: 'postgresql'; readonly options: Readonly<Record<string, string>> };

export type TlsVersion = 'tls10' | 'tls11' | 'tls12' | 'tls13';

export type ListenerTls =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly certFile: string;
      readonly keyFile: string;
      readonly clientCaFile: string | undefined;
      readonly minVersion: TlsVersion;
      readonly requireAndVerifyClientCert: boolean;
    };

export interface ListenerConfig {
  readonly type: 'tcp';
  /** As written (or the default), "host:port". */
  readonly address: string;
  /** Host part without IPv6 brackets; '' means every interface. */
  readonly host: string;
  readonly port: number;
  /** Address for cluster (server-to-server) traffic; defaults to the API port + 1 (port 0 stays 0). */
  readonly clusterAddress: string;
  readonly tls: ListenerTls;
  /** Largest request body in bytes; Infinity when the limit is disabled (a negative setting). */
  readonly maxRequestSize: number;
  /** The x_forwarded_for_* keys, when x_forwarded_for_authorized_addrs is set. */
  readonly forwardedFor?: ForwardedForPolicy;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'standard' | 'json';

export interface TelemetryConfig {
  readonly unauthenticatedMetricsAccess: boolean;
  /** Seconds Prometheus metrics are retained; 0 disables the Prometheus endpoint. */
  readonly prometheusRetentionTime: number;
  readonly disableHostname: boolean;
}

export interface ReplicationConfig {
  /** Honour X-Vault-Forward / forwarding requested by header on secondaries. */
  readonly allowForwardingViaHeader: boolean;
  /** WAL retention bounds on a primary: whichever is reached first trims the log. */
  readonly walRetentionEntries: number;
  readonly walRetentionBytes: number;
}

/** Top-level settings that are single values; merged key by key across files. */
export interface TopLevelSettings {
  readonly apiAddr: string | undefined;
  readonly clusterAddr: string | undefined;
  /** Seconds. */
  readonly defaultLeaseTTL: number;
  /** Seconds. */
  readonly maxLeaseTTL: number;
  readonly disableMlock: boolean;
  readonly ui: boolean;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly clusterName: string | undefined;
  /** Vault's `disable_performance_standby`: this node's standby forwards every request (src/ha/README.md). */
  readonly disablePerformanceStandby?: boolean;
  /** Vault's `cache_size`: entries in the read cache (0 or absent: the default, 65,536). */
  readonly cacheSize?: number;
  /** Vault's `disable_cache`: run without the read cache. */
  readonly disableCache?: boolean;
  /** Vault's `raw_storage_endpoint`: serve sys/raw (root only). */
  readonly rawStorageEndpoint?: boolean;
}

export interface ServerConfig extends TopLevelSettings {
  readonly storage: StorageConfig;
  /** In file order, then stanza order. Empty only when loaded with `dev: true`. */
  readonly listeners: readonly ListenerConfig[];
  readonly telemetry: TelemetryConfig;
  readonly replication: ReplicationConfig;
  /** Vault keys that were present and deliberately ignored (see README), sorted, for a startup warning. */
  readonly ignoredKeys: readonly string[];
}

/** 768h: Vault's 32-day default for both lease TTLs. */
export const DEFAULT_LEASE_TTL_SECONDS = 768 * 3600;
export const DEFAULT_LISTENER_ADDRESS = '127.0.0.1:8200';
/** 32 MiB, Vault's default max_request_size. */
export const DEFAULT_MAX_REQUEST_SIZE = 33_554_432;
export const DEFAULT_TLS_MIN_VERSION: TlsVersion = 'tls12';

export const DEFAULT_TOP_LEVEL: TopLevelSettings = Object.freeze({
  apiAddr: undefined,
  clusterAddr: undefined,
  defaultLeaseTTL: DEFAULT_LEASE_TTL_SECONDS,
  maxLeaseTTL: DEFAULT_LEASE_TTL_SECONDS,
  disableMlock: false,
  ui: false,
  logLevel: 'info',
  logFormat: 'standard',
  clusterName: undefined,
});

export const DEFAULT_TELEMETRY: TelemetryConfig = Object.freeze({
  unauthenticatedMetricsAccess: false,
  prometheusRetentionTime: 24 * 3600,
  disableHostname: false,
});

export const DEFAULT_REPLICATION: ReplicationConfig = Object.freeze({
  allowForwardingViaHeader: false,
  walRetentionEntries: 100_000,
  walRetentionBytes: 268_435_456,
});
