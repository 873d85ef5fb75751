/**
 * Runs load from a separate process, one run at a time: wrk (the default, lib/wrk.ts), or with
 * `--load=autocannon` a long-lived worker process running autocannon (load-worker.js, forked on
 * first use). Each run is bounded: a load process that outlives its run's duration by GRACE_MS
 * is killed (and the next run starts a new one).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type LoadResult, type LoadSpec, type WorkerMessage, assertLoopback } from './load-spec.js';
import { runWrkLoad } from './wrk.js';

export type LoadGenerator = 'wrk' | 'autocannon';

let generator: LoadGenerator = 'wrk';

/** Which program generates load for the rest of this bench run. */
export function useLoadGenerator(g: LoadGenerator): void {
  generator = g;
}

export function loadGenerator(): LoadGenerator {
  return generator;
}

const WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));
/** Beyond the run's own duration: connection setup, the last responses. */
const GRACE_MS = 20_000;

let worker: ChildProcess | undefined;

function ensureWorker(): ChildProcess {
  if (worker !== undefined && worker.connected && worker.exitCode === null) return worker;
  const w = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  w.once('exit', () => {
    if (worker === w) worker = undefined;
  });
  worker = w;
  return w;
}

/**
 * One load run. `onMeasuring` is called when the warm-up is over and the measured part starts
 * (the moment to read the server's CPU counters).
 */
export function runLoad(spec: LoadSpec, onMeasuring?: () => void): Promise<LoadResult> {
  assertLoopback(spec.url);
  if (generator === 'wrk') return runWrkLoad(spec, onMeasuring);
  const w = ensureWorker();
  const budgetMs = (spec.warmupSeconds + spec.durationSeconds) * 1000 + GRACE_MS;
  return new Promise<LoadResult>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      w.kill('SIGKILL');
      reject(new Error(`load worker exceeded its ${budgetMs} ms budget`));
    }, budgetMs);
    const onMessage = (msg: WorkerMessage): void => {
      if (msg.type === 'measuring') {
        onMeasuring?.();
        return;
      }
      done();
      if (msg.type === 'result') resolve(msg.result);
      else reject(new Error(`load worker: ${msg.message}`));
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(new Error(`load worker exited (${signal ?? code}) during a run`));
    };
    w.on('message', onMessage);
    w.once('exit', onExit);
    w.send(spec);
  });
}

/** End the worker (at the end of a bench run). */
export function closeLoadWorker(): void {
  const w = worker;
  worker = undefined;
  if (w !== undefined && w.exitCode === null) {
    if (w.connected) w.disconnect();
    const t = setTimeout(() => w.kill('SIGKILL'), 5000);
    t.unref();
  }
}
