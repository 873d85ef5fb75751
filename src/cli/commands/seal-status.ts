/**
 * The seal/HA status block shared by `status` and `operator unseal`, with Vault's row names and
 * the rule that progress and nonce rows appear only while sealed.
 */
import type { ApiClient } from '../client.js';
import { sysData } from '../client.js';
import { formatValue, keyValueTable, type OutputFormat } from '../format.js';
import { printStructuredOr } from '../secret-output.js';
import type { Ui } from '../ui.js';

export type Fields = Readonly<Record<string, unknown>>;

const ZERO_TIME = '0001-01-01T00:00:00Z';

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** sys/leader, or undefined when it cannot be read (sealed servers refuse it). */
export async function readLeader(client: ApiClient): Promise<Fields | undefined> {
  try {
    const res = await client.send('GET', 'sys/leader');
    return res.status >= 200 && res.status < 300 ? sysData(res) : undefined;
  } catch {
    return undefined;
  }
}

/** The json/yaml shape: the seal status with the HA fields merged in. */
export function statusObject(seal: Fields, leader: Fields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...seal, ha_enabled: leader?.['ha_enabled'] === true };
  if (leader !== undefined && leader['ha_enabled'] === true) {
    for (const key of ['is_self', 'active_time', 'leader_address', 'leader_cluster_address', 'performance_standby', 'performance_standby_last_remote_wal']) {
      if (present(leader[key])) out[key] = leader[key];
    }
  }
  return out;
}

export function statusRows(seal: Fields, leader: Fields | undefined): [string, string][] {
  const rows: [string, string][] = [];
  const add = (k: string, v: unknown): void => {
    rows.push([k, formatValue(v)]);
  };
  add('Seal Type', seal['type'] ?? 'shamir');
  add('Initialized', seal['initialized'] ?? false);
  add('Sealed', seal['sealed'] ?? false);
  add('Total Shares', seal['n'] ?? 0);
  add('Threshold', seal['t'] ?? 0);
  if (seal['sealed'] === true) {
    add('Unseal Progress', `${formatValue(seal['progress'] ?? 0)}/${formatValue(seal['t'] ?? 0)}`);
    add('Unseal Nonce', present(seal['nonce']) ? seal['nonce'] : 'n/a');
  }
  if (seal['migration'] === true) add('Seal Migration in Progress', true);
  add('Version', seal['version'] ?? '');
  if (present(seal['build_date'])) add('Build Date', seal['build_date']);
  if (present(seal['storage_type'])) add('Storage Type', seal['storage_type']);
  if (present(seal['cluster_name'])) add('Cluster Name', seal['cluster_name']);
  if (present(seal['cluster_id'])) add('Cluster ID', seal['cluster_id']);
  const ha = leader?.['ha_enabled'] === true;
  add('HA Enabled', ha);
  if (ha && leader !== undefined) {
    add('HA Cluster', present(leader['leader_cluster_address']) ? leader['leader_cluster_address'] : 'n/a');
    add('HA Mode', leader['is_self'] === true ? 'active' : 'standby');
    const since = leader['active_time'];
    if (leader['is_self'] === true && present(since) && since !== ZERO_TIME) add('Active Since', since);
    // A standby names the node it forwards to (Vault's row, "<none>" while no node is active).
    if (leader['is_self'] !== true) add('Active Node Address', present(leader['leader_address']) ? leader['leader_address'] : '<none>');
    // As Vault, only a performance standby shows these rows.
    if (leader['performance_standby'] === true) {
      add('Performance Standby Node', true);
      add('Performance Standby Last Remote WAL', leader['performance_standby_last_remote_wal'] ?? 0);
    }
  }
  return rows;
}

export function printSealStatus(ui: Ui, format: OutputFormat, seal: Fields, leader: Fields | undefined): void {
  printStructuredOr(ui, format, statusObject(seal, leader), () => keyValueTable(statusRows(seal, leader)));
}
