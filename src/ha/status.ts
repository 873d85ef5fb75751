/**
 * The bodies of sys/leader and sys/ha-status, in Vault's field names. Without HA a node is its
 * own one-node cluster: ha_enabled false, and ha-status lists just itself.
 */
import { hostname } from 'node:os';
import type { Response } from '../logical/request.js';
import { VERSION } from '../version.js';
import type { HaControl, HaNodeView, HaView } from './types.js';

/** Go's zero time, which Vault renders when there is no active time to show. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function leaderBody(view: HaView | undefined): Record<string, unknown> {
  const leader = view?.leader;
  return {
    ha_enabled: view !== undefined,
    is_self: leader?.isSelf ?? false,
    active_time: leader !== undefined && leader.activeSince !== '' ? leader.activeSince : ZERO_TIME,
    leader_address: leader?.apiAddr ?? '',
    leader_cluster_address: leader?.clusterAddr ?? '',
    performance_standby: view?.performanceStandby === true,
    performance_standby_last_remote_wal: 0,
  };
}

/** `nodes` both in data and at the top level, where Vault's Go client reads it. */
export async function haStatusResponse(node: { readonly ha: HaControl | undefined; readonly apiAddr: string; readonly clusterAddr: string }): Promise<Response> {
  const nodes: HaNodeView[] =
    node.ha !== undefined
      ? await node.ha.nodes()
      : [
          {
            hostname: hostname(),
            api_address: node.apiAddr,
            cluster_address: node.clusterAddr,
            active_node: true,
            last_echo: null,
            version: VERSION,
            echo_duration_ms: 0,
            clock_skew_ms: 0,
            replication_primary_canary_age_ms: 0,
          },
        ];
  return { data: { nodes }, legacyTopLevel: true };
}
