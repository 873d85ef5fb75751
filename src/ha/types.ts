/**
 * The contracts between high availability and the rest of the node. The core implements HaHost
 * (what to do when the role changes) and holds an HaControl (lifecycle hooks and status for the
 * sys/ endpoints); neither side imports the other's implementation.
 */

/** What the coordinator asks of the core when this node's role changes. */
export interface HaHost {
  /** Won the lock: reload everything from storage (another node may have changed it) and start background work. */
  activate(): Promise<void>;
  /** Lost or gave up the lock: stop background work, drop caches; the barrier stays unsealed. */
  deactivate(): Promise<void>;
  /** Became a standby after unseal: read what a standby shows (followActive), write nothing. */
  enterStandby(): Promise<void>;
  /**
   * A standby's look at what it shows without loading tables (cluster name, CORS policy), at
   * every lock check; write nothing.
   */
  followActive(): Promise<void>;
}

export type HaRole = 'sealed' | 'standby' | 'active' | 'transition';

export interface LeaderView {
  readonly nodeId: string;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  /** RFC 3339 time the leader became active. */
  readonly activeSince: string;
  readonly isSelf: boolean;
}

export interface HaView {
  readonly nodeId: string;
  readonly role: HaRole;
  /** The active node as last seen (this node when active); undefined when none is known. */
  readonly leader: LeaderView | undefined;
  /** A standby serving reads locally (perf-standby.ts); absent or false otherwise. */
  readonly performanceStandby?: boolean;
}

/** One entry of sys/ha-status, in Vault's field names. */
export interface HaNodeView {
  readonly hostname: string;
  readonly api_address: string;
  readonly cluster_address: string;
  readonly active_node: boolean;
  /** RFC 3339 time of the node's last heartbeat; null for the active node (as Vault). */
  readonly last_echo: string | null;
  readonly version: string;
  readonly echo_duration_ms: number;
  readonly clock_skew_ms: number;
  readonly replication_primary_canary_age_ms: number;
}

/** The core's handle on HA: lifecycle hooks around seal and unseal, and status. */
export interface HaControl {
  /** The barrier just opened: become a standby and start contending for the lock. */
  unsealed(): Promise<void>;
  /** A seal begins: stop contending; an active node keeps its lock until its services are down. */
  sealing(): Promise<void>;
  /** The services are down: give the lock up and refuse every further write. */
  sealed(): Promise<void>;
  view(): HaView;
  /** Unsealed nodes with a live heartbeat, the active one first. */
  nodes(): Promise<HaNodeView[]>;
  /** sys/step-down: give the lock up after the current requests, and stay standby for a while. */
  stepDown(): void;
}
