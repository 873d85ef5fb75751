/**
 * What the orchestrator asks a load worker to do, and what the worker reports back. Plain
 * JSON both ways: the spec travels on the worker's command line, the result on its stdout.
 */

export interface LoadSpec {
  /** Base URL, e.g. http://127.0.0.1:8200; must be loopback. */
  readonly url: string;
  /** Request path, e.g. /v1/secret/data/hot. A "{i}" is replaced by a random key index. */
  readonly path: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** With "{i}" in path: indexes are drawn uniformly from [0, keyCount). */
  readonly keyCount?: number;
  readonly connections: number;
  /** Unmeasured warm-up run first, seconds (0 = none). */
  readonly warmupSeconds: number;
  /** Measured run: ends at whichever bound comes first. */
  readonly durationSeconds: number;
  readonly maxRequests: number;
}

export interface LoadResult {
  /** 2xx responses per second over the measured run. */
  readonly rps: number;
  /** Latency of 2xx responses, milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  /**
   * CPU time (user + system, all threads) the server process spent per successful request
   * during the run, microseconds. Filled in by the orchestrator, which can see the server's
   * process; less sensitive than req/s to other work competing for this machine's two cores.
   */
  readonly cpuUsPerRequest?: number;
}

/** Worker -> orchestrator, over the IPC channel, for each LoadSpec sent. */
export type WorkerMessage =
  | { readonly type: 'measuring' }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'error'; readonly message: string };

/** Guards the loopback-only rule before any socket is opened. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`bench: refusing non-loopback target ${host}`);
  }
}
