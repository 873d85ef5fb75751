/**
 * A few thousand malformed requests against a real server process: each gets a clear 4xx
 * (never a crash, a hang, a 5xx or a stack trace), and afterwards the server still serves
 * correct answers and the data written before is intact.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT = 'fuzz-root';
let server: ServerProcess;
let host: string;
let port: number;

before(async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const u = new URL(server.url);
  host = u.hostname;
  port = Number(u.port);
});
after(async () => {
  await server?.stop();
});

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = ['secret/data/a', 'secret/metadata/', 'sys/mounts/x', 'sys/unseal', 'sys/init', 'sys/mounts', 'secret/config', 'sys/remount', 'nope', 'secret/data/%', 'secret/data/%ff%fe', 'secret/data/../../sys/seal', 'secret//data', 'secret/data/%2e%2e/x', 'sys/generate-root/update'];
const BODIES = ['{', '[]', 'null', '"str"', '{"data": 5}', '{"data": {"a": 1}, "options": {"cas": "x"}}', '{"type": 7}', '{"config": "nope"}', '\u0000\u0001', '{"key": 12}', '{"versions": "a,b"}', '{"a":'.repeat(50), '1e999', '{"data":{"x":"\\ud800"}}'];
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'LIST', 'FOO', 'OPTIONS', 'G\u00e9T', 'TRACE'];

function rawRequest(payload: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, host);
    let data = '';
    const done = (): void => {
      sock.destroy();
      resolve(data);
    };
    const timer = setTimeout(done, 3000);
    sock.on('data', (d) => {
      data += d.toString('latin1');
      if (/\r\n\r\n/.test(data)) {
        clearTimeout(timer);
        done();
      }
    });
    sock.on('error', () => {
      clearTimeout(timer);
      done();
    });
    sock.on('close', () => {
      clearTimeout(timer);
      done();
    });
    sock.write(payload);
    sock.end();
  });
}

test('random malformed requests get 4xx answers and leave the server healthy', async () => {
  let r = await api(server.url, 'POST', 'secret/data/keep', { token: ROOT, body: { data: { v: 'intact' } } });
  assert.equal(r.status, 200);

  const rand = rng(42);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const deadline = Date.now() + 90_000;
  let sent = 0;
  const statuses = new Map<number, number>();
  for (let i = 0; i < 2500 && Date.now() < deadline; i++) {
    const kind = rand();
    if (kind < 0.7) {
      // Well-framed HTTP with bad content, through a raw socket so anything goes.
      const method = pick(METHODS);
      let path = pick(PATHS);
      if (rand() < 0.3) path += '/' + Array.from({ length: 1 + Math.floor(rand() * 8) }, () => String.fromCharCode(33 + Math.floor(rand() * 90))).join('');
      const body = Buffer.from(pick(BODIES), 'latin1');
      const bad = rand() < 0.2 ? Buffer.from([0xc3, 0x28, 0xff]) : Buffer.alloc(0);
      const fullBody = Buffer.concat([body, bad]);
      const token = rand() < 0.7 ? ROOT : 'junk';
      const head = `${method} /v1/${path} HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${token}\r\nContent-Type: ${rand() < 0.5 ? 'application/json' : 'application/merge-patch+json'}\r\nContent-Length: ${fullBody.length}\r\nConnection: close\r\n\r\n`;
      const resp = await rawRequest(Buffer.concat([Buffer.from(head, 'latin1'), fullBody]));
      const m = /^HTTP\/1\.1 (\d{3})/.exec(resp);
      assert.ok(m !== null, `no HTTP answer for ${method} /v1/${path}: ${JSON.stringify(resp.slice(0, 200))}`);
      const status = Number(m[1]);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(status < 500, `server error ${status} for ${method} /v1/${path} body=${JSON.stringify(fullBody.toString('latin1'))}: ${resp.slice(0, 400)}`);
      assert.doesNotMatch(resp, /at .*\.js:\d+/, 'stack trace leaked');
    } else {
      // Broken framing: garbage, truncated bodies, absurd headers.
      const garbage = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      const variants = [
        garbage,
        Buffer.from(`PUT /v1/secret/data/a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"data":`),
        Buffer.from(`GET /v1/${'a/'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
        Buffer.from(`GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20000)}\r\n\r\n`),
        Buffer.from(`POST /v1/secret/data/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`),
      ];
      const resp = await rawRequest(pick(variants));
      const m = /^HTTP\/1\.1 (\d{3})/.exec(resp);
      if (m !== null) assert.ok(Number(m[1]) < 500, `server error for broken framing: ${resp.slice(0, 200)}`);
    }
    sent++;
  }
  assert.ok(sent >= 1000, `only ${sent} requests sent in the time bound`);

  r = await api(server.url, 'GET', 'secret/data/keep', { token: ROOT });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.data.v, 'intact');
  r = await api(server.url, 'GET', 'sys/health');
  assert.equal(r.status, 200);
  assert.equal(server.proc.exitCode, null, 'server process exited');
});
