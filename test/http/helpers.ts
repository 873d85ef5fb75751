/**
 * Test helpers for the HTTP shell: a real listener on 127.0.0.1:0 in front of a small
 * RequestHandler whose behaviour each test chooses, plus clients (node:http and raw sockets).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Request, Response } from '../../src/logical/request.js';
import type { HttpLogger, RequestHandler } from '../../src/http/handler.js';
import { startListener, type ListenerOptions, type RunningListener } from '../../src/http/listener.js';

/** A logger that remembers what it was told. */
export class MemoryLogger implements HttpLogger {
  readonly errors: { obj: object; msg: string }[] = [];
  error(obj: object, msg: string): void {
    this.errors.push({ obj, msg });
  }
  /** Everything logged, as one string, for "is this detail in the log" assertions. */
  text(): string {
    return JSON.stringify(this.errors);
  }
}

/** The Request as the echo handler sends it back. */
export interface EchoedRequest {
  id: string;
  operation: string;
  path: string;
  data: Record<string, unknown>;
  clientToken: string;
  headers: Record<string, string>;
  wrapTTL: number;
  remoteAddr: string;
}

export type Behaviour = (req: Request) => Promise<Response | undefined> | Response | undefined;

/** Echoes the Request it got as the response data. */
export const echo: Behaviour = (req) => ({
  data: {
    id: req.id,
    operation: req.operation,
    path: req.path,
    data: req.data,
    clientToken: req.clientToken,
    headers: req.headers,
    wrapTTL: req.wrapTTL,
    remoteAddr: req.remoteAddr,
  },
});

export interface TestServer {
  readonly listener: RunningListener;
  readonly log: MemoryLogger;
  /** Change what the handler does for the next requests. */
  behave(b: Behaviour): void;
  readonly seen: Request[];
}

export async function startTestServer(opts: Partial<ListenerOptions> = {}): Promise<TestServer> {
  const log = new MemoryLogger();
  let behaviour: Behaviour = echo;
  const seen: Request[] = [];
  const handler: RequestHandler = {
    // Not async on purpose: a behaviour that throws synchronously throws out of handle().
    handle(req: Request): Promise<Response | undefined> {
      seen.push(req);
      const out = behaviour(req);
      return out instanceof Promise ? out : Promise.resolve(out);
    },
  };
  const listener = await startListener(
    { address: '127.0.0.1:0', tlsDisable: true, maxRequestSize: 1024, closeGraceMs: 1_000, ...opts },
    handler,
    log,
  );
  return { listener, log, seen, behave: (b) => (behaviour = b) };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): unknown;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: http.Agent | false;
}

/** One HTTP request with node's client (which sends any token as a method, LIST included). */
export function send(base: string, path: string, opts: SendOptions = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = http.request(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path,
        method: opts.method ?? 'GET',
        // Explicit length: node's client sends a DELETE body unframed otherwise.
        headers: {
          ...(opts.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(opts.body)) }),
          ...(opts.headers ?? {}),
        },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/** The echoed Request of a 200 answer. */
export function echoed(res: SimpleResponse): EchoedRequest {
  const body = res.json() as { data?: EchoedRequest } & Partial<EchoedRequest>;
  // Help answers carry their fields at the top level (as Vault's ?help=1 does), not in `data`.
  return body.operation === 'help' ? (body as EchoedRequest) : (body.data as EchoedRequest);
}

/**
 * Send raw bytes on a fresh connection and collect everything the server sends until it closes
 * the connection or `waitMs` passes. `end` half-closes after writing.
 */
export function rawExchange(port: number, bytes: Buffer | string, opts: { waitMs?: number; end?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, opts.waitMs ?? 1_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(bytes);
      if (opts.end === true) socket.end();
    });
  });
}

/** Status codes of every response in a raw HTTP/1.1 byte stream, in order. */
export function statusCodes(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
