/**
 * How many threads V8 should keep for its background tasks on this machine.
 *
 * V8 runs the garbage collector's helper tasks (parallel scavenges, concurrent marking and
 * sweeping) and its background compilers on a pool of threads that Node sizes with
 * `--v8-pool-size`: 4 by default, whatever the machine. Arca keeps one core busy with the
 * event loop under load, and its sealing thread, SQLite checkpoints and WAL syncs run beside it;
 * on a small machine four GC helpers on top of that oversubscribe the cores, and during a
 * collection the event loop waits for a core. Measured on two cores under 64 writing clients
 * (bench/README.md, session 10): a pool of 1 gave 5,365-5,503 writes/s at p99 20.3-22.3 ms,
 * against 5,248-5,407 at 21.7-25.8 ms with the default 4, in alternating runs.
 *
 * The pool is created before any JavaScript runs, so only the command line (or NODE_OPTIONS)
 * can set it: `node --v8-pool-size=N bin/arca server ...`. The server logs a hint when it runs
 * with the default on a machine where that costs latency (server-command.ts).
 */

/** Node's own default when no flag is given. */
export const NODE_DEFAULT_V8_POOL_SIZE = 4;

/** The pool size for a machine with `cpus` cores: every core but the event loop's, between 1 and Node's default. */
export function recommendedV8PoolSize(cpus: number): number {
  return Math.max(1, Math.min(NODE_DEFAULT_V8_POOL_SIZE, Math.floor(cpus) - 1));
}

/** The node flags to start the server with on a machine with `cpus` cores. */
export function recommendedNodeFlags(cpus: number): string[] {
  return [`--v8-pool-size=${recommendedV8PoolSize(cpus)}`];
}

/** The `--v8-pool-size` this process was started with (command line first, then NODE_OPTIONS), or undefined. */
export function startedV8PoolSize(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  const args = [...(nodeOptions ?? '').split(/\s+/).filter((a) => a !== ''), ...execArgv];
  let size: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = arg.startsWith('--v8-pool-size=') ? arg.slice('--v8-pool-size='.length) : arg === '--v8-pool-size' ? args[i + 1] : undefined;
    if (value !== undefined && /^\d+$/.test(value)) size = Number(value);
  }
  return size;
}

/**
 * A hint for the operator when this process runs with Node's default pool on a machine that
 * should use a smaller one; undefined when the pool was chosen on purpose or the default fits.
 */
export function v8PoolHint(cpus: number, execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  if (startedV8PoolSize(execArgv, nodeOptions) !== undefined) return undefined;
  const recommended = recommendedV8PoolSize(cpus);
  if (recommended >= NODE_DEFAULT_V8_POOL_SIZE) return undefined;
  return `V8 runs ${NODE_DEFAULT_V8_POOL_SIZE} garbage-collector helper threads on ${cpus} CPUs; start the server with "node ${recommendedNodeFlags(cpus).join(' ')} bin/arca server ..." for lower write latency under load`;
}
