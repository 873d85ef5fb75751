/**
 * Serialises what a device writes and groups lines that arrive while a write is in flight into
 * the next single write (group commit): entries never interleave, a busy device costs one
 * system call per batch rather than per line, and each caller still learns whether its own
 * line was written (a failed batch fails every line in it). Maintenance operations (reopen,
 * close) run between batches, never during one.
 */
type Item =
  | { readonly kind: 'line'; readonly line: Buffer; readonly resolve: () => void; readonly reject: (err: unknown) => void }
  | { readonly kind: 'op'; readonly fn: () => Promise<void>; readonly resolve: () => void; readonly reject: (err: unknown) => void };

export class LineWriter {
  private queue: Item[] = [];
  private running = false;

  constructor(private readonly flush: (bytes: Buffer) => Promise<void>) {}

  write(line: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'line', line, resolve, reject });
      this.kick();
    });
  }

  /** Run fn with no write in progress. */
  exclusive(fn: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'op', fn, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'op') {
        this.queue.shift();
        await head.fn().then(head.resolve, head.reject);
        continue;
      }
      let n = 0;
      while (n < this.queue.length && this.queue[n]!.kind === 'line') n++;
      const batch = this.queue.splice(0, n) as Extract<Item, { kind: 'line' }>[];
      const bytes = batch.length === 1 ? batch[0]!.line : Buffer.concat(batch.map((b) => b.line));
      try {
        await this.flush(bytes);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.running = false;
  }
}
