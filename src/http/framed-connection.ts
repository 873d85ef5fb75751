/**
 * Runs a connection's incoming bytes through a RequestFramer (see request-framer.ts for why)
 * before node's HTTP parser sees them, without putting another stream between the socket and
 * node's HTTP machinery: node's own 'data' listener on the socket is replaced by one that
 * transforms each chunk and then calls it. Adding a 'data' listener is the documented way to
 * make node's server read the socket in JavaScript instead of natively, so node keeps every
 * other part of the connection (writes, pausing, timeouts, TLS state) on the real socket.
 *
 * A connection node is done with lingers (see `lingeringDestroySoon`).
 */
import type { Socket } from 'node:net';
import { RequestFramer } from './request-framer.js';

/** How long a closing connection keeps draining client bytes before it is torn down. */
const LINGER_MS = 2_000;

type DataListener = (chunk: Buffer) => void;

/**
 * Hand `socket` to node's HTTP connection listener (`startHttp`), then interpose the framer.
 * If node did not register exactly one 'data' listener (a node version this code does not
 * know), the connection is closed and false returned, so such a change fails loudly at the
 * first connection instead of serving unframed bytes.
 */
export function startFramedConnection(socket: Socket, startHttp: (socket: Socket) => void): boolean {
  const before = new Set(socket.listeners('data'));
  startHttp(socket);
  const added = socket.listeners('data').filter((l) => !before.has(l));
  const nodeOnData = added[0] as DataListener | undefined;
  if (added.length !== 1 || nodeOnData === undefined) {
    socket.destroy();
    return false;
  }
  const framer = new RequestFramer();
  const state = { lingering: false };
  socket.removeListener('data', nodeOnData);
  socket.on('data', (chunk: Buffer) => {
    if (state.lingering) return;
    const out = framer.transform(chunk);
    if (out.length > 0) nodeOnData(out);
  });
  socket.destroySoon = () => lingeringDestroySoon(socket, state);
  return true;
}

/**
 * Called by node's server after the last response on a connection. Closing a socket with
 * unread input makes the kernel send a reset, which can destroy the response before the
 * client reads it (typically a 413 sent while the client is still uploading). So: finish
 * writing, then keep draining (and discarding) input for a short while before tearing the
 * connection down.
 */
function lingeringDestroySoon(socket: Socket, state: { lingering: boolean }): void {
  if (socket.destroyed) return;
  state.lingering = true;
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end();
}
