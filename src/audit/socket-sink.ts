/**
 * The socket device: entries streamed to a TCP or unix socket, or sent as UDP datagrams.
 * Connects lazily; a failed or timed-out write drops the connection, reconnects once and
 * retries, and only then fails (Vault's behaviour), so a collector restart costs no entries.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { AuditSink } from './file-sink.js';
import { LineWriter } from './line-writer.js';

export type SocketType = 'tcp' | 'udp' | 'unix';

/** "host:port" or "[v6]:port". */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:]+):(\d{1,5})$/.exec(address);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port < 1 || port > 65535) throw new Error(`invalid address "${address}": expected host:port`);
  return { host: m[1]!, port };
}

export class SocketSink implements AuditSink {
  private stream: Socket | undefined;
  private udp: UdpSocket | undefined;
  /** Set by close(): queued writes of a disabled device must not reconnect. */
  private closed = false;
  private readonly writer = new LineWriter((bytes) => this.send(bytes));

  constructor(
    private readonly address: string,
    private readonly type: SocketType,
    private readonly writeTimeoutMs: number,
  ) {
    if (type !== 'unix') splitHostPort(address);
  }

  write(line: Buffer): Promise<void> {
    return this.writer.write(line);
  }

  reopen(): Promise<void> {
    return this.writer.exclusive(async () => this.drop());
  }

  close(): Promise<void> {
    this.closed = true;
    return this.writer.exclusive(async () => this.drop());
  }

  private drop(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.udp?.close();
    this.udp = undefined;
  }

  private async send(bytes: Buffer): Promise<void> {
    if (this.closed) throw new Error(`audit socket ${this.address} is closed`);
    try {
      await this.sendOnce(bytes);
    } catch {
      this.drop();
      await this.sendOnce(bytes);
    }
  }

  private sendOnce(bytes: Buffer): Promise<void> {
    return this.type === 'udp' ? this.sendDatagram(bytes) : this.sendStream(bytes);
  }

  private async sendStream(bytes: Buffer): Promise<void> {
    const socket = this.stream ?? (await this.connectStream());
    await this.withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.write(bytes, (err) => (err ? reject(err) : resolve()));
      }),
    );
  }

  private connectStream(): Promise<Socket> {
    const target = this.type === 'unix' ? { path: this.address } : splitHostPort(this.address);
    return this.withTimeout(
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(target);
        const fail = (err: Error): void => {
          socket.destroy();
          reject(err);
        };
        socket.once('error', fail);
        socket.once('connect', () => {
          socket.off('error', fail);
          // Later errors surface on the next write; the connection is then replaced.
          socket.on('error', () => undefined);
          socket.on('close', () => {
            if (this.stream === socket) this.stream = undefined;
          });
          // The collector never talks back; reading keeps a half-closed peer detectable.
          socket.on('data', () => undefined);
          this.stream = socket;
          resolve(socket);
        });
      }),
    );
  }

  private sendDatagram(bytes: Buffer): Promise<void> {
    const { host, port } = splitHostPort(this.address);
    if (this.udp === undefined) {
      this.udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      this.udp.on('error', () => undefined);
    }
    const udp = this.udp;
    return this.withTimeout(
      new Promise<void>((resolve, reject) => {
        udp.send(bytes, port, host, (err) => (err ? reject(err) : resolve()));
      }),
    );
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`audit socket write timed out after ${this.writeTimeoutMs} ms`)), this.writeTimeoutMs);
      timer.unref();
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}
