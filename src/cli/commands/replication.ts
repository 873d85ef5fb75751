/**
 * `arca replication status`: this cluster's performance replication role, state and lag, and on
 * a primary one row per secondary. Reads the unauthenticated sys/replication/status, so it works
 * without a token; -format=json|yaml prints the endpoint's `performance` object as is.
 */
import { sysData } from '../client.js';
import { baseFlags, clientFor, expectArgs, outputFormat, remote, type Command } from '../command.js';
import { formatValue, keyValueTable, table } from '../format.js';
import { printStructuredOr } from '../secret-output.js';

type Fields = Readonly<Record<string, unknown>>;

function text(v: unknown): string {
  return v === undefined || v === null || v === '' ? 'n/a' : formatValue(v);
}

function fields(v: unknown): Fields {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Fields) : {};
}

/** The key/value block for this cluster; rows appear only for fields its role reports. */
export function replicationRows(p: Fields): [string, string][] {
  const rows: [string, string][] = [];
  const add = (label: string, key: string): void => {
    if (key in p) rows.push([label, text(p[key])]);
  };
  add('Mode', 'mode');
  add('State', 'state');
  add('Connection State', 'connection_state');
  add('Cluster ID', 'cluster_id');
  add('Secondary ID', 'secondary_id');
  add('Primary Cluster Address', 'primary_cluster_addr');
  add('Last WAL', 'last_wal');
  add('Oldest Retained WAL', 'oldest_wal');
  add('Last Remote WAL', 'last_remote_wal');
  add('Primary Last WAL', 'primary_last_wal');
  add('Lag (entries)', 'lag_entries');
  add('Lag (ms)', 'lag_ms');
  add('Merkle Root', 'merkle_root');
  add('Last Reindex Epoch', 'last_reindex_epoch');
  if (p['demoted'] === true) rows.push(['Demoted', 'true']);
  if (Array.isArray(p['known_secondaries'])) rows.push(['Known Secondaries', String(p['known_secondaries'].length)]);
  return rows;
}

/** One row per secondary (primary) or per primary endpoint (secondary). */
export function peerTable(p: Fields): string | undefined {
  if (Array.isArray(p['secondaries']) && p['secondaries'].length > 0) {
    const rows = p['secondaries'].map((raw) => {
      const s = fields(raw);
      return [text(s['node_id']), text(s['connection_status']), text(s['last_heartbeat']), text(s['last_applied_wal']), text(s['lag_entries']), text(s['clock_skew_ms'])];
    });
    return table(['Secondary', 'Connection', 'Last Heartbeat', 'Applied WAL', 'Lag (entries)', 'Clock Skew (ms)'], rows);
  }
  if (Array.isArray(p['primaries']) && p['primaries'].length > 0) {
    const rows = p['primaries'].map((raw) => {
      const s = fields(raw);
      return [text(s['cluster_address']), text(s['api_address']), text(s['connection_status']), text(s['last_heartbeat']), text(s['clock_skew_ms'])];
    });
    return table(['Primary Cluster Address', 'API Address', 'Connection', 'Last Heartbeat', 'Clock Skew (ms)'], rows);
  }
  return undefined;
}

export function renderReplicationStatus(p: Fields): string {
  const peers = peerTable(p);
  return peers === undefined ? keyValueTable(replicationRows(p)) : `${keyValueTable(replicationRows(p))}\n\n${peers}`;
}

export const replicationStatusCommand: Command = {
  synopsis: 'Print performance replication status and lag',
  help: `Usage: arca replication status [options]

  Prints this cluster's performance replication mode and state. On a primary it
  lists every secondary with its connection, last heartbeat and how many WAL
  entries it is behind; on a secondary it shows the primary it follows and the
  lag in entries and in milliseconds.

  This reads sys/replication/status, which needs no token.`,
  flags: () => baseFlags('format'),
  async run(inv) {
    expectArgs(inv, 0);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    const data = sysData(await remote('Error reading replication status', () => client.call('GET', 'sys/replication/status')));
    const perf = fields(data['performance'] ?? data);
    return printStructuredOr(inv.ui, format, perf, () => renderReplicationStatus(perf));
  },
};
