/**
 * The socket device against a local TCP listener (and a unix socket): entries arrive as JSON
 * lines; when the collector is gone the request fails closed; when it is back the device
 * reconnects by itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { auditNode, pair, ROOT } from './harness.js';

interface Collector {
  readonly server: Server;
  readonly lines: Record<string, any>[];
  readonly port: number;
  close(): Promise<void>;
}

async function collector(listen: { port: number; host: string } | { path: string }): Promise<Collector> {
  const lines: Record<string, any>[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Record<string, any>);
        buf = buf.slice(i + 1);
      }
    });
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  const addr = server.address();
  return {
    server,
    lines,
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('socket device: entries stream to a TCP collector; fail closed while it is down; reconnects', async () => {
  const n = await auditNode();
  let c = await collector({ port: 0, host: '127.0.0.1' });
  const port = c.port;
  try {
    await n.call('update', 'sys/audit/socket', { type: 'socket', options: { address: `127.0.0.1:${port}`, socket_type: 'tcp', write_timeout: '1s' } });
    const id = randomUUID();
    await n.call('update', 'secret/data/s', { data: { token: 'sock-secret' } }, ROOT, { id });
    await until(() => pair(c.lines, id).response !== undefined, 'the response entry');
    const p = pair(c.lines, id);
    assert.equal(p.request!['request']['path'], 'secret/data/s');
    assert.equal(p.request!['request']['data']['data']['token'], (await n.call('update', 'sys/audit-hash/socket', { input: 'sock-secret' }))!.data!['hash']);
    assert.ok(!JSON.stringify(c.lines).includes('sock-secret'));

    await c.close();
    await assert.rejects(n.call('read', 'secret/data/s'), { status: 500, message: 'internal error' });

    c = await collector({ port, host: '127.0.0.1' });
    const again = randomUUID();
    await n.call('read', 'secret/data/s', {}, ROOT, { id: again });
    await until(() => pair(c.lines, again).response !== undefined, 'entries after reconnecting');
  } finally {
    await c.close();
    await n.close();
  }
});

test('socket device over a unix socket', async () => {
  const n = await auditNode();
  const path = join(n.dir, 'audit.sock');
  const c = await collector({ path });
  try {
    await n.call('update', 'sys/audit/unix', { type: 'socket', options: { address: path, socket_type: 'unix' } });
    const id = randomUUID();
    await n.call('read', 'sys/mounts', {}, ROOT, { id });
    await until(() => pair(c.lines, id).response !== undefined, 'the unix socket entry');
    assert.deepEqual((await n.call('read', 'sys/audit'))!.data!['unix/'], { type: 'socket', description: '', options: { address: path, socket_type: 'unix' }, local: false, path: 'unix/' });
  } finally {
    await c.close();
    await n.close();
  }
});
