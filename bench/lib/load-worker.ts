/**
 * Load worker: a separate process (forked once per bench run, with an IPC channel) that drives
 * load runs with autocannon. For each LoadSpec it receives it runs the unmeasured warm-up, says
 * `measuring` (so the orchestrator can read the server's CPU counters at that moment), runs the
 * measured part and sends the LoadResult. The server under test never shares a process (or an
 * event loop) with the load; one long-lived worker saves a process start per run, which is most
 * of what keeps quick mode short.
 */
import autocannon from 'autocannon';
import { type LoadResult, type LoadSpec, type WorkerMessage, assertLoopback } from './load-spec.js';
import { percentile } from './stats.js';

/** Deterministic PRNG (xorshift32) so runs pick the same key sequence. */
function keyPicker(count: number, seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % count;
  };
}

async function runOnce(spec: LoadSpec, seconds: number, maxRequests: number, measure: boolean): Promise<LoadResult> {
  const pick = keyPicker(spec.keyCount ?? 1, 0x9e3779b9);
  const templated = spec.path.includes('{i}');
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: seconds,
    maxOverallRequests: Math.max(maxRequests, spec.connections),
    timeout: 10,
    // autocannon stops at its first sample tick after the duration: tick often, or every run
    // is rounded up to whole seconds.
    sampleInt: 100,
    method: spec.method,
    headers: { ...spec.headers },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    requests: [
      {
        path: spec.path,
        ...(templated ? { setupRequest: (req) => ({ ...req, path: spec.path.replace('{i}', String(pick())) }) } : {}),
      },
    ],
  });
  // Exact latencies (autocannon's own histogram has 1 ms resolution); bounded by maxRequests.
  const latencies = new Float64Array(measure ? maxRequests + spec.connections : 0);
  let n = 0;
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300 && n < latencies.length) latencies[n++] = ms;
  });
  const r = await instance;
  const sample = latencies.subarray(0, n);
  return {
    rps: r['2xx'] / r.duration,
    p50: percentile(sample, 50),
    p99: percentile(sample, 99),
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
  };
}

function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

async function serve(spec: LoadSpec): Promise<void> {
  try {
    assertLoopback(spec.url);
    if (spec.warmupSeconds > 0) await runOnce(spec, spec.warmupSeconds, spec.maxRequests, false);
    send({ type: 'measuring' });
    send({ type: 'result', result: await runOnce(spec, spec.durationSeconds, spec.maxRequests, true) });
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

if (process.send === undefined) {
  process.stderr.write('load worker: start me with an IPC channel (lib/load-driver.ts)\n');
  process.exit(2);
}
process.on('message', (spec: LoadSpec) => void serve(spec));
// The orchestrator going away (or closing the channel) ends the worker.
process.on('disconnect', () => process.exit(0));
