/**
 * The configuration as sys/config/state/sanitized shows it, in Vault's key names. Storage
 * options are left out (a PostgreSQL connection_url holds a password), as Vault leaves out
 * storage, HA storage and seal settings; everything else in a configuration file is neither a
 * secret nor a key to one (certificate and key files appear as paths, never their contents).
 */
import type { ListenerConfig, ServerConfig } from './server-config-types.js';

function listenerView(l: ListenerConfig): Record<string, unknown> {
  const config: Record<string, unknown> = {
    address: l.address,
    cluster_address: l.clusterAddress,
    tls_disable: !l.tls.enabled,
    max_request_size: Number.isFinite(l.maxRequestSize) ? l.maxRequestSize : -1,
  };
  if (l.tls.enabled) {
    config['tls_cert_file'] = l.tls.certFile;
    config['tls_key_file'] = l.tls.keyFile;
    if (l.tls.clientCaFile !== undefined) config['tls_client_ca_file'] = l.tls.clientCaFile;
    config['tls_min_version'] = l.tls.minVersion;
    config['tls_require_and_verify_client_cert'] = l.tls.requireAndVerifyClientCert;
  }
  if (l.forwardedFor !== undefined) {
    config['x_forwarded_for_authorized_addrs'] = [...l.forwardedFor.authorizedAddrs];
    config['x_forwarded_for_hop_skips'] = l.forwardedFor.hopSkips;
    config['x_forwarded_for_reject_not_authorized'] = l.forwardedFor.rejectNotAuthorized;
    config['x_forwarded_for_reject_not_present'] = l.forwardedFor.rejectNotPresent;
  }
  return { type: l.type, config };
}

export function sanitizedConfig(c: ServerConfig): Record<string, unknown> {
  return {
    api_addr: c.apiAddr ?? '',
    cluster_addr: c.clusterAddr ?? '',
    cluster_name: c.clusterName ?? '',
    default_lease_ttl: c.defaultLeaseTTL,
    max_lease_ttl: c.maxLeaseTTL,
    disable_mlock: c.disableMlock,
    disable_performance_standby: c.disablePerformanceStandby ?? false,
    cache_size: c.cacheSize ?? 0,
    disable_cache: c.disableCache ?? false,
    raw_storage_endpoint: c.rawStorageEndpoint ?? false,
    enable_ui: c.ui,
    log_level: c.logLevel,
    log_format: c.logFormat,
    listeners: c.listeners.map(listenerView),
    seals: [{ type: 'shamir', disabled: false }],
    storage: { type: c.storage.type, cluster_addr: c.clusterAddr ?? '', disable_clustering: false, redirect_addr: c.apiAddr ?? '' },
    telemetry: {
      unauthenticated_metrics_access: c.telemetry.unauthenticatedMetricsAccess,
      prometheus_retention_time: c.telemetry.prometheusRetentionTime,
      disable_hostname: c.telemetry.disableHostname,
    },
    replication: {
      allow_forwarding_via_header: c.replication.allowForwardingViaHeader,
      wal_retention_entries: c.replication.walRetentionEntries,
      wal_retention_bytes: c.replication.walRetentionBytes,
    },
  };
}
