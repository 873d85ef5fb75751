/**
 * Logical storage: what sits above the barrier. Values are plaintext here; the barrier
 * encrypts them on the way down. Backends receive a StorageView scoped to their mount and
 * cannot name keys outside it.
 */
import type { BatchOp } from '../storage/physical.js';

export interface Storage {
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /** Atomic multi-key write. */
  batch(ops: readonly BatchOp[]): Promise<void>;
}

/** A prefix-scoped window on a Storage with JSON helpers. */
export class StorageView implements Storage {
  constructor(
    private readonly inner: Storage,
    readonly prefix: string,
  ) {
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`storage view prefix must end with "/": ${prefix}`);
  }

  private full(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new Error(`invalid storage key: ${key}`);
    return this.prefix + key;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(this.full(key));
  }
  put(key: string, value: Buffer): Promise<void> {
    return this.inner.put(this.full(key), value);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(this.full(key));
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix === '' ? this.prefix : this.full(prefix));
  }
  batch(ops: readonly BatchOp[]): Promise<void> {
    return this.inner.batch(ops.map((op) => ({ ...op, key: this.full(op.key) })));
  }

  async getJSON<T>(key: string): Promise<T | undefined> {
    const raw = await this.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as T);
  }
  putJSON(key: string, value: unknown): Promise<void> {
    return this.put(key, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /** A narrower view below this one. */
  sub(prefix: string): StorageView {
    return new StorageView(this.inner, this.full(prefix));
  }

  /** Every key below prefix, recursively (leaf keys only, relative to this view). */
  async listRecursive(prefix = ''): Promise<string[]> {
    const out: string[] = [];
    const walk = async (p: string): Promise<void> => {
      for (const child of await this.list(p)) {
        if (child.endsWith('/')) await walk(p + child);
        else out.push(p + child);
      }
    };
    await walk(prefix);
    return out;
  }
}
