/**
 * sys/ endpoints of telemetry: sys/metrics (Vault's JSON, or Prometheus text with
 * ?format=prometheus or an OpenMetrics Accept header), sys/host-info, sys/in-flight-req and
 * the client-count basics under sys/internal/counters.
 *
 * sys/metrics with `unauthenticated_metrics_access` is served by the pipeline before the token
 * step (and not audited); otherwise it is an ordinary ACL-checked read.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import { StorageView } from '../logical/storage.js';
import type { Core } from '../core/core.js';
import { LEASE_PREFIX } from '../storage/keys.js';
import { hostInfo } from '../telemetry/host-info.js';

/** Refresh the usage gauges at most this often: a scrape must not become a storage scan per request. */
const USAGE_REFRESH_MS = 1000;

function usageRefresher(core: Core): () => Promise<void> {
  let last = -Infinity;
  let running: Promise<void> | undefined;
  return async () => {
    if (core.sealed || core.clock.now() - last < USAGE_REFRESH_MS) return;
    running ??= (async () => {
      try {
        const tokens = (await core.tokens.storage.list('accessor/')).length;
        const leases = (await new StorageView(core.barrier, LEASE_PREFIX).listRecursive('id/')).length;
        core.metrics.setUsage({ tokens, leases });
        last = core.clock.now();
      } finally {
        running = undefined;
      }
    })();
    await running;
  };
}

/** The replication gauges, read from the manager's status at scrape time (cheap: in memory). */
function refreshReplication(core: Core): void {
  const st = core.replication.status() as unknown as Record<string, unknown>;
  const num = (k: string): number => (typeof st[k] === 'number' ? (st[k] as number) : 0);
  const mode = typeof st['mode'] === 'string' ? (st['mode'] as string) : 'disabled';
  const m = core.metrics.replication;
  m.setState(mode, typeof st['state'] === 'string' ? (st['state'] as string) : mode === 'disabled' ? 'disabled' : 'unknown');
  if (mode === 'primary') m.setLastWal(num('last_wal'));
  if (mode === 'secondary') {
    m.setLastRemoteWal(num('last_remote_wal'));
    m.setLastWal(num('primary_last_wal'));
    m.setLagMs(num('lag_ms'));
  }
}

function formatOf(requested: string, accept: string | undefined): string {
  if (requested !== '') return requested;
  return accept !== undefined && accept.startsWith('application/openmetrics-text') ? 'prometheus' : '';
}

export function telemetryPaths(core: Core): PathDef[] {
  const refreshUsage = usageRefresher(core);
  return [
    definePath({
      pattern: 'metrics',
      fields: { format: { type: 'string', description: 'Empty for JSON, or "prometheus".' } },
      operations: {
        read: async (req, f): Promise<Response> => {
          const format = formatOf(f.get('format'), req.headers['accept']);
          await refreshUsage();
          refreshReplication(core);
          if (format === 'prometheus') {
            if (!core.metrics.prometheusEnabled) return { raw: { status: 400, body: 'prometheus is not enabled', contentType: 'text/plain' } };
            const { contentType, body } = await core.metrics.prometheus();
            return { raw: { status: 200, body, contentType } };
          }
          if (format !== '') return { raw: { status: 400, body: `metric response format "${format}" unknown`, contentType: 'text/plain' } };
          return { raw: { status: 200, body: await core.metrics.json() } };
        },
      },
      synopsis: 'Export the server\'s metrics.',
      description: 'JSON in Vault\'s shape by default; Prometheus text format with ?format=prometheus.',
    }),
    definePath({
      pattern: 'host-info',
      fields: {},
      operations: { read: async () => ({ data: await hostInfo(core.clock.now()) }) },
      synopsis: 'Information about the host.',
      description: 'CPU, CPU times, disk usage, host identity and memory of the machine the server runs on.',
    }),
    definePath({
      pattern: 'config/state/sanitized',
      fields: {},
      operations: { read: async () => ({ data: { ...core.sanitizedConfig } }) },
      synopsis: 'The configuration, without secrets.',
      description: 'The server configuration in Vault\'s key names; storage options are left out.',
    }),
    definePath({
      pattern: 'version-history/?',
      fields: {},
      operations: {
        list: async () => {
          const history = await core.versionHistory();
          const keyInfo: Record<string, unknown> = {};
          for (const r of history) keyInfo[r.version] = { build_date: r.build_date, previous_version: r.previous_version, timestamp_installed: r.timestamp_installed };
          return { data: { keys: history.map((r) => r.version), key_info: keyInfo } };
        },
      },
      synopsis: 'Versions this cluster has run.',
      description: 'Each server version, when it was first unsealed here and which version ran before it.',
    }),
    definePath({
      pattern: 'in-flight-req',
      fields: {},
      operations: { read: async () => ({ raw: { status: 200, body: core.metrics.inFlightRequests() } }) },
      synopsis: 'Requests being handled now.',
      description: 'A map of request id to start time, client address, path and method.',
    }),
    definePath({
      pattern: 'internal/counters/activity',
      fields: {
        start_time: { type: 'time', description: 'Start of the period (this node reports the current month).' },
        end_time: { type: 'time', description: 'End of the period.' },
        current_billing_period: { type: 'bool', description: 'Report the current period.' },
      },
      operations: { read: async () => ({ data: core.metrics.activity.report() }) },
      synopsis: 'Client counts.',
      description: 'Distinct entities and non-entity tokens that used this node in the current month.',
    }),
    definePath({
      pattern: 'internal/counters/activity/monthly',
      fields: {},
      operations: { read: async () => ({ data: core.metrics.activity.report() }) },
      synopsis: 'Client counts of the current month.',
      description: 'Distinct entities and non-entity tokens that used this node in the current month.',
    }),
    definePath({
      pattern: 'internal/counters/config',
      fields: {},
      operations: {
        read: async () => ({
          data: {
            default_report_months: 12,
            enabled: 'default-enabled',
            queries_available: true,
            retention_months: 48,
            reporting_enabled: false,
            minimum_retention_months: 48,
          },
        }),
        update: async () => {
          throw new BadRequestError('client count configuration is fixed on this server');
        },
      },
      synopsis: 'Client count configuration.',
      description: 'Client counting is always on and kept in memory for the current month.',
    }),
  ];
}
