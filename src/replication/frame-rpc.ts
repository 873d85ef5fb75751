/**
 * The replication RPC framing on the cluster channel's TLS socket (ALPN `arca-repl/1`).
 *
 * Every frame is `[u32 payload length][u32 call id][u8 kind][payload]`, big-endian:
 * - request:  `[u8 method length][method, ASCII][JSON body]` (the method comes first so the
 *   server admits the caller before it parses a body of up to 33 MiB);
 * - response: the JSON result;
 * - error:    JSON `{ code, message }`.
 * A client numbers its calls; the server answers each with the same id, in whatever order its
 * handlers finish, so a long poll never holds up the calls behind it.
 *
 * Bounds. A receiver closes the connection on a frame over its limit, an unknown kind, or a
 * request/answer where the other kind belongs: such a peer is broken or speaks something else,
 * and nothing after it can be trusted to be framed. Partial frames are kept as the chunks that
 * arrived and copied once, when complete. The server runs at most `maxInFlight` calls of one
 * connection at once and stops reading it while calls wait for a slot or while its answers wait
 * in the socket (the peer does not read): what it holds is then bounded by those calls, the one
 * chunk being decoded and one frame. A client's own buffered requests are bounded by its callers
 * (each holds its request in memory anyway) and by each call's timeout, which ends the connection.
 */
import type { Duplex } from 'node:stream';

export const ALPN_PROTOCOL = 'arca-repl/1';

export const FRAME_REQUEST = 1;
export const FRAME_RESPONSE = 2;
export const FRAME_ERROR = 3;
export type FrameKind = typeof FRAME_REQUEST | typeof FRAME_RESPONSE | typeof FRAME_ERROR;

const HEADER_BYTES = 9;
const MAX_ID = 0xffff_ffff;

export interface Frame {
  readonly id: number;
  readonly kind: FrameKind;
  readonly payload: Buffer;
}

/** The peer broke the framing (or a frame would break the receiver's limit): the connection ends. */
export class FrameProtocolError extends Error {
  override readonly name = 'FrameProtocolError';
}

/** One frame as a single Buffer (one socket write). `method` makes it a request. */
export function encodeFrame(id: number, kind: FrameKind, json: string, maxPayload: number, method?: string): Buffer {
  const head = method === undefined ? 0 : 1 + method.length;
  if (method !== undefined && (method.length > 255 || !/^[\x21-\x7e]*$/.test(method))) throw new FrameProtocolError(`invalid method name ${JSON.stringify(method)}`);
  const size = head + Buffer.byteLength(json, 'utf8');
  if (size > maxPayload) throw new FrameProtocolError(`frame of ${size} bytes exceeds the limit of ${maxPayload}`);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + size);
  buf.writeUInt32BE(size, 0);
  buf.writeUInt32BE(id, 4);
  buf[8] = kind;
  if (method !== undefined) {
    buf[HEADER_BYTES] = method.length;
    buf.write(method, HEADER_BYTES + 1, 'latin1');
  }
  buf.write(json, HEADER_BYTES + head, 'utf8');
  return buf;
}

const corked = new WeakSet<Duplex>();

/**
 * Write a frame; frames written in the same tick (answers settled by one storage commit, calls
 * made while handling one batch) leave together, as one TLS record and one system call.
 */
function send(socket: Duplex, frame: Buffer): void {
  if (!corked.has(socket)) {
    corked.add(socket);
    socket.cork();
    process.nextTick(() => {
      corked.delete(socket);
      socket.uncork();
    });
  }
  socket.write(frame);
}

/** A request payload's method name and JSON body bytes. */
export function decodeRequest(payload: Buffer): { readonly method: string; readonly body: Buffer } {
  const n = payload[0];
  if (n === undefined || payload.length < 1 + n) throw new FrameProtocolError('truncated request frame');
  return { method: payload.toString('latin1', 1, 1 + n), body: payload.subarray(1 + n) };
}

/** Reassembles frames from the chunks a socket delivers. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: { readonly size: number; readonly id: number; readonly kind: FrameKind } | undefined;

  constructor(private readonly maxPayload: number) {}

  /** Add a chunk; `out` receives every frame it completes. Throws FrameProtocolError. */
  push(chunk: Buffer, out: (frame: Frame) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.header === undefined) {
        if (this.buffered < HEADER_BYTES) return;
        const h = this.take(HEADER_BYTES);
        const size = h.readUInt32BE(0);
        const kind = h[8]!;
        if (kind !== FRAME_REQUEST && kind !== FRAME_RESPONSE && kind !== FRAME_ERROR) throw new FrameProtocolError(`unknown frame kind ${kind}`);
        if (size > this.maxPayload) throw new FrameProtocolError(`frame of ${size} bytes exceeds the limit of ${this.maxPayload}`);
        this.header = { size, id: h.readUInt32BE(4), kind };
      }
      if (this.buffered < this.header.size) return;
      const { id, kind, size } = this.header;
      this.header = undefined;
      out({ id, kind, payload: this.take(size) });
    }
  }

  /** The next n buffered bytes: a view when one chunk holds them, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    let used = 0;
    while (at < n) {
      const c = this.chunks[used]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) used++;
      else this.chunks[used] = c.subarray(k);
    }
    this.chunks.splice(0, used);
    return out;
  }
}

interface Pending {
  resolve(frame: Frame): void;
  reject(err: Error): void;
}

/**
 * A client's end of one connection: numbered calls in flight, answered in any order. Requests
 * made before `ready()` (the TLS handshake) wait here: a handshake failure then reports itself,
 * not as the failed write of an early request.
 */
export class FrameClientConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private draining = false;
  private held: Buffer[] | undefined = [];
  /** Frames received so far: whether the peer still answers anything. */
  received = 0;

  constructor(
    private readonly socket: Duplex,
    private readonly limits: { readonly maxRequest: number; readonly maxResponse: number },
  ) {
    const decoder = new FrameDecoder(limits.maxResponse);
    const onFrame = (frame: Frame): void => this.onFrame(frame);
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, onFrame);
      } catch (err) {
        this.destroy(new Error(`protocol error: ${(err as Error).message}`));
      }
    });
    socket.on('error', (err: Error) => (this.failure ??= err));
    socket.on('close', () => this.failAll(this.failure ?? new Error('connection closed')));
  }

  get open(): boolean {
    return this.failure === undefined && !this.draining && !this.socket.destroyed;
  }

  /** Send a request; the answer (response or error frame) settles the promise. */
  call(method: string, json: string): { readonly id: number; readonly answer: Promise<Frame> } {
    if (this.failure !== undefined || this.socket.destroyed) throw this.failure ?? new Error('connection closed');
    const id = this.nextId;
    this.nextId = id === MAX_ID ? 1 : id + 1;
    const frame = encodeFrame(id, FRAME_REQUEST, json, this.limits.maxRequest, method);
    const answer = new Promise<Frame>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.held !== undefined) this.held.push(frame);
    else send(this.socket, frame);
    return { id, answer };
  }

  /** The connection is established: send what waited. */
  ready(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined && !this.socket.destroyed) for (const frame of held) send(this.socket, frame);
  }

  /** Give up on one call (its timeout): a late answer is dropped. */
  abandon(id: number, err: Error): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.reject(err);
    this.endIfDrained();
  }

  /** Take no new calls; close once those in flight are settled. */
  drain(): void {
    this.draining = true;
    this.endIfDrained();
  }

  /** Close now: every call in flight fails with `err`. */
  destroy(err: Error): void {
    this.failure ??= err;
    this.held = undefined;
    this.socket.destroy();
    this.failAll(this.failure);
  }

  private onFrame(frame: Frame): void {
    this.received++;
    if (frame.kind === FRAME_REQUEST) return this.destroy(new Error('protocol error: the server sent a request'));
    const p = this.pending.get(frame.id);
    if (p === undefined) return; // answer to an abandoned call
    this.pending.delete(frame.id);
    p.resolve(frame);
    this.endIfDrained();
  }

  private endIfDrained(): void {
    if (this.draining && this.pending.size === 0) this.socket.destroy();
  }

  private failAll(err: Error): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const p of calls) p.reject(err);
  }
}

/** A server's answer to one request. */
export type FrameAnswer = { readonly kind: typeof FRAME_RESPONSE | typeof FRAME_ERROR; readonly json: string };

export interface FrameServerOptions {
  readonly maxRequest: number;
  readonly maxResponse: number;
  /** Calls of one connection run at once; more wait, unread. */
  readonly maxInFlight: number;
  /** The peer broke the framing; the connection is closed after this. */
  readonly onProtocolError: (err: Error) => void;
  /** An answer that cannot be sent as it is (over maxResponse). */
  readonly tooLarge: (err: Error) => FrameAnswer;
}

/** Serve requests on a connection: `handle` never rejects (it turns failures into error answers). */
export function serveFrames(socket: Duplex, opts: FrameServerOptions, handle: (method: string, body: Buffer) => Promise<FrameAnswer>): void {
  const decoder = new FrameDecoder(opts.maxRequest);
  const waiting: Frame[] = [];
  let inFlight = 0;
  let paused = false;
  // Read only while there is a free slot and the peer takes our answers.
  const flow = (): void => {
    const stop = waiting.length > 0 || socket.writableNeedDrain;
    if (stop !== paused) {
      paused = stop;
      if (stop) socket.pause();
      else socket.resume();
    }
  };
  const run = (frame: Frame): void => {
    inFlight++;
    let request: { method: string; body: Buffer };
    try {
      request = decodeRequest(frame.payload);
    } catch (err) {
      protocolError(err as Error);
      return;
    }
    void handle(request.method, request.body).then((answer) => {
      inFlight--;
      if (socket.destroyed) return;
      let out: Buffer;
      try {
        out = encodeFrame(frame.id, answer.kind, answer.json, opts.maxResponse);
      } catch (err) {
        const fallback = opts.tooLarge(err as Error);
        out = encodeFrame(frame.id, fallback.kind, fallback.json, opts.maxResponse);
      }
      send(socket, out);
      while (inFlight < opts.maxInFlight && waiting.length > 0) run(waiting.shift()!);
      flow();
    }).catch((err: unknown) => {
      // A bug in answering must cost this connection, never the process (an unhandled rejection).
      protocolError(err instanceof Error ? err : new Error(String(err)));
    });
  };
  const protocolError = (err: Error): void => {
    if (socket.destroyed) return;
    opts.onProtocolError(err);
    socket.destroy();
  };
  const onFrame = (frame: Frame): void => {
    if (socket.destroyed) return;
    if (frame.kind !== FRAME_REQUEST) return protocolError(new FrameProtocolError(`unexpected frame kind ${frame.kind} from a client`));
    if (inFlight < opts.maxInFlight) run(frame);
    else waiting.push(frame);
  };
  socket.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk, onFrame);
    } catch (err) {
      return protocolError(err as Error);
    }
    flow();
  });
  socket.on('drain', flow);
}
