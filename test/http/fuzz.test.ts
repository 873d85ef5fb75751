/**
 * Fuzz: 3,000 malformed requests over raw sockets (garbage methods, bad percent-encoding,
 * invalid UTF-8 in path and body, huge headers, truncated bodies, broken chunking, random JSON,
 * pipelines mixing good and bad), from a seeded generator so failures reproduce. Afterwards the
 * server must answer normal requests correctly, and nothing may have escaped as an uncaught
 * exception or unhandled rejection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { echo, echoed, send, startTestServer, statusCodes, type TestServer } from './helpers.js';

const TOTAL = 3_000;
const CONCURRENCY = 48;
const PER_CONNECTION_MS = 1_500;
const OVERALL_MS = 45_000;

/** mulberry32: small, seedable PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly rand: () => number) {}
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  token(n: number): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-.^_|~';
    let s = '';
    for (let i = 0; i < n; i++) s += chars[this.int(chars.length)];
    return s;
  }
  /** A random JSON value, sometimes deep, sometimes with awkward strings. */
  json(depth = 0): unknown {
    const k = this.int(depth > 4 ? 5 : 8);
    switch (k) {
      case 0:
        return null;
      case 1:
        return this.rand() < 0.5;
      case 2:
        return this.pick([0, -1, 1e308, 3.14, 2 ** 53 + 1, -0]);
      case 3:
        return this.pick(['', 'x', '\u0000', '\ud83d\ude00', 'é', '"quoted"', '\\', '</script>', 'LIST /v1/x HTTP/1.1\r\n']);
      case 4:
        return this.token(this.int(20));
      case 5:
      case 6: {
        const o: Record<string, unknown> = {};
        for (let i = 0, n = this.int(5); i < n; i++) o[this.pick(['a', '__proto__', 'constructor', this.token(5)])] = this.json(depth + 1);
        return o;
      }
      default:
        return Array.from({ length: this.int(5) }, () => this.json(depth + 1));
    }
  }
  /** Break a JSON text in a random way (or not). */
  mutate(text: string): string {
    switch (this.int(6)) {
      case 0:
        return text.slice(0, this.int(text.length + 1));
      case 1: {
        const i = this.int(text.length + 1);
        return text.slice(0, i) + this.pick(['{', '}', '"', ',', ':', '\\', '\u0001', 'x']) + text.slice(i);
      }
      case 2:
        return `${text}${this.pick(['}', ' trailing', ',', ''])}`;
      default:
        return text;
    }
  }
}

type Mode = 'end' | 'abort' | 'linger';
interface Case {
  readonly chunks: Buffer[];
  readonly mode: Mode;
}

const HOST = 'Host: fuzz\r\n';

function request(method: string, target: string | Buffer, headers: string, body: Buffer | string = ''): Buffer {
  return Buffer.concat([
    Buffer.from(`${method} `, 'latin1'),
    typeof target === 'string' ? Buffer.from(target, 'latin1') : target,
    Buffer.from(` HTTP/1.1\r\n${HOST}${headers}\r\n`, 'latin1'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  ]);
}

function withLength(method: string, target: string, body: Buffer | string, extra = ''): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return request(method, target, `Content-Length: ${b.length}\r\n${extra}`, b);
}

function makeCase(g: Gen): Case {
  const paths = ['/v1/secret/foo', '/v1/sys/health', '/v1/boom', '/v1/secret/', '/', '/ui/', '/v1/a%2Fb', '/v1/x?list=true'];
  let payload: Buffer;
  switch (g.int(15)) {
    case 0: // garbage method token or bytes
      payload = g.rand() < 0.5
        ? request(g.token(1 + g.int(12)), g.pick(paths), '')
        : Buffer.concat([g.bytes(1 + g.int(10)), Buffer.from(` /v1/x HTTP/1.1\r\n${HOST}\r\n`)]);
      break;
    case 1: // bad percent-encoding
      payload = request(g.pick(['GET', 'LIST', 'DELETE']), g.pick(['/v1/a%', '/v1/a%z1', '/v1/%%%', '/v1/a%2', '/v1/%c3%28', '/v1/%ff%fe', '/v1/x?q=%ff', '/v1/x?%zz=1']), '');
      break;
    case 2: // invalid UTF-8 bytes straight in the path
      payload = request('GET', Buffer.concat([Buffer.from('/v1/'), g.bytes(1 + g.int(8))]), '');
      break;
    case 3: // huge headers
      payload = request('GET', '/v1/x', `X-Huge: ${'h'.repeat(10_000 + g.int(30_000))}\r\n`);
      break;
    case 4: { // truncated body
      const body = JSON.stringify(g.json());
      payload = request('PUT', '/v1/secret/foo', `Content-Length: ${body.length + 1 + g.int(100)}\r\n`, body);
      break;
    }
    case 5: // random (possibly broken) JSON, correctly framed
      payload = withLength(g.pick(['PUT', 'POST', 'DELETE']), g.pick(paths), g.mutate(JSON.stringify(g.json())));
      break;
    case 6: // invalid UTF-8 in the body
      payload = withLength('POST', '/v1/x', Buffer.concat([Buffer.from('{"a":"'), g.bytes(1 + g.int(40)), Buffer.from('"}')]));
      break;
    case 7: // broken chunked encoding
      payload = request('POST', '/v1/x', 'Transfer-Encoding: chunked\r\n', g.pick(['zz\r\nabc\r\n0\r\n\r\n', '5\r\nab', 'ffffffffffffffffff\r\n', '3\r\nabcdef\r\n0\r\n\r\n', '-1\r\n\r\n', '2\r\n{}\r\n0\r\n']));
      break;
    case 8: // random bytes
      payload = g.bytes(g.int(2_000));
      break;
    case 9: { // pipeline of good and bad requests
      const parts: Buffer[] = [];
      for (let i = 0, n = 2 + g.int(4); i < n; i++) {
        parts.push(
          g.pick([
            () => request('LIST', '/v1/secret/', ''),
            () => request('GET', '/v1/secret/foo?x=1', ''),
            () => withLength('PUT', '/v1/secret/foo', '{"LIST /v1/x HTTP/1.1":1}'),
            () => request('FROB', '/v1/x', ''),
            () => withLength('PATCH', '/v1/x', '{}', 'Content-Type: text/plain\r\n'),
            () => g.bytes(g.int(30)),
          ])(),
        );
      }
      payload = Buffer.concat(parts);
      break;
    }
    case 10: // methods and headers the shell treats specially
      payload = g.pick([
        () => withLength('PATCH', '/v1/x', g.mutate('{"a":1}'), `Content-Type: ${g.pick(['application/merge-patch+json', 'application/json', '', ';;;'])}\r\n`),
        () => request('HEAD', g.pick(paths), ''),
        () => request('GET', '/v1/x', `X-Vault-Wrap-TTL: ${g.pick(['5m', 'x', '-1', '99999999999999999999', '1h2'])}\r\n`),
        () => request('GET', '/v1/x', `Authorization: ${g.pick(['Bearer', 'Bearer ', 'bearer x', 'Basic', '\t'])}\r\n`),
        () => request('GET', '/v1/x?help=1', 'X-Vault-Token: t\r\n'),
      ])();
      break;
    case 11: // conflicting or malformed framing headers
      payload = request('POST', '/v1/x', g.pick(['Content-Length: 5\r\nContent-Length: 6\r\n', 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', 'Content-Length: -3\r\n', 'Content-Length: 1e3\r\n', 'Transfer-Encoding: gzip\r\n', 'X-Bad\r\n', 'X-A: b\rc\r\n', ' folded: x\r\n']), '{}');
      break;
    case 12: // broken request lines and versions
      payload = Buffer.from(g.pick(['GET /v1/x HTTP/9.9\r\n\r\n', 'GET /v1/x\r\n\r\n', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'GET  /v1/x HTTP/1.1\r\n\r\n', '\r\n\r\n\r\n', 'GET /v1/x HTTP/1.1\n\n', 'GET http://evil/v1/x HTTP/1.1\r\nHost: x\r\n\r\n', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', 'CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n']), 'latin1');
      break;
    case 13: // over the size limit
      payload = withLength('PUT', '/v1/x', JSON.stringify({ v: 'x'.repeat(5_000 + g.int(5_000)) }));
      break;
    default: // random query bytes on a valid request
      payload = request('GET', Buffer.concat([Buffer.from('/v1/secret/foo?'), g.bytes(g.int(50)).map((b) => (b === 0x20 || b === 0x0d || b === 0x0a ? 0x41 : b))]), '');
      break;
  }
  // Split the payload into 1-4 writes at random points.
  const cuts = Array.from({ length: g.int(4) }, () => g.int(payload.length + 1)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, payload.length]) {
    chunks.push(payload.subarray(prev, c));
    prev = c;
  }
  const r = g.rand();
  return { chunks, mode: r < 0.7 ? 'end' : r < 0.85 ? 'abort' : 'linger' };
}

/** Play one case; resolves with what the server sent, always within PER_CONNECTION_MS. */
function play(port: number, c: Case): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(received).toString('latin1'));
    };
    const timer = setTimeout(finish, PER_CONNECTION_MS);
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      if (c.mode === 'linger') setTimeout(finish, 20);
    });
    socket.on('connect', () => {
      const writeNext = (i: number): void => {
        if (socket.destroyed) return;
        if (i >= c.chunks.length) {
          if (c.mode === 'end') socket.end();
          else if (c.mode === 'abort') socket.destroy();
          else setTimeout(finish, 300);
          return;
        }
        socket.write(c.chunks[i]!);
        setImmediate(() => writeNext(i + 1));
      };
      writeNext(0);
    });
  });
}

describe('fuzzing the listener', () => {
  let s: TestServer;
  const escaped: unknown[] = [];
  const onUncaught = (err: unknown): void => {
    escaped.push(err);
  };
  before(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    s = await startTestServer({ maxRequestSize: 4_096, headersTimeoutMs: 1_000, requestTimeoutMs: 1_500, closeGraceMs: 500 });
    s.behave((req) => {
      if (req.path.includes('boom')) throw new Error('deliberate failure');
      return echo(req);
    });
  });
  after(async () => {
    await s.listener.close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  });

  it(`survives ${TOTAL} malformed requests and still answers correctly`, { timeout: OVERALL_MS + 10_000 }, async () => {
    const g = new Gen(prng(0xa7ca));
    const cases = Array.from({ length: TOTAL }, () => makeCase(g));
    const statuses = new Map<number, number>();
    const deadline = Date.now() + OVERALL_MS;
    let next = 0;
    let played = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length && Date.now() < deadline) {
        const c = cases[next++]!;
        const out = await play(s.listener.port, c);
        played++;
        for (const code of statusCodes(out)) statuses.set(code, (statuses.get(code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    assert.equal(played, TOTAL, 'every case was played within the time bound');
    assert.deepEqual(escaped, [], 'nothing escaped as an uncaught exception or unhandled rejection');

    // The generator reached the interesting answers.
    for (const code of [200, 400, 404, 405, 413, 415, 431]) assert.ok((statuses.get(code) ?? 0) > 0, `saw some ${code}: ${JSON.stringify([...statuses])}`);
    // The only 500s are the handler's deliberate failures, and only those were logged.
    for (const entry of s.log.errors) {
      assert.equal(entry.msg, 'internal error while handling request', JSON.stringify(entry));
      assert.match(JSON.stringify(entry.obj), /deliberate failure/);
    }

    // Normal service afterwards.
    const r = echoed(await send(s.listener.url, '/v1/secret/after?x=1', { headers: { 'X-Vault-Token': 'hvs.ok' } }));
    assert.deepEqual([r.operation, r.path, r.data, r.clientToken], ['read', 'secret/after', { x: '1' }, 'hvs.ok']);
    const l = echoed(await send(s.listener.url, '/v1/secret/', { method: 'LIST' }));
    assert.equal(l.operation, 'list');
    const w = echoed(await send(s.listener.url, '/v1/secret/foo', { method: 'PUT', body: '{"k":"v"}' }));
    assert.deepEqual(w.data, { k: 'v' });
  });
});
