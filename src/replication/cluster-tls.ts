/**
 * The cluster channel: replication RPCs framed directly on mutual TLS 1.3 (ALPN `arca-repl/1`,
 * framing in frame-rpc.ts), answered by part 1's RpcHandler. Calls are multiplexed on one
 * connection and answered in any order.
 *
 * Server: one plain TCP socket is bound at startup (so the cluster address is known and stable
 * even for port 0); connections are handed to a TLS server only while this cluster serves as a
 * primary (`serve(material)`), else refused at once. The TLS server requires a client
 * certificate signed by the replication CA, and EVERY request re-checks that the certificate's
 * secondary id is registered, not revoked, and that the serial is the one issued last for that
 * id (`admit`), so revocation takes effect immediately. Refusals are logged with the reason and
 * change nothing.
 *
 * Client: `ClusterClient` is a PrimaryLink: one connection, replaced on the next call after any
 * failure, every call bounded by a timeout. Backoff between attempts is the caller's.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { isArcaError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../util/logger.js';
import { parseListenAddress } from '../http/listener.js';
import { normalizeSerial, sanUris, secondaryIdFromSan, serverUri, type CertAndKey } from './ca.js';
import { ALPN_PROTOCOL, FRAME_ERROR, FRAME_RESPONSE, FrameClientConnection, FrameProtocolError, serveFrames, type Frame, type FrameAnswer } from './frame-rpc.js';
import { isRpcMethod, RpcError, type PeerIdentity, type PrimaryLink, type RpcErrorCode, type RpcHandler, type RpcMethod, type RpcRequest, type RpcResponse } from './transport.js';

/** Requests carry forwarded client requests (bounded by the API's 32 MiB) or small RPC bodies. */
const MAX_RPC_BODY = 33 * 1024 * 1024;
/**
 * Answers from the primary we trust: a WAL entry may hold a 32 MiB value as base64 ciphertext
 * (one entry is always sent whole); the limit is a sanity bound well below V8's string limit.
 */
const MAX_RPC_RESPONSE = 256 * 1024 * 1024;
/** Calls of one connection handled at once (a secondary has a long poll or two, merkle calls, forwards). */
const MAX_CALLS_PER_CONNECTION = 256;

/** Why a presented certificate is not admitted, or the peer it identifies. */
export type Admission = { readonly ok: true; readonly peer: PeerIdentity } | { readonly ok: false; readonly reason: string };

/** What the primary serves with: its CA, its listener certificate, the handler and the admission check. */
export interface ClusterServeMaterial {
  readonly clusterId: string;
  readonly caPem: string;
  readonly server: CertAndKey;
  readonly handler: RpcHandler;
  /** Called on every request: is this secondary (id from the certificate, its serial) allowed now? */
  admit(secondaryId: string, serial: string): Admission;
}

interface ConnectionPeer {
  readonly secondaryId: string | undefined;
  readonly serial: string;
  readonly remote: string;
}

export class ClusterListener {
  private material: ClusterServeMaterial | undefined;
  private provider: (() => Promise<ClusterServeMaterial | undefined>) | undefined;
  private tlsServer: tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Peer address of each accepted socket, taken before TLS takes the socket over. */
  private readonly remotes = new WeakMap<net.Socket, string>();
  private readonly connections = new Map<tls.TLSSocket, ConnectionPeer>();
  private demux: ((socket: net.Socket) => Promise<boolean>) | undefined;

  private constructor(
    private readonly tcp: net.Server,
    private readonly logger: Logger,
    /** "host:port" actually bound. */
    readonly address: string,
  ) {
    tcp.on('connection', (socket) => this.accept(socket));
  }

  /** Bind the cluster address ("host:port"; port 0 picks one). */
  static async listen(address: string, logger: Logger): Promise<ClusterListener> {
    const { host, port } = parseListenAddress(address);
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, host === '' ? undefined : host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    const bound = tcp.address() as net.AddressInfo;
    const shown = bound.address.includes(':') ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
    return new ClusterListener(tcp, logger, shown);
  }

  get serving(): boolean {
    return this.material !== undefined;
  }

  /** Serve RPCs with this material (switching drops every connection); undefined stops serving. */
  serve(material: ClusterServeMaterial | undefined): void {
    if (material === this.material) return;
    this.dropAll();
    this.material = material;
    this.tlsServer = material === undefined ? undefined : this.createTlsServer(material);
  }

  /**
   * Decide the material per new connection instead (the activation service: serve only while an
   * unsealed primary, loading the CA through the barrier on first use).
   */
  setProvider(provider: (() => Promise<ClusterServeMaterial | undefined>) | undefined): void {
    this.provider = provider;
  }

  /** The provider's answer may have changed (a transition): drop what is served now. */
  refresh(): void {
    if (this.provider !== undefined) this.serve(undefined);
  }

  /** Close every connection of one secondary (revocation): its in-flight calls fail now, not after a long poll. */
  dropSecondary(secondaryId: string): void {
    for (const [socket, peer] of this.connections) if (peer.secondaryId === secondaryId) socket.destroy();
  }

  async close(): Promise<void> {
    this.provider = undefined;
    this.serve(undefined);
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  /**
   * Let another service of this node (HA request forwarding, src/ha/) take some connections of
   * the port first; `take` resolves true when it took the socket.
   */
  setDemux(take: ((socket: net.Socket) => Promise<boolean>) | undefined): void {
    this.demux = take;
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => undefined);
    const demux = this.demux;
    if (demux === undefined) return this.route(socket);
    demux(socket).then(
      (taken) => {
        if (!taken) this.route(socket);
      },
      () => socket.destroy(),
    );
  }

  private route(socket: net.Socket): void {
    const remote = remoteOf(socket);
    const provider = this.provider;
    if (provider === undefined) return this.handOver(socket, remote);
    provider().then(
      (material) => {
        this.serve(material);
        this.handOver(socket, remote);
      },
      (err: unknown) => {
        this.logger.error('cluster: cannot load the replication CA', { error: err as Error });
        socket.destroy();
      },
    );
  }

  private handOver(socket: net.Socket, remote: string): void {
    const server = this.tlsServer;
    if (server === undefined || socket.destroyed) {
      this.logger.warn('cluster: connection refused: this cluster is not serving as a replication primary', { remote });
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.remotes.set(socket, remote);
    socket.setNoDelay(true);
    socket.once('close', () => this.sockets.delete(socket));
    // tls.Server's own 'connection' listener runs the handshake on the socket we accepted.
    server.emit('connection', socket);
  }

  private dropAll(): void {
    for (const socket of this.connections.keys()) socket.destroy();
    this.connections.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private createTlsServer(material: ClusterServeMaterial): tls.Server {
    const server = tls.createServer({
      key: material.server.keyPem,
      cert: material.server.certPem,
      ca: material.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      // A client offering other protocols only fails the handshake (no_application_protocol).
      ALPNProtocols: [ALPN_PROTOCOL],
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      this.logger.warn('cluster: TLS handshake refused', { remote: this.remoteOf(socket), reason: tlsReason(err, socket.authorizationError) });
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => this.onConnection(material, socket));
    return server;
  }

  /** The TLS socket wraps the accepted TCP socket (Node keeps it as _parent); only the latter still knows the peer. */
  private remoteOf(socket: tls.TLSSocket): string {
    const raw = (socket as unknown as { _parent?: net.Socket })._parent ?? socket;
    return this.remotes.get(raw) ?? remoteOf(raw);
  }

  private onConnection(material: ClusterServeMaterial, socket: tls.TLSSocket): void {
    socket.on('error', () => undefined);
    // rejectUnauthorized already ends such handshakes; this keeps the invariant local.
    if (!socket.authorized) {
      socket.destroy();
      return;
    }
    const remote = this.remoteOf(socket);
    if (socket.alpnProtocol !== ALPN_PROTOCOL) {
      // A client that offered no ALPN at all (one that offered others failed the handshake).
      this.logger.warn('cluster: connection refused', { remote, reason: `the client does not speak ${ALPN_PROTOCOL} (no ALPN)` });
      socket.destroy();
      return;
    }
    const cert = socket.getPeerCertificate();
    const peer: ConnectionPeer = { secondaryId: secondaryIdFromSan(cert.subjectaltname, material.clusterId), serial: normalizeSerial(cert.serialNumber ?? ''), remote };
    this.connections.set(socket, peer);
    socket.once('close', () => this.connections.delete(socket));
    serveFrames(
      socket,
      {
        maxRequest: MAX_RPC_BODY,
        maxResponse: MAX_RPC_RESPONSE,
        maxInFlight: MAX_CALLS_PER_CONNECTION,
        onProtocolError: (err) => this.logger.warn('cluster: connection closed: protocol error', { remote, secondary_id: peer.secondaryId, reason: err.message }),
        tooLarge: (err) => {
          this.logger.error('cluster: rpc answer too large', { remote, secondary_id: peer.secondaryId, error: err });
          return failure('internal', 'answer too large for the cluster channel');
        },
      },
      (method, body) =>
        this.answer(material, peer, method, body).catch((err: unknown) => {
          this.logger.error('cluster: rpc failed', { error: err as Error });
          return failure('internal', 'internal error');
        }),
    );
  }

  private async answer(material: ClusterServeMaterial, peer: ConnectionPeer, method: string, raw: Buffer): Promise<FrameAnswer> {
    if (peer.secondaryId === undefined) {
      this.logger.warn('cluster: rpc refused: certificate names no secondary of this cluster', { remote: peer.remote });
      return failure('forbidden', 'certificate is not a secondary certificate of this cluster');
    }
    // Checked per request: a revocation between two calls on one connection refuses the second.
    const admission = material.admit(peer.secondaryId, peer.serial);
    if (!admission.ok) {
      this.logger.warn('cluster: rpc refused', { remote: peer.remote, secondary_id: peer.secondaryId, rpc: method, reason: admission.reason });
      return failure('forbidden', admission.reason);
    }
    if (!isRpcMethod(method)) return failure('unknown-method', `unknown rpc ${JSON.stringify(method)}`);
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return failure('bad-request', `invalid request body: ${(err as Error).message}`);
    }
    try {
      const result = await material.handler.handle(admission.peer, method, body);
      return { kind: FRAME_RESPONSE, json: JSON.stringify(result ?? {}) };
    } catch (err) {
      if (err instanceof RpcError) return failure(err.code, err.message);
      if (isArcaError(err)) return failure(codeForStatus(err.status), err.message);
      this.logger.error('cluster: rpc handler failed', { rpc: method, secondary_id: peer.secondaryId, error: err as Error });
      return failure('internal', 'internal error');
    }
  }
}

function remoteOf(socket: net.Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.includes(':') ? `[${a}]:${socket.remotePort ?? 0}` : `${a}:${socket.remotePort ?? 0}`;
}

/** Verification failures that mean "not issued by our CA". */
const FOREIGN_CERT = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE']);

/** A short operator-facing reason for a failed handshake. */
function tlsReason(err: NodeJS.ErrnoException, authorizationError: Error | string | undefined): string {
  if (authorizationError !== undefined && authorizationError !== null) {
    const code = typeof authorizationError === 'string' ? authorizationError : ((authorizationError as NodeJS.ErrnoException).code ?? authorizationError.message);
    if (FOREIGN_CERT.has(code)) return `client certificate not signed by this cluster's replication CA (${code})`;
    if (code === 'CERT_HAS_EXPIRED') return 'client certificate expired';
    return `client certificate rejected (${code})`;
  }
  switch (err.code) {
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
      return 'no client certificate presented';
    case 'ERR_SSL_CERTIFICATE_VERIFY_FAILED':
      return 'client certificate not signed by this cluster\'s replication CA';
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return 'not a TLS connection';
    case 'ECONNRESET':
      return 'connection reset during handshake';
    case 'ERR_SSL_NO_APPLICATION_PROTOCOL':
      return `the client does not speak ${ALPN_PROTOCOL} (ALPN)`;
    default:
      return err.code ?? err.message;
  }
}

function codeForStatus(status: number): RpcErrorCode {
  if (status === 400) return 'bad-request';
  if (status === 403) return 'forbidden';
  if (status === 503) return 'unavailable';
  return 'internal';
}

/** The error answer the link turns back into an RpcError. */
function failure(code: RpcErrorCode, message: string): FrameAnswer {
  return { kind: FRAME_ERROR, json: JSON.stringify({ code, message }) };
}

const ERROR_CODES: ReadonlySet<string> = new Set<RpcErrorCode>(['bad-request', 'forbidden', 'unknown-method', 'unavailable', 'internal']);

/** The primary's answer, or its RpcError rebuilt; an answer that is not ours is "unavailable". */
function fromFrame(method: string, frame: Frame): unknown {
  let parsed: unknown;
  try {
    parsed = frame.payload.length === 0 ? {} : JSON.parse(frame.payload.toString('utf8'));
  } catch {
    throw new RpcError('unavailable', `cluster rpc ${method}: malformed response`);
  }
  if (frame.kind === FRAME_RESPONSE) return parsed;
  const e = parsed as { code?: unknown; message?: unknown } | null;
  if (e !== null && typeof e.code === 'string' && ERROR_CODES.has(e.code) && typeof e.message === 'string') {
    throw new RpcError(e.code as RpcErrorCode, e.message);
  }
  throw new RpcError('unavailable', `cluster rpc ${method}: unexpected error answer`);
}

/** A transport failure as the caller sees it. */
function unavailable(method: string, err: Error): RpcError {
  const code = (err as NodeJS.ErrnoException).code;
  const cause = code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' ? new Error(`the cluster address does not speak ${ALPN_PROTOCOL} (ALPN refused)`, { cause: err }) : err;
  return new RpcError('unavailable', `cluster rpc ${method} failed: ${cause.message}`, { cause });
}

export interface ClusterClientOptions {
  /** The primary's cluster address, "host:port". */
  readonly address: string;
  /** The primary's replication CA: the only trust anchor for its server certificate. */
  readonly caPem: string;
  /** This secondary's client certificate and key. */
  readonly client: CertAndKey;
  /** The primary's cluster id: its server certificate must carry the matching SAN URI. */
  readonly clusterId: string;
  readonly clock: Clock;
  /** Per call, in addition to a long poll's own waitMs. Default 10 s. */
  readonly timeoutMs?: number;
}

export class ClusterClient implements PrimaryLink {
  private conn: FrameClientConnection | undefined;
  private closed = false;

  constructor(private readonly opts: ClusterClientOptions) {}

  async call<M extends RpcMethod>(method: M, body: RpcRequest[M]): Promise<RpcResponse[M]> {
    if (this.closed) throw new RpcError('unavailable', 'cluster link is closed');
    const waitMs = typeof (body as { waitMs?: unknown }).waitMs === 'number' ? (body as { waitMs: number }).waitMs : 0;
    const timeoutMs = (this.opts.timeoutMs ?? 10_000) + waitMs;
    const conn = this.connect();
    const heard = conn.received;
    let sent: { readonly id: number; readonly answer: Promise<Frame> };
    try {
      sent = conn.call(method, JSON.stringify(body));
    } catch (err) {
      // The server would refuse such a body the same way (and drop the connection with it).
      if (err instanceof FrameProtocolError) throw new RpcError('bad-request', `invalid request body: ${err.message}`);
      throw unavailable(method, err as Error);
    }
    const cancel = this.opts.clock.setTimer(timeoutMs, () => {
      conn.abandon(sent.id, new RpcError('unavailable', `cluster rpc ${method} timed out after ${timeoutMs} ms`));
      this.retire(conn, conn.received === heard);
    });
    let frame: Frame;
    try {
      frame = await sent.answer;
    } catch (err) {
      throw err instanceof RpcError ? err : unavailable(method, err as Error);
    } finally {
      cancel();
    }
    return fromFrame(method, frame) as RpcResponse[M];
  }

  close(): void {
    this.closed = true;
    this.conn?.destroy(new Error('cluster link is closed'));
    this.conn = undefined;
  }

  /**
   * After a timeout the next call dials anew. A primary that answered nothing since the call was
   * sent may be gone: drop the connection and every call on it. One that answers other calls is
   * only slow with this one: let those finish, then close.
   */
  private retire(conn: FrameClientConnection, silent: boolean): void {
    if (this.conn === conn) this.conn = undefined;
    if (silent) conn.destroy(new Error('the primary stopped answering'));
    else conn.drain();
  }

  private connect(): FrameClientConnection {
    const current = this.conn;
    if (current !== undefined && current.open) return current;
    const { host, port } = parseListenAddress(this.opts.address);
    const expected = serverUri(this.opts.clusterId);
    const socket = tls.connect({
      host,
      port,
      ca: this.opts.caPem,
      cert: this.opts.client.certPem,
      key: this.opts.client.keyPem,
      minVersion: 'TLSv1.3',
      ALPNProtocols: [ALPN_PROTOCOL],
      // The primary is identified by its cluster id in the certificate, not by the address it is reached at.
      checkServerIdentity: (_host, cert) =>
        sanUris(cert.subjectaltname).includes(expected) ? undefined : new Error(`cluster certificate does not belong to cluster ${this.opts.clusterId}`),
    });
    socket.setNoDelay(true);
    const conn = new FrameClientConnection(socket, { maxRequest: MAX_RPC_BODY, maxResponse: MAX_RPC_RESPONSE });
    socket.once('secureConnect', () => {
      // A server that ignores ALPN is not ours either.
      if (socket.alpnProtocol !== ALPN_PROTOCOL) conn.destroy(new Error(`the cluster address does not speak ${ALPN_PROTOCOL} (ALPN ${String(socket.alpnProtocol)})`));
      else conn.ready();
    });
    socket.once('close', () => {
      if (this.conn === conn) this.conn = undefined;
    });
    this.conn = conn;
    return conn;
  }
}
