/** What the orchestrator asks a node-host process to start (JSON on its command line). */

export interface HostSpec {
  readonly storage: 'inmem' | 'sqlite';
  /** SQLite database file (storage "sqlite" only). */
  readonly dbPath?: string;
  /** KV v2 keys written through the in-process pipeline before serving. */
  readonly prefill: number;
  readonly prefillTimeoutMs: number;
}

/** The dev root token every hosted node is initialised with. */
export const HOST_TOKEN = 'root';
