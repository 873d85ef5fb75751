/**
 * The platform baseline: a bare node:http server in its own process answering every request
 * with one fixed JSON body. Run as `node baseline-server.js <bodyBytes> [workUs]`; prints
 * "baseline listening <port>" once bound to 127.0.0.1 on an ephemeral port.
 *
 * With `workUs`, each request first does a fixed amount of CPU work, calibrated at start to
 * take that many microseconds on an idle core: the write-latency floor (scenarios/write-floor.ts).
 * Fixed work, not a timed spin, so a busy or throttled host slows it as it slows a real server.
 */
import { createServer } from 'node:http';
import { fixedJsonBody } from './payload.js';

const body = fixedJsonBody(Number(process.argv[2]));
const workUs = Number(process.argv[3] ?? 0);

/** A loop V8 cannot fold away: xorshift steps, the result kept. */
let sink = 1;
function work(steps: number): void {
  let x = sink | 1;
  for (let i = 0; i < steps; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  sink = x;
}

/** Steps taking `us` microseconds: the fastest of several timed tries (the least disturbed). */
function calibrate(us: number): number {
  if (us <= 0) return 0;
  const probe = 2_000_000;
  work(probe); // optimised before timing
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    work(probe);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000);
  }
  return Math.max(1, Math.round((probe * us) / best));
}

const steps = calibrate(workUs);
const server = createServer((req, res) => {
  // Drain any request body so keep-alive connections stay usable, as a real server must.
  req.resume();
  req.on('end', () => {
    if (steps > 0) work(steps);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': body.length,
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 300_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('baseline: no TCP address');
  process.stdout.write(`baseline listening ${addr.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
