/**
 * The cluster channel's framing (src/replication/frame-rpc.ts): the decoder on its own, then
 * over real mutual-TLS sockets on 127.0.0.1: calls multiplexed and answered out of order, a
 * timeout that spares the other calls, oversized frames and garbage from either side closing
 * the connection, answers and requests larger than one TCP chunk, and ALPN refusals.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/util/logger.js';
import { ReplicationCa, type IssuedCert } from '../../src/replication/ca.js';
import { ClusterClient, ClusterListener, type ClusterServeMaterial } from '../../src/replication/cluster-tls.js';
import { ALPN_PROTOCOL, encodeFrame, FRAME_ERROR, FRAME_REQUEST, FRAME_RESPONSE, FrameDecoder, FrameProtocolError, type Frame } from '../../src/replication/frame-rpc.js';
import { RpcError, type RpcHandler } from '../../src/replication/transport.js';

const CLUSTER = 'c0ffee00-0000-4000-8000-0000000000f1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('frame decoder', () => {
  const frames = [encodeFrame(1, FRAME_REQUEST, '{"a":1}', 1 << 20, 'merkle.root'), encodeFrame(7, FRAME_RESPONSE, '{"é":"ü"}', 1 << 20), encodeFrame(0xffffffff, FRAME_ERROR, '', 1 << 20)];
  const all = Buffer.concat(frames);

  it('reassembles frames however the bytes are split', () => {
    for (const step of [1, 2, 5, 9, 13, all.length]) {
      const d = new FrameDecoder(1 << 20);
      const got: Frame[] = [];
      for (let i = 0; i < all.length; i += step) d.push(all.subarray(i, i + step), (f) => got.push({ ...f, payload: Buffer.from(f.payload) }));
      assert.deepEqual(
        got.map((f) => [f.id, f.kind, f.payload.toString('latin1')]),
        [
          [1, FRAME_REQUEST, `\x0bmerkle.root{"a":1}`],
          [7, FRAME_RESPONSE, Buffer.from('{"é":"ü"}').toString('latin1')],
          [0xffffffff, FRAME_ERROR, ''],
        ],
        `step ${step}`,
      );
    }
  });

  it('refuses a frame over its limit from the header alone, and unknown kinds', () => {
    const big = Buffer.alloc(9);
    big.writeUInt32BE(1025, 0);
    big[8] = FRAME_REQUEST;
    assert.throws(() => new FrameDecoder(1024).push(big, () => undefined), (e: unknown) => e instanceof FrameProtocolError && /1025 bytes exceeds the limit of 1024/.test(e.message));
    assert.throws(() => new FrameDecoder(1024).push(Buffer.from('GET / HTTP/1.1\r\n'), () => undefined), /unknown frame kind/);
    assert.throws(() => encodeFrame(1, FRAME_RESPONSE, 'x'.repeat(1025), 1024), FrameProtocolError);
  });
});

describe('frames over mutual TLS', () => {
  let ca: ReplicationCa;
  let server: IssuedCert;
  let clientCert: IssuedCert;
  let listener: ClusterListener;
  let logText = '';
  let connections = 0;
  const handled: string[] = [];
  /** Per-test behaviour of the primary's handler. */
  let behave: (method: string, body: Record<string, unknown>) => Promise<unknown> = async (_m, body) => ({ echoed: body });

  const handler: RpcHandler = {
    handle(_peer, method, body) {
      handled.push(method);
      return behave(method, body as Record<string, unknown>);
    },
  };
  const material = (): ClusterServeMaterial => ({
    clusterId: CLUSTER,
    caPem: ca.cert.certPem,
    server,
    handler,
    admit: (id) => ({ ok: true, peer: { secondaryId: id } }),
  });
  const hostPort = (): { host: string; port: number } => ({ host: listener.address.split(':')[0]!, port: Number(listener.address.split(':')[1]) });
  const client = (timeoutMs = 3000, address = listener.address): ClusterClient =>
    new ClusterClient({ address, caPem: ca.cert.certPem, client: clientCert, clusterId: CLUSTER, clock: systemClock, timeoutMs });
  async function logged(re: RegExp): Promise<void> {
    for (let i = 0; i < 100 && !re.test(logText); i++) await sleep(20);
    assert.match(logText, re);
  }
  async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof RpcError, `expected RpcError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      if (re !== undefined) assert.match(err.message, re);
      return true;
    });
  }
  /** An authenticated raw connection speaking our ALPN: what it sends, and whether the server closed it. */
  function raw(send: Buffer): Promise<{ received: Buffer; closed: boolean }> {
    return new Promise((resolve) => {
      const s = tls.connect({ ...hostPort(), ca: ca.cert.certPem, cert: clientCert.certPem, key: clientCert.keyPem, ALPNProtocols: [ALPN_PROTOCOL], checkServerIdentity: () => undefined });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        s.destroy();
        resolve({ received: Buffer.concat(chunks), closed: false });
      }, 1000);
      s.on('secureConnect', () => s.write(send));
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('error', () => undefined);
      s.on('close', () => {
        clearTimeout(timer);
        resolve({ received: Buffer.concat(chunks), closed: true });
      });
    });
  }
  /** A TLS server with the cluster's certificate that answers every request with `reply`. */
  async function fakePrimary(reply: (frame: Frame) => Buffer): Promise<{ address: string; close(): void }> {
    const srv = tls.createServer({ key: server.keyPem, cert: server.certPem, ca: ca.cert.certPem, requestCert: true, minVersion: 'TLSv1.3', ALPNProtocols: [ALPN_PROTOCOL] }, (s) => {
      const d = new FrameDecoder(1 << 26);
      s.on('error', () => undefined);
      s.on('data', (c: Buffer) => d.push(c, (f) => s.write(reply(f))));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return { address: `127.0.0.1:${(srv.address() as net.AddressInfo).port}`, close: () => srv.close() };
  }

  before(async () => {
    const now = Date.now();
    ca = await ReplicationCa.create(CLUSTER, now);
    server = await ca.issueServerCert(now);
    clientCert = await ca.issueClientCert(now, 'us-east');
    listener = await ClusterListener.listen('127.0.0.1:0', createLogger({ out: { write: (s: string) => void (logText += s) }, level: 'debug' }));
    // The demux hook sees every accepted TCP connection: count them, take none.
    listener.setDemux(async () => {
      connections++;
      return false;
    });
    listener.serve(material());
  });

  after(async () => {
    await listener.close();
  });

  it('multiplexes many calls on one connection, answered out of order', async () => {
    const c = client();
    const order: number[] = [];
    behave = async (_m, body) => {
      const page = body['page'] as number;
      await sleep((page * 7) % 50);
      order.push(page);
      return { page };
    };
    try {
      await c.call('merkle.root', {});
      const before = connections;
      const pages = Array.from({ length: 200 }, (_, i) => i);
      const answers = await Promise.all(pages.map((page) => c.call('merkle.subpages', { page })));
      assert.deepEqual(
        answers.map((a) => (a as unknown as { page: number }).page),
        pages,
      );
      assert.notDeepEqual(order, pages, 'the handler finished them out of order');
      assert.equal(connections, before, 'all on the one connection');
    } finally {
      c.close();
    }
  });

  it('times one call out while the others on the connection succeed; the next call dials anew', async () => {
    const c = client(400);
    let releaseSlow!: () => void;
    let releasePoll!: () => void;
    behave = async (method) => {
      if (method === 'merkle.root') await new Promise<void>((r) => (releaseSlow = r));
      if (method === 'wal.fetch') await new Promise<void>((r) => (releasePoll = r));
      return { method };
    };
    try {
      await c.call('merkle.subpages', { page: 0 });
      const before = connections;
      const seen = handled.length;
      const slow = c.call('merkle.root', {});
      // A long poll's deadline is the timeout plus its waitMs: it outlives the slow call's.
      const poll = c.call('wal.fetch', { after: 0, max: 1, waitMs: 5000, epoch: '' });
      const t0 = Date.now();
      while (handled.length < seen + 2) await sleep(5);
      // Answered while the slow call waits: the primary is alive, only slow with that one call.
      assert.deepEqual(await c.call('merkle.subpages', { page: 1 }), { method: 'merkle.subpages' });
      await rejects(slow, 'unavailable', /merkle\.root timed out after 400 ms/);
      assert.ok(Date.now() - t0 < 1500);
      // The next call goes to a fresh connection; the long poll still completes on the old one.
      assert.deepEqual(await c.call('merkle.subpages', { page: 2 }), { method: 'merkle.subpages' });
      assert.equal(connections, before + 1);
      releasePoll();
      assert.deepEqual(await poll, { method: 'wal.fetch' });
    } finally {
      releaseSlow?.();
      releasePoll?.();
      c.close();
    }
  });

  it('a silent connection is dropped on timeout with every call on it', async () => {
    const c = client(300);
    let release!: () => void;
    behave = () => new Promise((r) => (release = () => r({})));
    try {
      const a = c.call('merkle.root', {});
      const poll = c.call('wal.fetch', { after: 0, max: 1, waitMs: 5000, epoch: '' });
      await rejects(a, 'unavailable', /timed out after 300 ms/);
      await rejects(poll, 'unavailable', /the primary stopped answering/);
    } finally {
      release?.();
      c.close();
    }
  });

  it('carries a 5 MiB answer and a 5 MiB request whole', async () => {
    const blob = 'abcdefghij'.repeat(512 * 1024);
    behave = async (_m, body) => ({ blob, got: typeof body['request'] === 'object' ? JSON.stringify(body['request']).length : 0 });
    const c = client();
    try {
      const r = (await c.call('forward', { request: { path: 'secret/x', data: { v: blob } } as never, auth: {} })) as unknown as { blob: string; got: number };
      assert.equal(r.blob.length, blob.length);
      assert.ok(r.blob === blob);
      assert.ok(r.got > 5 * 1024 * 1024);
    } finally {
      c.close();
    }
  });

  it('refuses to send a request over the limit, and keeps the connection', async () => {
    behave = async () => ({ ok: true });
    const c = client();
    try {
      await rejects(c.call('forward', { request: { data: { v: 'x'.repeat(34 * 1024 * 1024) } } as never, auth: {} }), 'bad-request', /exceeds the limit/);
      assert.deepEqual(await c.call('merkle.root', {}), { ok: true });
    } finally {
      c.close();
    }
  });

  it('closes a connection that announces an oversized frame, before reading it', async () => {
    const count = handled.length;
    const header = Buffer.alloc(9);
    header.writeUInt32BE(40 * 1024 * 1024, 0);
    header.writeUInt32BE(1, 4);
    header[8] = FRAME_REQUEST;
    const r = await raw(header);
    assert.equal(r.closed, true);
    assert.equal(r.received.length, 0);
    await logged(/connection closed: protocol error.*secondary_id=us-east.*frame of 41943040 bytes exceeds the limit of 34603008/);
    assert.equal(handled.length, count);
  });

  it('closes a connection that sends garbage; a malformed body is only a bad request', async () => {
    const count = handled.length;
    const r = await raw(Buffer.from('GET /arca/rpc/v1/merkle.root HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(r.closed, true);
    await logged(/connection closed: protocol error.*unknown frame kind/);
    // A well-framed request whose JSON is broken gets an error answer on a connection that stays open.
    const answer = await raw(Buffer.concat([encodeFrame(5, FRAME_REQUEST, '{nope', 1 << 20, 'merkle.root'), encodeFrame(6, FRAME_REQUEST, '{}', 1 << 20, 'no.such')]));
    assert.equal(answer.closed, false);
    const got: Frame[] = [];
    new FrameDecoder(1 << 20).push(answer.received, (f) => got.push(f));
    assert.deepEqual(
      got.map((f) => [f.id, f.kind, (JSON.parse(f.payload.toString()) as { code: string }).code]).sort(),
      [
        [5, FRAME_ERROR, 'bad-request'],
        [6, FRAME_ERROR, 'unknown-method'],
      ],
    );
    assert.equal(handled.length, count);
  });

  it('the client drops a primary that sends an oversized frame or garbage', async () => {
    const huge = await fakePrimary(() => {
      const h = Buffer.alloc(9);
      h.writeUInt32BE(300 * 1024 * 1024, 0);
      h[8] = FRAME_RESPONSE;
      return h;
    });
    const c1 = client(3000, huge.address);
    const noise = await fakePrimary(() => Buffer.from('\x00\x00\x00\x02\x00\x00\x00\x01\x09zz'));
    const c2 = client(3000, noise.address);
    try {
      await rejects(c1.call('merkle.root', {}), 'unavailable', /protocol error: frame of 314572800 bytes exceeds the limit/);
      await rejects(c2.call('merkle.root', {}), 'unavailable', /protocol error: unknown frame kind 9/);
    } finally {
      c1.close();
      c2.close();
      huge.close();
      noise.close();
    }
  });

  it('closing the client fails its calls in flight', async () => {
    behave = () => new Promise(() => undefined);
    const c = client(10_000);
    const seen = handled.length;
    const pending = c.call('wal.fetch', { after: 0, max: 1, waitMs: 30_000, epoch: '' });
    while (handled.length === seen) await sleep(5);
    c.close();
    await rejects(pending, 'unavailable', /cluster link is closed/);
    await rejects(c.call('merkle.root', {}), 'unavailable', /cluster link is closed/);
  });

  it('names the protocol with ALPN: other protocols fail the handshake, no ALPN is refused', async () => {
    const attempt = (alpn: string[] | undefined): Promise<string> =>
      new Promise((resolve) => {
        const s = tls.connect({ ...hostPort(), ca: ca.cert.certPem, cert: clientCert.certPem, key: clientCert.keyPem, ALPNProtocols: alpn, checkServerIdentity: () => undefined });
        s.on('secureConnect', () => s.write(encodeFrame(1, FRAME_REQUEST, '{}', 1024, 'merkle.root')));
        s.on('data', () => resolve('answered'));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        s.on('close', () => resolve('closed'));
      });
    const count = handled.length;
    assert.equal(await attempt(['h2']), 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    await logged(/TLS handshake refused.*the client does not speak arca-repl\/1 \(ALPN\)/);
    assert.notEqual(await attempt(undefined), 'answered');
    await logged(/connection refused.*the client does not speak arca-repl\/1 \(no ALPN\)/);
    assert.equal(handled.length, count);
  });

  it('the client fails clearly against a server speaking HTTP/2', async () => {
    const h2 = http2.createSecureServer({ key: server.keyPem, cert: server.certPem, minVersion: 'TLSv1.3' });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    const c = client(3000, `127.0.0.1:${(h2.address() as net.AddressInfo).port}`);
    try {
      await rejects(c.call('merkle.root', {}), 'unavailable', /does not speak arca-repl\/1/);
    } finally {
      c.close();
      h2.close();
    }
  });
});
