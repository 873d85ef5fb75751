/** Assembles ReplicationManager.status() from the pieces it owns. */
import type { AppliedPosition, PersistedState, SecondaryRecord } from './replication-state.js';
import { rfc3339, type ReplicationStatus, type SecondaryStatus } from './status.js';
import type { SecondaryClient } from './wal-client.js';
import type { WalLog } from './wal-log.js';
import type { PeerActivity } from './wal-server.js';

export interface StatusInputs {
  readonly state: PersistedState;
  readonly now: number;
  readonly heartbeatWindowMs: number;
  readonly merkleRoot: string;
  readonly wal: WalLog;
  readonly secondaries: readonly SecondaryRecord[];
  readonly activity: ReadonlyMap<string, PeerActivity>;
  readonly client: SecondaryClient | undefined;
  readonly applied: AppliedPosition;
}

export function buildStatus(i: StatusInputs): ReplicationStatus {
  const s = i.state;
  if (s.mode === 'disabled') return { mode: 'disabled' };
  const epoch = String(s.reindexEpoch);
  if (s.mode === 'primary') {
    const last = i.wal.committed;
    const live = i.secondaries.filter((r) => r.status !== 'revoked');
    const secondaries: SecondaryStatus[] = live.map((r) => {
      const a = i.activity.get(r.id);
      const connected = a !== undefined && i.now - a.lastSeen <= i.heartbeatWindowMs;
      return {
        node_id: r.id,
        api_address: r.apiAddr,
        cluster_address: r.clusterAddr,
        connection_status: connected ? 'connected' : 'disconnected',
        last_heartbeat: rfc3339(a?.lastSeen ?? 0),
        clock_skew_ms: '0',
        last_applied_wal: a?.applied ?? 0,
        lag_entries: a === undefined ? 0 : Math.max(0, last - a.applied),
      };
    });
    return {
      mode: 'primary',
      state: 'running',
      cluster_id: s.clusterId,
      known_secondaries: live.map((r) => r.id),
      secondaries,
      last_wal: last,
      last_performance_wal: last,
      merkle_root: i.merkleRoot,
      primary_cluster_addr: s.primaryClusterAddr,
      last_reindex_epoch: epoch,
      ssct_generation_counter: 0,
      oldest_wal: i.wal.oldest,
      wal_epoch: i.wal.epoch,
    };
  }
  const c = i.client;
  const view = c?.primary;
  const state = c?.state ?? 'idle';
  const connected = view !== undefined && view.lastHeartbeat > 0 && i.now - view.lastHeartbeat <= i.heartbeatWindowMs;
  const lag = c?.lag() ?? { entries: 0, ms: 0 };
  return {
    mode: 'secondary',
    state,
    cluster_id: s.clusterId,
    secondary_id: s.secondaryId,
    connection_state: state === 'idle' ? 'idle' : state === 'connecting' ? 'connecting' : 'ready',
    primary_cluster_addr: s.primaryClusterAddr,
    known_primary_cluster_addrs: s.primaryClusterAddr === '' ? [] : [s.primaryClusterAddr],
    primaries:
      s.primaryClusterAddr === '' && s.primaryApiAddr === ''
        ? []
        : [
            {
              api_address: s.primaryApiAddr,
              cluster_address: s.primaryClusterAddr,
              connection_status: connected ? 'connected' : 'disconnected',
              last_heartbeat: rfc3339(view?.lastHeartbeat ?? 0),
              clock_skew_ms: String(view?.clockSkewMs ?? 0),
            },
          ],
    last_remote_wal: i.applied.index,
    merkle_root: i.merkleRoot,
    last_reindex_epoch: epoch,
    primary_last_wal: view?.primaryLast ?? 0,
    lag_entries: lag.entries,
    lag_ms: lag.ms,
  };
}
