/**
 * Connections start on node's native path: node's HTTP parser (llhttp) consumes the socket in
 * C++, with no JavaScript between the socket and the parser. Node's parser cannot parse Vault's
 * `LIST` verb (request-framer.ts); when it rejects a method, the connection is switched, for the
 * rest of its life, to a RequestFramer in JavaScript and the rejected request is replayed
 * through it (`recoverUnknownMethod`):
 *
 *  - node's HTTP handling of the connection is torn down as node itself does to hand a socket
 *    to an 'upgrade' listener (its listeners removed, its parser released), then set up again
 *    on the same socket with node's own 'data' listener replaced by one that transforms each
 *    chunk and then calls it (adding a 'data' listener is the documented way to make node's
 *    server read the socket in JavaScript; the socket itself stays node's, so writes, pausing,
 *    timeouts and TLS state need no wrapper);
 *  - this is only done where the rejected request's bytes are known exactly: no earlier request
 *    is still unanswered or unfinished (an answered request whose body had not all arrived makes
 *    its end unknown), and the parser's error lies in a method token that starts the chunk it
 *    was reading. Otherwise node's answer stands (400, connection closed), as for any malformed
 *    request.
 *
 * A method token split across two reads, where the first read ended inside a valid method
 * prefix, is replayed from the second read: the request is then answered as if sent with the
 * rest of its method, which is unknown (405) unless that rest is itself a method.
 *
 * A connection node is done with lingers (see `lingeringDestroySoon`).
 */
import { METHODS } from 'node:http';
import type { Socket } from 'node:net';
import { RequestFramer } from './request-framer.js';

/** How long a closing connection keeps draining client bytes before it is torn down. */
const LINGER_MS = 2_000;
/** Socket events node's HTTP server listens to for a connection (node 20). */
const NODE_EVENTS = ['data', 'error', 'end', 'close', 'drain', 'timeout', 'resume', 'pause'] as const;
const CR = 0x0d;
const LF = 0x0a;

type Listener = (...args: unknown[]) => void;
type DataListener = (chunk: Buffer) => void;

/** The parts of node's internal HTTP parser this module relies on. */
interface NodeParser {
  _consumed?: boolean;
  unconsume?(): void;
  remove?(): void;
  close?(): void;
}

interface Connection {
  readonly startHttp: (socket: Socket) => void;
  /** Listeners node's HTTP server added to the socket, by event. */
  added: Map<string, Listener[]>;
  /** The method rewriter, once the connection runs through it. */
  framer: RequestFramer | undefined;
  /** Node's own 'data' listener (framed connections). */
  nodeOnData: DataListener | undefined;
  lingering: boolean;
  /** A request was answered before its body had all arrived: where the next one starts is unknown. */
  bodyTailUnknown: boolean;
}

const connections = new WeakMap<Socket, Connection>();

/** Method tokens node's parser knows, and every prefix of them. */
const METHOD_PREFIXES: ReadonlySet<string> = new Set(METHODS.flatMap((m) => Array.from({ length: m.length + 1 }, (_, i) => m.slice(0, i))));
const MAX_METHOD = Math.max(...METHODS.map((m) => m.length));

/**
 * Hand `socket` to node's HTTP connection listener (`startHttp`) on the native path. Returns
 * false (and closes the connection) when node did not attach as this code expects (a node
 * version it does not know), so such a change fails loudly at the first connection.
 */
export function startConnection(socket: Socket, startHttp: (socket: Socket) => void): boolean {
  const conn: Connection = { startHttp, added: new Map(), framer: undefined, nodeOnData: undefined, lingering: false, bodyTailUnknown: false };
  if (!attach(socket, conn)) {
    socket.destroy();
    return false;
  }
  connections.set(socket, conn);
  socket.destroySoon = () => lingeringDestroySoon(socket, conn);
  return true;
}

/** Whether this connection's methods pass through the framer (LIST arrives as the alias). */
export function isFramed(socket: Socket | null | undefined): boolean {
  return socket !== null && socket !== undefined && connections.get(socket)?.framer !== undefined;
}

/**
 * The listener answered a request: if its body had not all arrived, node keeps reading the rest
 * and where the next request starts is no longer known to this module.
 */
export function answeredBeforeBodyEnd(socket: Socket | null | undefined): void {
  const conn = socket === null || socket === undefined ? undefined : connections.get(socket);
  if (conn !== undefined) conn.bodyTailUnknown = true;
}

/** Run node's connection listener, recording what it attached. */
function attach(socket: Socket, conn: Connection): boolean {
  const before = new Map(NODE_EVENTS.map((e) => [e, new Set(socket.listeners(e))]));
  conn.startHttp(socket);
  conn.added = new Map(NODE_EVENTS.map((e) => [e, (socket.listeners(e) as Listener[]).filter((l) => !before.get(e)!.has(l))]));
  return conn.added.get('data')!.length === 1 && (socket as { parser?: unknown }).parser !== undefined;
}

/**
 * Node's parser rejected a method on `socket` (a 'clientError'): switch the connection to the
 * framer and replay the rejected request through it. Returns false when the error is of another
 * kind or the connection cannot be recovered exactly (module comment); the caller then answers
 * the error as usual.
 */
export function recoverUnknownMethod(err: NodeJS.ErrnoException & { rawPacket?: unknown; bytesParsed?: unknown }, socket: Socket): boolean {
  if (err.code !== 'HPE_INVALID_METHOD') return false;
  const conn = connections.get(socket);
  if (conn === undefined || conn.framer !== undefined || conn.bodyTailUnknown || conn.lingering) return false;
  const inFlight = (socket as { _httpMessage?: unknown })._httpMessage;
  if ((inFlight !== undefined && inFlight !== null) || socket.destroyed || !socket.readable) return false;
  const raw = err.rawPacket;
  const at = err.bytesParsed;
  if (!Buffer.isBuffer(raw) || typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= raw.length) return false;
  let start = 0;
  while (start < at && (raw[start] === CR || raw[start] === LF)) start++;
  // The error must lie in the method token that starts the chunk: llhttp stops at (or just
  // after) the first byte that no known method continues with.
  let known = start;
  while (known < raw.length && known - start < MAX_METHOD && METHOD_PREFIXES.has(raw.toString('latin1', start, known + 1))) known++;
  if (at < start || at > known + 1) return false;
  const replay = Buffer.from(raw.subarray(start));

  // Tear down node's HTTP handling of the connection, as node does before an 'upgrade'.
  const parser = (socket as { parser?: NodeParser | null }).parser;
  for (const [event, listeners] of conn.added) for (const l of listeners) socket.removeListener(event, l);
  if (parser !== undefined && parser !== null) {
    if (parser._consumed === true) parser.unconsume?.();
    parser._consumed = false;
    parser.remove?.();
    // Released once the parser's own call stack (this error is reported from inside it) is unwound.
    setImmediate(() => parser.close?.());
  }
  (socket as { parser?: unknown }).parser = null;
  if (!attach(socket, conn)) {
    socket.destroy();
    return true;
  }
  frame(socket, conn);
  const out = conn.framer!.transform(replay);
  if (out.length > 0) conn.nodeOnData!(out);
  return true;
}

/** Put the framer between the socket and node's 'data' listener. */
function frame(socket: Socket, conn: Connection): void {
  const nodeOnData = conn.added.get('data')![0] as DataListener;
  const framer = new RequestFramer();
  conn.framer = framer;
  conn.nodeOnData = nodeOnData;
  socket.removeListener('data', nodeOnData);
  socket.on('data', (chunk: Buffer) => {
    if (conn.lingering) return;
    const out = framer.transform(chunk);
    if (out.length > 0) nodeOnData(out);
  });
}

/**
 * Called by node's server after the last response on a connection. Closing a socket with
 * unread input makes the kernel send a reset, which can destroy the response before the
 * client reads it (typically a 413 sent while the client is still uploading). So: finish
 * writing, then keep draining (and discarding) input for a short while before tearing the
 * connection down.
 */
function lingeringDestroySoon(socket: Socket, conn: Connection): void {
  if (socket.destroyed) return;
  if (!conn.lingering) {
    conn.lingering = true;
    // Input now goes nowhere: node's parser stops seeing it (a native one is released from
    // the socket by the added listener).
    const nodeOnData = conn.added.get('data')?.[0];
    if (nodeOnData !== undefined) socket.removeListener('data', nodeOnData);
    if (conn.framer === undefined) socket.on('data', () => undefined);
  }
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end();
}
