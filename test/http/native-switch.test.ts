/**
 * Connections run on node's native parser until a method node cannot parse (LIST) arrives;
 * the connection then switches to the framer for good and the request is replayed. These
 * tests drive one raw keep-alive connection through that switch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { echo, startTestServer, statusCodes, type TestServer } from './helpers.js';

/** One raw connection: write, then collect what arrives until `count` responses are complete. */
class RawConnection {
  private readonly socket: net.Socket;
  private received = '';
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.received += d;
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Send `raw` and wait until `count` more responses (with their bodies) arrived, or 2 s. */
  async exchange(raw: string, count = 1): Promise<string> {
    const start = this.received.length;
    this.socket.write(raw);
    const deadline = Date.now() + 2_000;
    const complete = (): boolean => responses(this.received.slice(start)) >= count;
    while (!complete() && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.received.slice(start);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Complete responses in `raw` (every answer here carries a Content-Length or is a 204). */
function responses(raw: string): number {
  let n = 0;
  let pos = 0;
  for (;;) {
    const head = raw.indexOf('\r\n\r\n', pos);
    if (head === -1) return n;
    const length = /content-length: (\d+)/i.exec(raw.slice(pos, head));
    const end = head + 4 + (length === null ? 0 : Number(length[1]));
    if (end > raw.length) return n;
    n++;
    pos = end;
  }
}

function bodies(raw: string): { operation: string; path: string }[] {
  return [...raw.matchAll(/\r\n\r\n(\{.*?\})(?=HTTP\/1\.1|$)/gs)].map((m) => (JSON.parse(m[1]!) as { data: { operation: string; path: string } }).data);
}

describe('native connections switch to the framer on LIST', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    s.behave(echo);
  });
  after(() => s.listener.close());

  it('a keep-alive connection serves GET natively, then LIST, then both again', async () => {
    const c = new RawConnection(s.listener.port);
    try {
      const first = await c.exchange('GET /v1/a HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.deepEqual(statusCodes(first), [200]);
      const list = await c.exchange('LIST /v1/b HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.deepEqual(statusCodes(list), [200]);
      assert.deepEqual(bodies(list), [{ ...bodies(list)[0]!, operation: 'list', path: 'b/' }]);
      const more = await c.exchange('GET /v1/c HTTP/1.1\r\nHost: x\r\n\r\nLIST /v1/d/ HTTP/1.1\r\nHost: x\r\n\r\n', 2);
      assert.deepEqual(
        bodies(more).map((b) => [b.operation, b.path]),
        [
          ['read', 'c'],
          ['list', 'd/'],
        ],
      );
      assert.equal(c.closed, false);
    } finally {
      c.close();
    }
  });

  it('the alias node parses (SOURCE) is 405 whether the connection is native or framed', async () => {
    const c = new RawConnection(s.listener.port);
    try {
      assert.deepEqual(statusCodes(await c.exchange('SOURCE /v1/a HTTP/1.1\r\nHost: x\r\n\r\n')), [405]);
      assert.deepEqual(statusCodes(await c.exchange('LIST /v1/a HTTP/1.1\r\nHost: x\r\n\r\n')), [200]);
      assert.deepEqual(statusCodes(await c.exchange('SOURCE /v1/a HTTP/1.1\r\nHost: x\r\n\r\n')), [405]);
      assert.deepEqual(statusCodes(await c.exchange('FROB /v1/a HTTP/1.1\r\nHost: x\r\n\r\n')), [405]);
    } finally {
      c.close();
    }
  });

  it('a switched connection is not cut off by the header timeout of the parser it left behind', async () => {
    const c = new RawConnection(s.listener.port);
    try {
      assert.deepEqual(statusCodes(await c.exchange('LIST /v1/a HTTP/1.1\r\nHost: x\r\n\r\n')), [200]);
      // Well past headersTimeout (300 ms) and node's check interval.
      await new Promise((r) => setTimeout(r, 1_200));
      assert.equal(c.closed, false);
      assert.deepEqual(statusCodes(await c.exchange('GET /v1/b HTTP/1.1\r\nHost: x\r\n\r\n')), [200]);
    } finally {
      c.close();
    }
  });

  it('the header timeout still applies after the switch', async () => {
    const c = new RawConnection(s.listener.port);
    try {
      assert.deepEqual(statusCodes(await c.exchange('LIST /v1/a HTTP/1.1\r\nHost: x\r\n\r\n')), [200]);
      const slow = await c.exchange('GET /v1/b HTTP/1.1\r\nHost: x\r\n');
      assert.equal(statusCodes(slow)[0], 408);
    } finally {
      c.close();
    }
  });

  it('a request answered before its body arrived makes a later LIST a plain 400 (its start is unknown)', async () => {
    const c = new RawConnection(s.listener.port);
    try {
      // A path outside /v1/ is answered without reading the body.
      const early = await c.exchange('POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n');
      assert.deepEqual(statusCodes(early), [404]);
      const rest = await c.exchange('0123456789LIST /v1/a HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.deepEqual(statusCodes(rest), [400]);
    } finally {
      c.close();
    }
  });
});
