/**
 * The file device's sinks: an append-only file (reopened on SIGHUP so log rotation can move
 * the old file away), the process's stdout (`file_path=stdout`) and `discard`.
 *
 * The file opens lazily and again after any failed write, so a device whose file became
 * unwritable fails every write (the broker then fails requests closed) until the file can be
 * opened again.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LineWriter } from './line-writer.js';

export interface AuditSink {
  /** Resolves once the line is handed to the OS (file, socket); rejects if it was not. */
  write(line: Buffer): Promise<void>;
  /** Reopen the underlying file or connection (SIGHUP). */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export class FileSink implements AuditSink {
  private handle: FileHandle | undefined;
  /** Set by close(): a write still queued for a disabled device must not reopen its file. */
  private closed = false;
  private readonly writer: LineWriter;

  /** `mode` undefined: leave the file's permissions alone (Vault's mode "0000"). */
  constructor(
    readonly path: string,
    private readonly mode: number | undefined,
  ) {
    this.writer = new LineWriter((bytes) => this.append(bytes));
  }

  /** Open now (enable-time sanity check); the error says why the file is unusable. */
  async check(): Promise<void> {
    await this.writer.exclusive(async () => {
      this.handle ??= await this.openFile();
    });
  }

  write(line: Buffer): Promise<void> {
    return this.writer.write(line);
  }

  reopen(): Promise<void> {
    return this.writer.exclusive(async () => {
      if (this.closed) return;
      const old = this.handle;
      this.handle = undefined;
      await old?.close().catch(() => undefined);
      this.handle = await this.openFile();
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return this.writer.exclusive(async () => {
      const old = this.handle;
      this.handle = undefined;
      await old?.close().catch(() => undefined);
    });
  }

  private async openFile(): Promise<FileHandle> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const fh = await open(this.path, 'a', this.mode ?? 0o600);
    try {
      // As Vault: an existing file gets the configured mode too.
      if (this.mode !== undefined) await fh.chmod(this.mode);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return fh;
  }

  private async append(bytes: Buffer): Promise<void> {
    if (this.closed) throw new Error(`audit file ${this.path} is closed`);
    this.handle ??= await this.openFile();
    const fh = this.handle;
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      // Start from a fresh open next time (the file may have been replaced or repaired).
      if (this.handle === fh) this.handle = undefined;
      await fh.close().catch(() => undefined);
      throw err;
    }
  }
}

/** `file_path=stdout`: entries go to the server's standard output. */
export class StdoutSink implements AuditSink {
  private readonly writer = new LineWriter(
    (bytes) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()));
      }),
  );

  write(line: Buffer): Promise<void> {
    return this.writer.write(line);
  }
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}

/** `file_path=discard`: entries are formatted (so hashing and options are exercised) and dropped. */
export class DiscardSink implements AuditSink {
  async write(): Promise<void> {}
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A device whose stored configuration cannot be used any more: every write fails (fail closed). */
export class BrokenSink implements AuditSink {
  constructor(private readonly reason: string) {}
  write(): Promise<void> {
    return Promise.reject(new Error(this.reason));
  }
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}
