/**
 * A Map-based logical Storage for tests that need no barrier or physical backend. Listing
 * follows the physical contract (one level, folders as "name/", sorted). Fault switches let
 * tests prove atomicity: a failed batch applies nothing.
 */
import type { Storage } from '../../src/logical/storage.js';
import type { BatchOp } from '../../src/storage/physical.js';
import { oneLevelOf } from '../../src/storage/one-level.js';

export class MemoryStorage implements Storage {
  readonly entries = new Map<string, Buffer>();
  /** Number of batch() calls that were applied. */
  batches = 0;
  /** Number of put/delete/batch calls that were applied. */
  writes = 0;
  /** When set, every write (put, delete, batch) rejects with this error and changes nothing. */
  failWrites: Error | undefined;

  async get(key: string): Promise<Buffer | undefined> {
    const value = this.entries.get(key);
    return value === undefined ? undefined : Buffer.from(value);
  }

  async put(key: string, value: Buffer): Promise<void> {
    this.checkWritable();
    this.entries.set(key, Buffer.from(value));
    this.writes++;
  }

  async delete(key: string): Promise<void> {
    this.checkWritable();
    this.entries.delete(key);
    this.writes++;
  }

  async list(prefix: string): Promise<string[]> {
    return oneLevelOf(this.entries.keys(), prefix);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    this.checkWritable();
    for (const op of ops) {
      if (op.type === 'put') this.entries.set(op.key, Buffer.from(op.value));
      else this.entries.delete(op.key);
    }
    this.batches++;
    this.writes++;
  }

  /** Every key, sorted (for assertions about layout). */
  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  private checkWritable(): void {
    if (this.failWrites !== undefined) throw this.failWrites;
  }
}
