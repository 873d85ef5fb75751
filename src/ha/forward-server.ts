/**
 * The active node's end of request forwarding: an HTTP/2 server over mutual TLS with the HA
 * cluster identity (cluster-identity.ts), fed the cluster-port connections whose ClientHello
 * names HA_SERVER_NAME. It serves only while this node is active (`serve(material)`); otherwise
 * such connections are closed at once, and the standby falls back to a 307.
 *
 * Each stream is one client request: decoded, run through `run` (the gate, as if it had arrived
 * on this node's API listener) and answered with what the HTTP shell would have written.
 */
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isArcaError } from '../errors.js';
import type { Request } from '../logical/request.js';
import type { Logger } from '../util/logger.js';
import type { HaTlsMaterial } from './cluster-identity.js';
import { decodeRequest, FORWARD_PATH, MAX_FORWARD_BODY, type ForwardedAnswer } from './forward-protocol.js';
import { readStreamBody, respondJson } from '../util/h2-json.js';

/** A rendered answer (src/http/render.ts's shape). */
export interface RenderedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

export interface ForwardServerDeps {
  /** Run a forwarded request and render it exactly as the API listener would. */
  run(req: Request): Promise<RenderedAnswer>;
  readonly logger: Logger;
}

export class HaForwardServer {
  private material: HaTlsMaterial | undefined;
  private server: http2.Http2SecureServer | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly deps: ForwardServerDeps) {}

  get serving(): boolean {
    return this.server !== undefined;
  }

  /** Serve with this identity (active), or stop and drop every connection (undefined). */
  serve(material: HaTlsMaterial | undefined): void {
    if (material === this.material) return;
    this.dropConnections();
    this.material = material;
    this.server = material === undefined ? undefined : this.create(material);
  }

  /** End every forwarding connection (standbys reconnect, or redirect if they cannot). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** A cluster-port connection that asked for HA forwarding. */
  take(socket: Socket): void {
    const server = this.server;
    if (server === undefined || socket.destroyed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    server.emit('connection', socket);
  }

  private create(material: HaTlsMaterial): http2.Http2SecureServer {
    const server = http2.createSecureServer({
      key: material.server.keyPem,
      cert: material.server.certPem,
      ca: material.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      allowHTTP1: false,
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException) => {
      this.deps.logger.warn('ha: forwarding connection refused: TLS handshake failed', { reason: err.code ?? err.message });
    });
    server.on('session', (session: http2.ServerHttp2Session) => {
      session.on('error', () => undefined);
      // rejectUnauthorized already ends such handshakes; this keeps the invariant local.
      if (!(session.socket as TLSSocket).authorized) session.destroy();
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      void this.onStream(stream, headers).catch((err: unknown) => {
        this.deps.logger.error('ha: forwarded request failed', { error: err as Error });
        respondJson(stream, 500, { error: 'internal error' });
      });
    });
    return server;
  }

  private async onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    if (headers[':method'] !== 'POST' || headers[':path'] !== FORWARD_PATH) return respondJson(stream, 404, { error: 'unknown path' });
    let req: Request;
    try {
      req = decodeRequest(JSON.parse((await readStreamBody(stream, MAX_FORWARD_BODY)).toString('utf8')));
    } catch (err) {
      return respondJson(stream, 400, { error: isArcaError(err) ? err.message : `invalid forwarded request: ${(err as Error).message}` });
    }
    const rendered = await this.deps.run(req);
    const answer: ForwardedAnswer = {
      status: rendered.status,
      headers: rendered.headers,
      body: rendered.body === undefined ? null : Buffer.from(rendered.body).toString('base64'),
    };
    respondJson(stream, 200, answer);
  }
}

