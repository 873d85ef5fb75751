/**
 * Reading the server name from a real ClientHello (captured from Node's TLS client), and never
 * failing on anything else a cluster port may receive.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { test } from 'node:test';
import * as tls from 'node:tls';
import { HA_SERVER_NAME, serverNameOf } from '../../src/ha/client-hello.js';

/** The first bytes a TLS client sends, with or without SNI. */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          resolve(buf);
          s.destroy();
        }
      });
    });
  });
  const client = tls.connect({ host: '127.0.0.1', port, ...(servername !== undefined ? { servername } : {}), rejectUnauthorized: false });
  client.on('error', () => undefined);
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

test('the HA server name is read from a real ClientHello; none when the client sends none', async () => {
  const named = await clientHello(HA_SERVER_NAME);
  assert.equal(serverNameOf(named), HA_SERVER_NAME);
  // Connecting to an IP address (what replication secondaries do) sends no SNI.
  assert.equal(serverNameOf(await clientHello(undefined)), undefined);
  // Partial records wait for more bytes.
  assert.equal(serverNameOf(named.subarray(0, 3)), 'incomplete');
  assert.equal(serverNameOf(named.subarray(0, named.length - 1)), 'incomplete');
});

test('anything that is not a TLS ClientHello has no server name and never throws', () => {
  assert.equal(serverNameOf(Buffer.from('GET / HTTP/1.1\r\n\r\n')), undefined);
  assert.equal(serverNameOf(Buffer.alloc(0)), 'incomplete');
  // A handshake record claiming lengths past its end.
  const lying = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0xff, 0xff, 0xff, 0x03, 0x03]);
  assert.equal(serverNameOf(lying), undefined);
  for (let i = 0; i < 500; i++) {
    const b = randomBytes(5 + (i % 300));
    b[0] = 0x16;
    b.writeUInt16BE(b.length - 5, 3);
    const r = serverNameOf(b);
    assert.ok(r === undefined || typeof r === 'string');
  }
});
