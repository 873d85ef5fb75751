/**
 * A Duplex that sits between a client connection (TCP or TLS) and node's HTTP parser and runs
 * the incoming bytes through a RequestFramer (see request-framer.ts for why). Node's HTTP server
 * accepts any Duplex as a connection; this one forwards the socket properties and methods the
 * server and our request parser use (addresses, timeouts, TLS state).
 *
 * Errors of the client connection (resets, TLS alerts) are not re-emitted: the wrapper simply
 * closes, which node's server treats as the client going away.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { RequestFramer } from './request-framer.js';

/** How long a closing connection keeps draining client bytes before it is torn down. */
const LINGER_MS = 2_000;

export class FramedSocket extends Duplex {
  private readonly framer = new RequestFramer();
  /** Set once the server is done with the connection: incoming bytes are discarded. */
  private lingering = false;

  constructor(readonly inner: Socket) {
    super({ allowHalfOpen: true });
    inner.on('data', (chunk: Buffer) => {
      if (this.lingering) return;
      const out = this.framer.transform(chunk);
      if (out.length > 0 && !this.push(out)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', () => this.destroy());
    inner.on('close', () => this.destroy());
    inner.on('timeout', () => this.emit('timeout'));
  }

  override _read(): void {
    this.inner.resume();
  }

  // Writes pass straight through with the socket's own backpressure: the next chunk is accepted
  // as soon as the socket buffers this one (not when the kernel has taken it), and a response's
  // header and body chunks go out corked, as one write. A write to a vanished client is not an
  // error of ours: the socket's close handler tears this wrapper down.
  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.inner.write(chunk, encoding)) callback();
    else this.inner.once('drain', () => callback());
  }

  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void {
    this.inner.cork();
    let flowing = true;
    for (const { chunk, encoding } of chunks) flowing = this.inner.write(chunk, encoding);
    this.inner.uncork();
    if (flowing) callback();
    else this.inner.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }

  /**
   * Called by node's server after the last response on a connection. Closing a socket with
   * unread input makes the kernel send a reset, which can destroy the response before the
   * client reads it (typically a 413 sent while the client is still uploading). So: finish
   * writing, then keep draining input for a short while before tearing the connection down.
   */
  destroySoon(): void {
    if (this.destroyed) return;
    this.lingering = true;
    this.inner.resume();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    this.end();
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.inner.setTimeout(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.inner.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.inner.setKeepAlive(enable, initialDelay);
    return this;
  }

  address(): ReturnType<Socket['address']> {
    return this.inner.address();
  }

  get remoteAddress(): string | undefined {
    return this.inner.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.inner.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.inner.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.inner.localAddress;
  }
  get localPort(): number | undefined {
    return this.inner.localPort;
  }

  /** True on a TLS listener, as on node's own TLS sockets. */
  get encrypted(): boolean {
    return this.inner instanceof TLSSocket;
  }

  /** The TLS connection, for code that needs the client certificate (the cert auth method). */
  get tlsSocket(): TLSSocket | undefined {
    return this.inner instanceof TLSSocket ? this.inner : undefined;
  }
}
