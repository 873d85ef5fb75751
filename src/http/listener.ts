/**
 * The HTTP(S) listener: accepts connections, runs each request through parse -> handler ->
 * render, and keeps the process safe from whatever clients or handlers do:
 *
 *  - every request is answered from one try/catch; a handler that throws (synchronously or
 *    not) becomes a 500 whose details go to the log only;
 *  - slow clients are cut off by the header, request, idle and inactivity timeouts;
 *  - malformed HTTP gets a JSON 400 (431 for oversized headers, 408 on timeout) and a close;
 *  - close() stops accepting, closes idle keep-alive connections at once, lets in-flight
 *    requests finish for a grace period and then destroys whatever is left.
 *
 * Paths outside /v1/ (including "/" and "/ui/...") answer 404 {"errors":[]}: Arca serves no web
 * UI, which is what Vault does for those paths when its UI is disabled.
 */
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { RequestTooLargeError } from '../errors.js';
import type { Request } from '../logical/request.js';
import { answeredBeforeBodyEnd, recoverUnknownMethod, startConnection } from './framed-connection.js';
import { corsStep, withCorsHeaders } from './cors.js';
import type { ForwardedForPolicy } from './forwarded-for.js';
import type { HttpLogger, RequestHandler } from './handler.js';
import { apiPath, parseRequest } from './parse.js';
import { JSON_HEADERS, bodyBytes, jsonAnswer, renderError, renderResponse, type Rendered } from './render.js';
import { parseTarget } from './url.js';
import { WriteBatch } from './write-batch.js';

export type TlsMinVersion = 'tls10' | 'tls11' | 'tls12' | 'tls13';

export interface ListenerOptions {
  /** "host:port"; IPv6 literals in brackets ("[::1]:8200"); port 0 picks a free port. */
  readonly address: string;
  readonly tlsDisable: boolean;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  /** CA bundle for verifying client certificates. */
  readonly tlsClientCaFile?: string;
  /** Default tls12, as Vault. */
  readonly tlsMinVersion?: TlsMinVersion;
  readonly tlsRequireAndVerifyClientCert?: boolean;
  /** Vault's max_request_size: 0 means the default of 32 MiB, negative disables the limit. */
  readonly maxRequestSize: number;
  /** Vault's x_forwarded_for_* keys; absent: the connection's address is the client's. */
  readonly forwardedFor?: ForwardedForPolicy;
  /** Time allowed to receive request headers (Vault's http_read_header_timeout; default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Time allowed to receive a whole request (Vault's http_read_timeout; default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this (Vault's http_idle_timeout; default 5 min). */
  readonly idleTimeoutMs?: number;
  /** A connection with no traffic at all for this long is closed (default 2 min). */
  readonly inactivityTimeoutMs?: number;
  /** close() waits this long for in-flight requests before destroying connections (default 5 s). */
  readonly closeGraceMs?: number;
}

export interface RunningListener {
  /** The bound address (without brackets for IPv6). */
  readonly address: string;
  readonly port: number;
  /** Base URL clients use, e.g. "https://127.0.0.1:8200". */
  readonly url: string;
  close(): Promise<void>;
  /** Re-read the certificate, key and client CA files (SIGHUP); new connections use them. */
  reloadTls(): Promise<void>;
}

export const DEFAULT_MAX_REQUEST_SIZE = 32 * 1024 * 1024;

const TLS_VERSIONS: Readonly<Record<TlsMinVersion, tls.SecureVersion>> = {
  tls10: 'TLSv1',
  tls11: 'TLSv1.1',
  tls12: 'TLSv1.2',
  tls13: 'TLSv1.3',
};

/** Split "host:port" / "[v6]:port". Throws with a clear message on anything else. */
export function parseListenAddress(address: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:([0-9]+)$/.exec(address);
  if (v6 !== null) {
    host = v6[1]!;
    portText = v6[2]!;
  } else {
    const colon = address.lastIndexOf(':');
    if (colon <= 0 || address.indexOf(':') !== colon) {
      throw new Error(`listener: invalid address "${address}" (expected host:port, or [ipv6]:port)`);
    }
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port > 65535) throw new Error(`listener: invalid port in address "${address}"`);
  return { host, port };
}

async function readTlsFile(path: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new Error(`listener: cannot read ${setting} "${path}": ${code}`);
  }
}

/** Read and check the TLS material; a bad file fails here, at start, with a clear message. */
export async function loadTlsOptions(opts: ListenerOptions): Promise<tls.TlsOptions> {
  if (opts.tlsCertFile === undefined || opts.tlsKeyFile === undefined) {
    throw new Error('listener: tls_cert_file and tls_key_file are required unless tls_disable is set');
  }
  const cert = await readTlsFile(opts.tlsCertFile, 'tls_cert_file');
  const key = await readTlsFile(opts.tlsKeyFile, 'tls_key_file');
  const ca = opts.tlsClientCaFile === undefined ? undefined : await readTlsFile(opts.tlsClientCaFile, 'tls_client_ca_file');
  const minVersion = TLS_VERSIONS[opts.tlsMinVersion ?? 'tls12'];
  if (minVersion === undefined) throw new Error(`listener: invalid tls_min_version "${String(opts.tlsMinVersion)}"`);
  const options: tls.TlsOptions = {
    cert,
    key,
    minVersion,
    ALPNProtocols: ['http/1.1'],
    // Client certificates are asked for (for the cert auth method) and only enforced on demand.
    requestCert: true,
    rejectUnauthorized: opts.tlsRequireAndVerifyClientCert === true,
    handshakeTimeout: 10_000,
    ...(ca === undefined ? {} : { ca }),
  };
  try {
    tls.createSecureContext(options);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `listener: invalid TLS material (tls_cert_file "${opts.tlsCertFile}", tls_key_file "${opts.tlsKeyFile}"` +
        `${opts.tlsClientCaFile === undefined ? '' : `, tls_client_ca_file "${opts.tlsClientCaFile}"`}): ${why}`,
    );
  }
  return options;
}

/**
 * Start each connection on node's native parser, switching it to the RequestFramer when node
 * rejects a method (framed-connection.ts), by wrapping the server's own connection listener.
 */
function startConnections(server: http.Server | https.Server, event: 'connection' | 'secureConnection', log: HttpLogger): void {
  const listeners = server.listeners(event);
  const original = listeners[listeners.length - 1] as ((socket: Socket) => void) | undefined;
  if (original === undefined) throw new Error(`listener: node's HTTP server has no ${event} listener to wrap`);
  server.removeListener(event, original);
  server.on(event, (socket: Socket) => {
    if (!startConnection(socket, (s) => original.call(server, s))) {
      log.error({}, "node's HTTP server did not attach as expected; connection closed (unsupported node version?)");
    }
  });
}

const JSON_HEADER_LIST: readonly string[] = Object.entries(JSON_HEADERS).flat();

function clientErrorAnswer(err: NodeJS.ErrnoException): Buffer {
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'request headers too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request timeout']
        : [400, 'Bad Request', 'malformed HTTP request'];
  const body = JSON.stringify({ errors: [message] });
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    'latin1',
  );
}

/**
 * The answer's headers as the flat [name, value, ...] list writeHead takes: node then formats
 * them in one pass instead of storing each through setHeader. Names are case-insensitive, as
 * with setHeader: a later name replaces an earlier one that differs only in case.
 */
function headerList(rendered: Rendered, closeAfter: boolean): string[] {
  if (rendered.headers === JSON_HEADERS && !closeAfter && rendered.body !== undefined) {
    // The usual answer: no header to de-duplicate.
    return [...JSON_HEADER_LIST, 'Content-Length', String(bodyBytes(rendered.body))];
  }
  const out: string[] = [];
  const put = (name: string, value: string): void => {
    const lower = name.toLowerCase();
    for (let i = 0; i < out.length; i += 2) {
      if (out[i]!.toLowerCase() === lower) {
        out[i] = name;
        out[i + 1] = value;
        return;
      }
    }
    out.push(name, value);
  };
  for (const name in rendered.headers) put(name, rendered.headers[name]!);
  if (closeAfter) put('Connection', 'close');
  if (rendered.body !== undefined) put('Content-Length', String(bodyBytes(rendered.body)));
  return out;
}

function writeRendered(res: http.ServerResponse, rendered: Rendered, closeAfter: boolean, log: HttpLogger): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  try {
    res.writeHead(rendered.status, headerList(rendered, closeAfter));
    res.end(rendered.body);
  } catch (err) {
    // A header value the core produced that HTTP cannot carry.
    log.error({ error: err instanceof Error ? err.message : String(err) }, 'cannot write response');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const fallback = jsonAnswer(500, { errors: ['internal error'] });
    // The failed writeHead already set a reason phrase for the first status: name ours.
    res.writeHead(500, 'Internal Server Error', headerList(fallback, closeAfter));
    res.end(fallback.body);
  }
}

/** Malformed HTTP: answer in JSON when the connection can take it, then close. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // Node keeps the response in flight on a connection as `_httpMessage`; writing our own bytes
  // in the middle of it would corrupt it, so such a connection is just closed.
  const inFlight = (socket as { _httpMessage?: unknown })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || (inFlight !== undefined && inFlight !== null)) {
    socket.destroy();
    return;
  }
  socket.write(clientErrorAnswer(err));
  // Lingers (framed-connection.ts), so the answer reaches the client.
  socket.destroySoon();
}

/**
 * Shutdown: stop accepting, close idle keep-alive connections at once and every connection
 * that becomes idle, and destroy whatever is still open after the grace period.
 */
function closer(server: http.Server, sockets: ReadonlySet<Socket>, graceMs: number): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve) => {
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
}

export async function startListener(opts: ListenerOptions, handler: RequestHandler, log: HttpLogger): Promise<RunningListener> {
  const { host, port } = parseListenAddress(opts.address);
  const maxRequestSize = opts.maxRequestSize === 0 ? DEFAULT_MAX_REQUEST_SIZE : opts.maxRequestSize;
  const parseOptions = { maxRequestSize, ...(opts.forwardedFor !== undefined ? { forwardedFor: opts.forwardedFor } : {}) };
  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(opts.requestTimeoutMs ?? 30_000, headersTimeout);
  const serverOptions: http.ServerOptions = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: opts.idleTimeoutMs ?? 5 * 60_000,
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
  };
  const tlsOptions = opts.tlsDisable ? undefined : await loadTlsOptions(opts);
  const server: http.Server | https.Server =
    tlsOptions === undefined ? http.createServer(serverOptions) : https.createServer({ ...serverOptions, ...tlsOptions });
  server.timeout = opts.inactivityTimeoutMs ?? 120_000;
  startConnections(server, tlsOptions === undefined ? 'connection' : 'secureConnection', log);

  // Every raw connection, including TLS handshakes in progress, so close() can end them all.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // Answers of one event-loop turn leave together (write-batch.ts).
  const writes = new WriteBatch((err) => log.error({ error: err instanceof Error ? err.message : String(err) }, 'unexpected failure writing response'));
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // Errors on these streams mean the client went away; the outcome is handled below.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    // The inactivity timeout is for silent clients, not for a handler that is still working
    // (the core bounds its own request duration): a 'timeout' listener on the response keeps
    // node from destroying the connection until our answer is written.
    const handlerRunning = (): void => undefined;
    res.on('timeout', handlerRunning);
    let request: Request | undefined;
    let rendered: Rendered;
    let closeAfter = false;
    // Browser requests while sys/config/cors is on: refused, answered (preflight) or marked here.
    const cors = handler.cors === undefined ? undefined : corsStep(handler.cors(), req.method ?? '', req.headers);
    try {
      const target = parseTarget(req.url ?? '/');
      if (cors !== undefined && 'answer' in cors) {
        rendered = cors.answer;
      } else if (apiPath(target.path) === undefined) {
        rendered = jsonAnswer(404, { errors: [] });
      } else {
        request = await parseRequest(req, parseOptions, target);
        const response = await handler.handle(request);
        rendered = renderResponse(request, response);
      }
    } catch (err) {
      // The body was not read to its end: the connection cannot carry another request.
      if (err instanceof RequestTooLargeError) closeAfter = true;
      const context = request === undefined ? {} : { requestId: request.id, operation: request.operation, path: request.path };
      rendered = renderError(err, log, context);
    }
    if (cors !== undefined && 'headers' in cors) rendered = withCorsHeaders(rendered, cors.headers);
    // Node reads and drops the rest of an unread body: the next request's start is then unknown here.
    if (!req.complete) answeredBeforeBodyEnd(req.socket);
    writes.add(() => {
      try {
        writeRendered(res, rendered, closeAfter, log);
      } catch (err) {
        log.error({ error: err instanceof Error ? err.message : String(err) }, 'unexpected failure writing response');
        res.destroy();
      }
      res.off('timeout', handlerRunning);
    });
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    serve(req, res).catch((err: unknown) => {
      log.error({ error: err instanceof Error ? err.message : String(err) }, 'unexpected failure writing response');
      res.destroy();
    });
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // LIST (and any method node cannot parse) on a native connection: replayed through the framer.
    if (!recoverUnknownMethod(err, socket)) answerClientError(err, socket);
  });
  // Failed TLS handshakes are the client's problem; tls already closed the socket.
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new Error(`listener: cannot listen on ${opts.address}: ${err.code ?? err.message}`));
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err: Error) => log.error({ error: err.message }, 'listener error'));

  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('listener: unexpected bound address');
  const urlHost = bound.family === 'IPv6' || bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  const url = `${tlsOptions === undefined ? 'http' : 'https'}://${urlHost}:${bound.port}`;
  log.info?.({ address: bound.address, port: bound.port, tls: tlsOptions !== undefined }, 'listener started');

  const close = closer(server, sockets, opts.closeGraceMs ?? 5_000);
  const reloadTls = async (): Promise<void> => {
    if (tlsOptions === undefined) return;
    // Validated in full before use: a bad new file leaves the running certificate in place.
    const next = await loadTlsOptions(opts);
    (server as https.Server).setSecureContext(next);
  };
  return { address: bound.address, port: bound.port, url, close, reloadTls };
}
