/**
 * A standby's end of request forwarding: one HTTP/2 session over mutual TLS to the active
 * node's cluster address, reopened after any failure.
 *
 * The caller must know whether the active node could have run a request, so failures come in
 * two kinds: `ForwardNotSent` (no session could be set up: nothing reached the active node, a
 * 307 is safe) and `ForwardLost` (the request went out, no answer came back).
 */
import * as http2 from 'node:http2';
import type { Clock } from '../clock.js';
import { sanUris } from '../replication/ca.js';
import { haServerUri, type HaTlsMaterial } from './cluster-identity.js';
import { HA_SERVER_NAME } from './client-hello.js';
import { decodeAnswer, FORWARD_PATH, type ForwardedAnswer, type ForwardedRequest } from './forward-protocol.js';

export class ForwardNotSent extends Error {
  override readonly name = 'ForwardNotSent';
}

export class ForwardLost extends Error {
  override readonly name = 'ForwardLost';
}

export interface ForwardClientOptions {
  /** The active node's cluster address, "host:port". */
  readonly address: string;
  readonly material: HaTlsMaterial;
  readonly clock: Clock;
  /** Setting up a session (TCP and TLS). Default 3 s. */
  readonly connectTimeoutMs?: number;
  /** One request, from sending to the whole answer. Default 60 s. */
  readonly requestTimeoutMs?: number;
}

export class HaForwardClient {
  private session: Promise<http2.ClientHttp2Session> | undefined;
  private closed = false;

  constructor(readonly opts: ForwardClientOptions) {}

  async send(req: ForwardedRequest): Promise<ForwardedAnswer> {
    const session = await this.connect();
    const payload = Buffer.from(JSON.stringify(req), 'utf8');
    const timeoutMs = this.opts.requestTimeoutMs ?? 60_000;
    return new Promise<ForwardedAnswer>((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, answer?: ForwardedAnswer): void => {
        if (done) return;
        done = true;
        cancel();
        if (err !== undefined) reject(err);
        else resolve(answer!);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':method': 'POST', ':path': FORWARD_PATH, 'content-type': 'application/json', 'content-length': payload.length });
      } catch (err) {
        // The session closed between connect() and here: nothing was sent.
        this.reset();
        finish(new ForwardNotSent(`cannot open a stream: ${(err as Error).message}`));
        return;
      }
      const cancel = this.opts.clock.setTimer(timeoutMs, () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        this.reset();
        finish(new ForwardLost(`no answer within ${timeoutMs} ms`));
      });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (status = Number(h[':status'] ?? 0)));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err: Error) => {
        this.reset();
        // REFUSED_STREAM: the server did not process it (HTTP/2's own guarantee).
        const refused = (err as NodeJS.ErrnoException).code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(err.message);
        finish(refused ? new ForwardNotSent(err.message) : new ForwardLost(err.message));
      });
      stream.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return finish(new ForwardLost(`malformed answer (status ${status})`));
        }
        const answer = status === 200 ? decodeAnswer(parsed) : undefined;
        if (answer === undefined) {
          const why = (parsed as { error?: unknown } | null)?.error;
          return finish(new ForwardLost(`active node answered ${status}${typeof why === 'string' ? `: ${why}` : ''}`));
        }
        finish(undefined, answer);
      });
      stream.end(payload);
    });
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  private connect(): Promise<http2.ClientHttp2Session> {
    if (this.closed) return Promise.reject(new ForwardNotSent('forwarding client closed'));
    this.session ??= this.open();
    return this.session;
  }

  private open(): Promise<http2.ClientHttp2Session> {
    const { address, material } = this.opts;
    const expected = haServerUri(material);
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = address.slice(colon + 1);
    const attempt = new Promise<http2.ClientHttp2Session>((resolve, reject) => {
      const session = http2.connect(`https://${host.includes(':') ? `[${host}]` : host}:${port}`, {
        ca: material.caPem,
        cert: material.client.certPem,
        key: material.client.keyPem,
        servername: HA_SERVER_NAME,
        minVersion: 'TLSv1.3',
        // The active node is identified by the cluster's HA identity, not the address dialled.
        checkServerIdentity: (_host, cert) => (sanUris(cert.subjectaltname).includes(expected) ? undefined : new Error('cluster certificate is not this HA cluster\'s')),
      });
      const cancel = this.opts.clock.setTimer(this.opts.connectTimeoutMs ?? 3_000, () => {
        session.destroy();
        reject(new ForwardNotSent(`no connection to ${address} in time`));
      });
      session.once('connect', () => {
        cancel();
        resolve(session);
      });
      session.on('error', (err: Error) => {
        cancel();
        reject(new ForwardNotSent(`cannot connect to ${address}: ${err.message}`));
        this.drop(attempt);
      });
      const gone = (): void => this.drop(attempt);
      session.on('goaway', gone);
      session.on('close', gone);
    });
    attempt.catch(() => this.drop(attempt));
    return attempt;
  }

  private drop(attempt: Promise<http2.ClientHttp2Session>): void {
    if (this.session === attempt) this.session = undefined;
  }

  private reset(): void {
    const current = this.session;
    this.session = undefined;
    current?.then((s) => s.destroy(), () => undefined);
  }
}
