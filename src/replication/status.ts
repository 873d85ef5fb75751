/**
 * Replication status in Vault's shape (sys/replication/performance/status `data`), snake_case
 * and with Vault's JSON types (clock_skew_ms and last_reindex_epoch are strings, indexes
 * numbers). Arca adds lag in entries and milliseconds. The endpoints (part 2) may add fields
 * only they know (api addresses of secondaries) before rendering.
 */

export interface SecondaryStatus {
  readonly node_id: string;
  readonly api_address: string;
  readonly cluster_address: string;
  /** 'connected' when it fetched within the heartbeat window, else 'disconnected'. */
  readonly connection_status: 'connected' | 'disconnected';
  /** RFC 3339, '' if it never connected. */
  readonly last_heartbeat: string;
  readonly clock_skew_ms: string;
  /** Arca: the secondary's last acknowledged (applied) index and its lag behind last_wal. */
  readonly last_applied_wal: number;
  readonly lag_entries: number;
}

export interface PrimaryStatus {
  readonly mode: 'primary';
  readonly state: 'running' | 'idle';
  readonly cluster_id: string;
  readonly known_secondaries: readonly string[];
  readonly secondaries: readonly SecondaryStatus[];
  readonly last_wal: number;
  readonly last_performance_wal: number;
  readonly merkle_root: string;
  readonly primary_cluster_addr: string;
  readonly last_reindex_epoch: string;
  readonly ssct_generation_counter: number;
  /** Arca: oldest retained WAL index and the log's epoch. */
  readonly oldest_wal: number;
  readonly wal_epoch: string;
}

export type SecondaryState = 'connecting' | 'merkle-diff' | 'merkle-sync' | 'stream-wals' | 'idle';

export interface PrimaryEndpointStatus {
  readonly api_address: string;
  readonly cluster_address: string;
  readonly connection_status: 'connected' | 'disconnected';
  readonly last_heartbeat: string;
  readonly clock_skew_ms: string;
}

export interface SecondaryModeStatus {
  readonly mode: 'secondary';
  readonly state: SecondaryState;
  readonly cluster_id: string;
  readonly secondary_id: string;
  /** Vault: 'ready' while streaming or syncing, 'connecting' otherwise, 'idle' when stopped. */
  readonly connection_state: 'ready' | 'connecting' | 'idle';
  readonly primary_cluster_addr: string;
  readonly known_primary_cluster_addrs: readonly string[];
  readonly primaries: readonly PrimaryEndpointStatus[];
  /** The applied index (Vault's last_remote_wal). */
  readonly last_remote_wal: number;
  readonly merkle_root: string;
  readonly last_reindex_epoch: string;
  /** Arca: the primary's last index as last heard, lag in entries and staleness in ms (-1 = unknown; docs/replication.md). */
  readonly primary_last_wal: number;
  readonly lag_entries: number;
  readonly lag_ms: number;
}

export interface DisabledStatus {
  readonly mode: 'disabled';
}

export type ReplicationStatus = PrimaryStatus | SecondaryModeStatus | DisabledStatus;

export function rfc3339(ms: number): string {
  return ms <= 0 ? '' : new Date(ms).toISOString();
}
