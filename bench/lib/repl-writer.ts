/**
 * Paced writer for the replication-lag scenario: a separate process (forked with IPC) that
 * sends KV v2 writes open-loop at a fixed rate (write i is due at start + i / rate, whatever
 * earlier writes are doing), with at most `maxInFlight` outstanding, and records for each its
 * acknowledgement time (CLOCK_MONOTONIC, comparable across processes: repl-host.ts monoMs) and
 * the X-Vault-Index the primary answered with. Bounded by count, duration and a deadline.
 */
import { Agent, request } from 'node:http';
import { assertLoopback } from './load-spec.js';

export interface WriterSpec {
  readonly url: string;
  readonly token: string;
  /** Path with "{i}" replaced by i modulo keyCount. */
  readonly path: string;
  readonly keyCount: number;
  readonly body: string;
  readonly rate: number;
  readonly seconds: number;
  readonly maxInFlight: number;
}

export interface WriterResult {
  /** Per acknowledged 2xx write: [ack monotonic ms, X-Vault-Index or -1, latency ms]. */
  readonly acks: [number, number, number][];
  readonly sent: number;
  readonly failed: number;
  /** Writes that could not be sent on time because maxInFlight were outstanding. */
  readonly late: number;
  readonly seconds: number;
}

function monoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

async function run(spec: WriterSpec): Promise<WriterResult> {
  assertLoopback(spec.url);
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.maxInFlight });
  const total = Math.round(spec.rate * spec.seconds);
  const acks: [number, number, number][] = [];
  let sent = 0;
  let failed = 0;
  let late = 0;
  let inFlight = 0;
  const start = monoMs();
  const body = Buffer.from(spec.body);
  let finished!: () => void;
  const allDone = new Promise<void>((r) => (finished = r));
  const maybeDone = (): void => {
    if (sent >= total && inFlight === 0) finished();
  };

  const send = (i: number): void => {
    inFlight++;
    const t0 = monoMs();
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: spec.path.replace('{i}', String(i % spec.keyCount)),
        agent,
        headers: { 'X-Vault-Token': spec.token, 'Content-Type': 'application/json', 'Content-Length': body.length },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const t1 = monoMs();
          inFlight--;
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            const raw = res.headers['x-vault-index'];
            const index = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : -1;
            acks.push([t1, index, t1 - t0]);
          } else {
            failed++;
          }
          maybeDone();
        });
      },
    );
    req.on('error', () => {
      inFlight--;
      failed++;
      maybeDone();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  };

  // Fire every write that is due; a tick that finds the window full counts the write late and sends it on a later tick.
  const tick = (): void => {
    const due = Math.min(total, Math.floor(((monoMs() - start) * spec.rate) / 1000) + 1);
    while (sent < due) {
      if (inFlight >= spec.maxInFlight) {
        late++;
        break;
      }
      send(sent++);
    }
    if (sent < total) setTimeout(tick, 1);
    else maybeDone();
  };
  tick();
  const deadline = setTimeout(finished, spec.seconds * 1000 + 15_000);
  await allDone;
  clearTimeout(deadline);
  agent.destroy();
  return { acks, sent, failed, late, seconds: (monoMs() - start) / 1000 };
}

if (process.send === undefined) {
  process.stderr.write('repl writer: start me with an IPC channel (scenarios/replication.ts)\n');
  process.exit(2);
}
process.once('message', (spec: WriterSpec) => {
  run(spec).then(
    (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
    (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }, () => process.exit(1)),
  );
});
