/**
 * The cluster channel: HTTP/2 over mutual TLS on the cluster address. RPCs are
 * `POST /arca/rpc/v1/<method>` with JSON bodies, answered by part 1's RpcHandler.
 *
 * Server: one plain TCP socket is bound at startup (so the cluster address is known and stable
 * even for port 0); connections are handed to a TLS server only while this cluster serves as a
 * primary (`serve(material)`), else refused at once. The TLS server requires a client
 * certificate signed by the replication CA, and EVERY request re-checks that the certificate's
 * secondary id is registered, not revoked, and that the serial is the one issued last for that
 * id (`admit`), so revocation takes effect immediately. Refusals are logged with the reason and
 * change nothing.
 *
 * Client: `ClusterClient` is a PrimaryLink: one HTTP/2 session, reopened on the next call after
 * any failure, every call bounded by a timeout. Backoff between attempts is the caller's.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isArcaError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../util/logger.js';
import { parseListenAddress } from '../http/listener.js';
import { normalizeSerial, sanUris, secondaryIdFromSan, serverUri, type CertAndKey } from './ca.js';
import { isRpcMethod, RpcError, type PeerIdentity, type PrimaryLink, type RpcErrorCode, type RpcHandler, type RpcMethod, type RpcRequest, type RpcResponse } from './transport.js';
import { readStreamBody, respondJson } from '../util/h2-json.js';

export const RPC_PATH_PREFIX = '/arca/rpc/v1/';
/** Requests carry forwarded client requests (bounded by the API's 32 MiB) or small RPC bodies. */
const MAX_RPC_BODY = 33 * 1024 * 1024;

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

interface SessionPeer {
  readonly secondaryId: string | undefined;
  readonly serial: string;
  readonly remote: string;
}

export class ClusterListener {
  private material: ClusterServeMaterial | undefined;
  private provider: (() => Promise<ClusterServeMaterial | undefined>) | undefined;
  private tlsServer: http2.Http2SecureServer | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Peer address of each accepted socket, taken before TLS takes the socket over. */
  private readonly remotes = new WeakMap<net.Socket, string>();
  private readonly sessions = new Map<http2.ServerHttp2Session, SessionPeer>();
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

  /** Serve RPCs with this material (switching drops every session); undefined stops serving. */
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

  /** Close every session of one secondary (revocation): its in-flight calls fail now, not after a long poll. */
  dropSecondary(secondaryId: string): void {
    for (const [session, peer] of this.sessions) if (peer.secondaryId === secondaryId) session.destroy();
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
    socket.once('close', () => this.sockets.delete(socket));
    // tls.Server's own 'connection' listener runs the handshake on the socket we accepted.
    server.emit('connection', socket);
  }

  private dropAll(): void {
    for (const session of this.sessions.keys()) session.destroy();
    this.sessions.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private createTlsServer(material: ClusterServeMaterial): http2.Http2SecureServer {
    const server = http2.createSecureServer({
      key: material.server.keyPem,
      cert: material.server.certPem,
      ca: material.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      allowHTTP1: false,
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      // The TLS socket wraps the accepted TCP socket (Node keeps it as _parent); only the latter still knows the peer.
      const raw = (socket as unknown as { _parent?: net.Socket })._parent ?? socket;
      this.logger.warn('cluster: TLS handshake refused', { remote: this.remotes.get(raw) ?? remoteOf(raw), reason: tlsReason(err, socket.authorizationError) });
    });
    server.on('session', (session: http2.ServerHttp2Session) => {
      const socket = session.socket as TLSSocket;
      // rejectUnauthorized already ends such handshakes; this keeps the invariant local.
      if (!socket.authorized) {
        session.destroy();
        return;
      }
      const cert = socket.getPeerCertificate();
      this.sessions.set(session, {
        secondaryId: secondaryIdFromSan(cert.subjectaltname, material.clusterId),
        serial: normalizeSerial(cert.serialNumber ?? ''),
        remote: remoteOf(socket),
      });
      session.once('close', () => this.sessions.delete(session));
      session.on('error', () => undefined);
    });
    server.on('stream', (stream, headers) => {
      void this.onStream(material, stream, headers).catch((err: unknown) => {
        this.logger.error('cluster: rpc failed', { error: err as Error });
        fail(stream, 'internal', 'internal error');
      });
    });
    return server;
  }

  private async onStream(material: ClusterServeMaterial, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    stream.on('error', () => undefined);
    const peer = this.sessions.get(stream.session as http2.ServerHttp2Session);
    const path = String(headers[':path'] ?? '');
    const method = path.startsWith(RPC_PATH_PREFIX) ? path.slice(RPC_PATH_PREFIX.length) : '';
    if (peer === undefined) return fail(stream, 'forbidden', 'unknown session');
    if (peer.secondaryId === undefined) {
      this.logger.warn('cluster: rpc refused: certificate names no secondary of this cluster', { remote: peer.remote });
      return fail(stream, 'forbidden', 'certificate is not a secondary certificate of this cluster');
    }
    // Checked per request: a revocation between two calls on one session refuses the second.
    const admission = material.admit(peer.secondaryId, peer.serial);
    if (!admission.ok) {
      this.logger.warn('cluster: rpc refused', { remote: peer.remote, secondary_id: peer.secondaryId, rpc: method, reason: admission.reason });
      return fail(stream, 'forbidden', admission.reason);
    }
    if (headers[':method'] !== 'POST' || !isRpcMethod(method)) return fail(stream, 'unknown-method', `unknown rpc ${JSON.stringify(path)}`);
    let body: unknown;
    try {
      body = JSON.parse((await readStreamBody(stream, MAX_RPC_BODY)).toString('utf8') || '{}');
    } catch (err) {
      return fail(stream, 'bad-request', `invalid request body: ${(err as Error).message}`);
    }
    try {
      const result = await material.handler.handle(admission.peer, method, body);
      respondJson(stream, 200, result ?? {});
    } catch (err) {
      if (err instanceof RpcError) return fail(stream, err.code, err.message);
      if (isArcaError(err)) return fail(stream, codeForStatus(err.status), err.message);
      this.logger.error('cluster: rpc handler failed', { rpc: method, secondary_id: peer.secondaryId, error: err as Error });
      fail(stream, 'internal', 'internal error');
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

/** The error body the link turns back into an RpcError. */
function fail(stream: http2.ServerHttp2Stream, code: RpcErrorCode, message: string): void {
  respondJson(stream, new RpcError(code, message).status, { error: { code, message } });
}

const ERROR_CODES: ReadonlySet<string> = new Set<RpcErrorCode>(['bad-request', 'forbidden', 'unknown-method', 'unavailable', 'internal']);

/** Rebuild the primary's RpcError; a body that is not ours (a proxy, a half-written answer) is "unavailable". */
function errorFromBody(method: string, status: number, body: unknown): RpcError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (e !== undefined && typeof e.code === 'string' && ERROR_CODES.has(e.code) && typeof e.message === 'string') {
    return new RpcError(e.code as RpcErrorCode, e.message);
  }
  return new RpcError('unavailable', `cluster rpc ${method}: unexpected status ${status}`);
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
  private session: http2.ClientHttp2Session | undefined;
  /** Why a session failed (TLS verification, refused connection): more telling than the stream's own error. */
  private readonly sessionErrors = new WeakMap<http2.ClientHttp2Session, Error>();
  private closed = false;

  constructor(private readonly opts: ClusterClientOptions) {}

  async call<M extends RpcMethod>(method: M, body: RpcRequest[M]): Promise<RpcResponse[M]> {
    if (this.closed) throw new RpcError('unavailable', 'cluster link is closed');
    const waitMs = typeof (body as { waitMs?: unknown }).waitMs === 'number' ? (body as { waitMs: number }).waitMs : 0;
    const timeoutMs = (this.opts.timeoutMs ?? 10_000) + waitMs;
    const session = this.connect();
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise<RpcResponse[M]>((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, value?: RpcResponse[M]): void => {
        if (done) return;
        done = true;
        cancel();
        if (err !== undefined) reject(err);
        else resolve(value!);
      };
      const req = session.request({ ':method': 'POST', ':path': `${RPC_PATH_PREFIX}${method}`, 'content-type': 'application/json', 'content-length': payload.length });
      const cancel = this.opts.clock.setTimer(timeoutMs, () => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        // A primary that stops answering may be gone: start the next call on a fresh session.
        this.reset(session);
        finish(new RpcError('unavailable', `cluster rpc ${method} timed out after ${timeoutMs} ms`));
      });
      let status = 0;
      const chunks: Buffer[] = [];
      req.on('response', (h) => (status = Number(h[':status'] ?? 0)));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (err: Error) => {
        this.reset(session);
        const cause = this.sessionErrors.get(session) ?? err;
        finish(new RpcError('unavailable', `cluster rpc ${method} failed: ${cause.message}`, { cause }));
      });
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? {} : JSON.parse(text);
        } catch {
          return finish(new RpcError('unavailable', `cluster rpc ${method}: malformed response (status ${status})`));
        }
        if (status === 200) return finish(undefined, parsed as RpcResponse[M]);
        finish(errorFromBody(method, status, parsed));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.closed = true;
    if (this.session !== undefined) this.reset(this.session);
  }

  private connect(): http2.ClientHttp2Session {
    const current = this.session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const { host, port } = parseListenAddress(this.opts.address);
    const expected = serverUri(this.opts.clusterId);
    const session = http2.connect(`https://${host.includes(':') ? `[${host}]` : host}:${port}`, {
      ca: this.opts.caPem,
      cert: this.opts.client.certPem,
      key: this.opts.client.keyPem,
      minVersion: 'TLSv1.3',
      // The primary is identified by its cluster id in the certificate, not by the address it is reached at.
      checkServerIdentity: (_host, cert) =>
        sanUris(cert.subjectaltname).includes(expected) ? undefined : new Error(`cluster certificate does not belong to cluster ${this.opts.clusterId}`),
    });
    session.on('error', (err: Error) => {
      this.sessionErrors.set(session, err);
      this.reset(session);
    });
    session.on('goaway', () => this.reset(session));
    session.on('close', () => this.reset(session));
    this.session = session;
    return session;
  }

  private reset(session: http2.ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
    if (!session.destroyed) session.destroy();
  }
}
