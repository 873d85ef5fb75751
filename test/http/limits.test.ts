/**
 * Limits and robustness of the listener: body size, bad bodies, slow and vanishing clients,
 * timeouts, shutdown, start-up errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { startListener } from '../../src/http/listener.js';
import { echo, echoed, MemoryLogger, rawExchange, send, startTestServer, statusCodes, type TestServer } from './helpers.js';

describe('request bodies', () => {
  let s: TestServer;
  let url: string;
  before(async () => {
    s = await startTestServer({ maxRequestSize: 64 });
    url = s.listener.url;
  });
  after(() => s.listener.close());

  it('a body at the limit is accepted', async () => {
    const body = JSON.stringify({ v: 'x'.repeat(64 - 8) });
    assert.equal(Buffer.byteLength(body), 64);
    assert.equal((await send(url, '/v1/x', { method: 'PUT', body })).status, 200);
  });

  it('a Content-Length over the limit is 413 at once, and the connection is closed', async () => {
    const out = await rawExchange(s.listener.port, 'PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"a":', { waitMs: 3_000 });
    assert.deepEqual(statusCodes(out), [413]);
    assert.match(out, /Connection: close/i);
    assert.match(out, /\{"errors":\["http: request body too large"\]\}/);
  });

  it('a chunked body growing over the limit is cut off with 413 while the client is still sending', async () => {
    const socket = net.connect(s.listener.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('POST /v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    // Keep sending 32-byte chunks until the server answers (bounded).
    for (let i = 0; i < 200 && received === '' && !socket.destroyed; i++) {
      socket.write(`20\r\n${'a'.repeat(32)}\r\n`);
      await new Promise((r) => setTimeout(r, 5));
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 4_000)))]);
    clearTimeout(timer);
    socket.destroy();
    assert.deepEqual(statusCodes(received), [413]);
  });

  it('invalid JSON and non-object JSON are 400 with Vault text', async () => {
    const a = await send(url, '/v1/x', { method: 'POST', body: '{"a":' });
    assert.equal(a.status, 400);
    assert.deepEqual(a.json(), { errors: ['failed to parse JSON input: unexpected EOF'] });
    const b = await send(url, '/v1/x', { method: 'POST', body: '["a"]' });
    assert.equal(b.status, 400);
    assert.deepEqual(b.json(), { errors: ['failed to parse JSON input: json: cannot unmarshal array into Go value of type map[string]interface {}'] });
    const c = await send(url, '/v1/x', { method: 'POST', body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) });
    assert.equal(c.status, 400);
  });

  it('truncated bodies do not reach the handler', async () => {
    const before = s.seen.length;
    const out = await rawExchange(s.listener.port, 'PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{"a":"b"', { end: true, waitMs: 2_000 });
    assert.equal(s.seen.length, before);
    assert.ok(!out.includes('200 OK'));
  });
});

describe('limits configuration', () => {
  it('max_request_size 0 means 32 MiB; negative disables the limit', async () => {
    const zero = await startTestServer({ maxRequestSize: 0 });
    try {
      const big = JSON.stringify({ v: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal((await send(zero.listener.url, '/v1/x', { method: 'PUT', body: big })).status, 200);
      const out = await rawExchange(zero.listener.port, `PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: ${32 * 1024 * 1024 + 1}\r\n\r\n`, { waitMs: 2_000 });
      assert.deepEqual(statusCodes(out), [413]);
    } finally {
      await zero.listener.close();
    }
    const off = await startTestServer({ maxRequestSize: -1 });
    try {
      const big = JSON.stringify({ v: 'x'.repeat(64 * 1024) });
      assert.equal((await send(off.listener.url, '/v1/x', { method: 'PUT', body: big })).status, 200);
    } finally {
      await off.listener.close();
    }
  });
});

describe('connections', () => {
  it('oversized headers get 431; a slow client is cut off by the header timeout', async () => {
    const s = await startTestServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    try {
      const huge = await rawExchange(s.listener.port, `GET /v1/x HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(40_000)}\r\n\r\n`, { waitMs: 2_000 });
      assert.deepEqual(statusCodes(huge), [431]);
      const started = Date.now();
      const slow = await rawExchange(s.listener.port, 'GET /v1/x HTTP/1.1\r\nHost: x\r\n', { waitMs: 4_000 });
      assert.ok(Date.now() - started < 3_500, 'the server closed the slow connection');
      assert.deepEqual(statusCodes(slow), [408]);
      assert.equal((await send(s.listener.url, '/v1/x')).status, 200);
    } finally {
      await s.listener.close();
    }
  });

  it('idle keep-alive connections are closed; a slow handler outlives the inactivity timeout', async () => {
    const s = await startTestServer({ idleTimeoutMs: 100, inactivityTimeoutMs: 200 });
    try {
      s.behave(async (req) => {
        await new Promise((r) => setTimeout(r, req.path === 'slow' ? 500 : 0));
        return echo(req);
      });
      const started = Date.now();
      const out = await rawExchange(s.listener.port, 'GET /v1/slow HTTP/1.1\r\nHost: x\r\n\r\n', { waitMs: 4_000 });
      const elapsed = Date.now() - started;
      assert.deepEqual(statusCodes(out), [200], 'answered although the handler took longer than the inactivity timeout');
      // Node adds a one-second grace to the keep-alive timeout it announces.
      assert.ok(elapsed >= 500 && elapsed < 3_000, `idle connection closed after ${elapsed} ms`);
    } finally {
      await s.listener.close();
    }
  });

  it('a client that disconnects before its answer is harmless', async () => {
    const s = await startTestServer();
    try {
      let finished = 0;
      s.behave(async (req) => {
        await new Promise((r) => setTimeout(r, 100));
        finished++;
        return echo(req);
      });
      for (let i = 0; i < 5; i++) {
        const socket = net.connect(s.listener.port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('connect', () => {
          socket.write('GET /v1/slow HTTP/1.1\r\nHost: x\r\n\r\n');
          setTimeout(() => socket.destroy(), 10);
        });
        // Half a body, then gone.
        const partial = net.connect(s.listener.port, '127.0.0.1');
        partial.on('error', () => undefined);
        partial.on('connect', () => {
          partial.write('PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"a":');
          setTimeout(() => partial.destroy(), 10);
        });
      }
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(finished, 5);
      s.behave(echo);
      assert.equal(echoed(await send(s.listener.url, '/v1/after')).path, 'after');
      assert.equal(s.log.errors.length, 0, s.log.text());
    } finally {
      await s.listener.close();
    }
  });

  it('close() closes idle keep-alive connections at once and waits for in-flight requests', async () => {
    const s = await startTestServer({ closeGraceMs: 3_000 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const res = await send(s.listener.url, '/v1/x', { agent });
    assert.equal(res.status, 200);
    const sockets = Object.values(agent.freeSockets).flat();
    assert.equal(sockets.length, 1, 'one idle keep-alive socket');
    const idleClosed = new Promise<void>((r) => sockets[0]!.once('close', () => r()));
    // One request still running while close() is called.
    s.behave(async (req) => {
      await new Promise((r) => setTimeout(r, 200));
      return echo(req);
    });
    const inflight = send(s.listener.url, '/v1/slow');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await s.listener.close();
    const elapsed = Date.now() - started;
    await idleClosed;
    const answer = await inflight;
    assert.equal(answer.status, 200, 'the in-flight request was answered');
    assert.ok(elapsed < 2_000, `close took ${elapsed} ms`);
    agent.destroy();
    await assert.rejects(send(s.listener.url, '/v1/x'));
  });

  it('close() destroys connections that outlive the grace period', async () => {
    const s = await startTestServer({ closeGraceMs: 200 });
    s.behave(() => new Promise(() => undefined)); // never answers
    const pending = send(s.listener.url, '/v1/hang').catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await s.listener.close();
    assert.ok(Date.now() - started < 1_500);
    assert.ok((await pending) instanceof Error);
  });

  it('listens on an IPv6 literal when the machine has ::1', async (t) => {
    const log = new MemoryLogger();
    let l;
    try {
      l = await startListener({ address: '[::1]:0', tlsDisable: true, maxRequestSize: 1024 }, { handle: async (req) => echo(req) }, log);
    } catch (err) {
      t.skip(`no IPv6 loopback: ${(err as Error).message}`);
      return;
    }
    try {
      assert.equal(l.address, '::1');
      assert.equal(l.url, `http://[::1]:${l.port}`);
      const r = echoed(await send(l.url, '/v1/six'));
      assert.equal(r.path, 'six');
      assert.equal(r.remoteAddr, '::1');
    } finally {
      await l.close();
    }
  });

  it('a dual-stack listener reports IPv4 clients without the ::ffff: prefix', async (t) => {
    let l;
    try {
      l = await startListener({ address: '[::]:0', tlsDisable: true, maxRequestSize: 1024 }, { handle: async (req) => echo(req) }, new MemoryLogger());
    } catch (err) {
      t.skip(`no IPv6: ${(err as Error).message}`);
      return;
    }
    try {
      const r = echoed(await send(`http://127.0.0.1:${l.port}`, '/v1/four'));
      assert.equal(r.remoteAddr, '127.0.0.1');
    } finally {
      await l.close();
    }
  });

  it('start-up errors are clear', async () => {
    const log = new MemoryLogger();
    const handler = { handle: async () => undefined };
    await assert.rejects(startListener({ address: 'nope', tlsDisable: true, maxRequestSize: 1 }, handler, log), /invalid address "nope"/);
    const first = await startListener({ address: '127.0.0.1:0', tlsDisable: true, maxRequestSize: 1 }, handler, log);
    try {
      await assert.rejects(
        startListener({ address: `127.0.0.1:${first.port}`, tlsDisable: true, maxRequestSize: 1 }, handler, log),
        /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
    await assert.rejects(startListener({ address: '127.0.0.1:0', tlsDisable: false, maxRequestSize: 1 }, handler, log), /tls_cert_file and tls_key_file are required/);
  });
});
