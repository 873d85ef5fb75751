/**
 * The bench's wrk driver (bench/lib/wrk.ts) against a real node:http server on 127.0.0.1: the
 * requests it sends (method, headers, body, the "{i}" key sequence), the request cap, the
 * SIGINT stop at a fractional duration, and how it counts failed answers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { LoadSpec } from '../../bench/lib/load-spec.js';
import { runWrkLoad, wrkAvailable } from '../../bench/lib/wrk.js';

const present = wrkAvailable();
if (!present) {
  if (process.env['CI'] === 'true') throw new Error('wrk is not installed (CI=true: the bench driver test must run; scripts/install-test-deps.sh installs it)');
  process.stderr.write('\n*** bench wrk driver test SKIPPED: wrk is not installed (scripts/install-test-deps.sh) ***\n\n');
}

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly token: string | undefined;
  readonly body: string;
}

/** A server that records every request and fails those for key 7 with a 500. */
async function recordingServer(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const token = req.headers['x-vault-token'];
      seen.push({ method: req.method ?? '', url: req.url ?? '', token: typeof token === 'string' ? token : undefined, body });
      res.statusCode = req.url?.endsWith('/w7') === true ? 500 : 200;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** The key sequence of the autocannon worker (bench/lib/load-worker.ts), which wrk's script must repeat. */
function keySequence(count: number, n: number): number[] {
  let x = 0x9e3779b9 >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.push(x % count);
  }
  return out;
}

function counts(keys: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

test('bench wrk driver: templated POSTs, the request cap and failed answers', { skip: present ? false : 'wrk not installed' }, async () => {
  const { server, url, seen } = await recordingServer();
  try {
    const body = '{"data":{"a":"quote \\" and \\\\ and é"}}';
    const spec: LoadSpec = {
      url,
      path: '/v1/secret/data/app/w{i}',
      method: 'POST',
      headers: { 'X-Vault-Token': 'tok-123', 'Content-Type': 'application/json' },
      body,
      keyCount: 50,
      connections: 4,
      warmupSeconds: 0,
      durationSeconds: 3,
      maxRequests: 300,
    };
    const r = await runWrkLoad(spec);
    // Capped: at most the cap plus what was already in flight on each connection.
    assert.ok(seen.length >= 300 && seen.length <= 300 + spec.connections, `server saw ${seen.length} requests`);
    assert.ok(r.seconds > 0 && r.seconds < 2.5, `a capped run reports when it stopped, not its duration: ${r.seconds} s`);
    for (const s of seen) {
      assert.equal(s.method, 'POST');
      assert.equal(s.token, 'tok-123');
      assert.equal(s.body, body);
      assert.match(s.url, /^\/v1\/secret\/data\/app\/w\d+$/);
    }
    // The keys are the worker's sequence: every key seen at most as often as in its first requests.
    const expected = counts(keySequence(50, seen.length + spec.connections));
    for (const [key, n] of counts(seen.map((s) => Number(/w(\d+)$/.exec(s.url)?.[1])))) {
      assert.ok(n <= (expected.get(key) ?? 0), `key ${key} sent ${n} times, the sequence has it ${expected.get(key) ?? 0} times`);
    }
    const failed = seen.filter((s) => s.url.endsWith('/w7')).length;
    assert.ok(failed > 0, 'the sequence reached key 7');
    assert.ok(r.non2xx <= failed && r.non2xx >= failed - spec.connections, `non2xx ${r.non2xx}, server answered ${failed} with 500`);
    assert.ok(r.ok > 0 && r.ok + r.non2xx <= seen.length);
    assert.equal(r.errors, 0);
    assert.ok(r.rps > 0 && r.p50 > 0 && r.p99 >= r.p50);
  } finally {
    server.close();
  }
});

test('bench wrk driver: a fixed GET for a fractional duration, warm-up first', { skip: present ? false : 'wrk not installed' }, async () => {
  const { server, url, seen } = await recordingServer();
  try {
    let atMeasuring = -1;
    const r = await runWrkLoad(
      { url, path: '/v1/secret/data/app/hot', method: 'GET', headers: { 'X-Vault-Token': 'root' }, connections: 2, warmupSeconds: 0.3, durationSeconds: 0.7, maxRequests: 1_000_000 },
      () => (atMeasuring = seen.length),
    );
    assert.ok(atMeasuring > 0, 'the warm-up sent requests before the measured part');
    assert.ok(r.seconds > 0.5 && r.seconds < 1.2, `stopped at its fractional duration: ${r.seconds} s`);
    assert.ok(r.ok > 0 && r.non2xx === 0);
    assert.ok(seen.length >= atMeasuring + r.ok);
    assert.ok(seen.every((s) => s.method === 'GET' && s.url === '/v1/secret/data/app/hot' && s.token === 'root' && s.body === ''));
  } finally {
    server.close();
  }
});

test('bench wrk driver: refuses a target off loopback', async () => {
  await assert.rejects(
    runWrkLoad({ url: 'http://10.0.0.1:8200', path: '/', method: 'GET', headers: {}, connections: 1, warmupSeconds: 0, durationSeconds: 1, maxRequests: 1 }),
    /non-loopback/,
  );
});
