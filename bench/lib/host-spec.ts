/** What the orchestrator asks a node-host process to start (JSON on its command line). */

export interface HostSpec {
  readonly storage: 'inmem' | 'sqlite';
  /** SQLite database file (storage "sqlite" only). */
  readonly dbPath?: string;
  /** KV v2 keys written through the in-process pipeline before serving. */
  readonly prefill: number;
  /**
   * Live leases created before serving (after the KV prefill): service tokens with a long TTL,
   * each registered in the expiration manager's queue (see bench/README.md for why tokens).
   */
  readonly leases?: number;
  readonly prefillTimeoutMs: number;
}

/** A prefill asked of a running node-host (one JSON line on its stdin). */
export interface PrefillCommand {
  readonly op: 'kv' | 'leases';
  readonly count: number;
  readonly timeoutMs: number;
}

/** The dev root token every hosted node is initialised with. */
export const HOST_TOKEN = 'root';

/** TTL of prefilled and benchmarked leases: long enough that none expires during a run. */
export const LEASE_TTL = '768h';
