/**
 * A tiny Map-backed Physical for the barrier's tests (the real backends are tested by the
 * storage conformance suite). `failNextBatch` makes the next batch reject before applying
 * anything, to check that callers rely on batch atomicity.
 */
import { type BatchOp, type Physical, checkKey } from '../../src/storage/physical.js';
import { oneLevelOf } from '../../src/storage/one-level.js';

export class MapPhysical implements Physical {
  readonly data = new Map<string, Buffer>();
  failNextBatch = false;
  private closed = false;

  async get(key: string): Promise<Buffer | undefined> {
    this.open();
    checkKey(key);
    const v = this.data.get(key);
    return v === undefined ? undefined : Buffer.from(v);
  }

  async put(key: string, value: Buffer): Promise<void> {
    this.open();
    checkKey(key);
    this.data.set(key, Buffer.from(value));
  }

  async delete(key: string): Promise<void> {
    this.open();
    checkKey(key);
    this.data.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    this.open();
    return oneLevelOf(this.data.keys(), prefix);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    return (await this.list(prefix)).filter((k) => k > after).slice(0, limit);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    this.open();
    for (const op of ops) checkKey(op.key);
    if (this.failNextBatch) {
      this.failNextBatch = false;
      throw new Error('injected batch failure');
    }
    for (const op of ops) {
      if (op.type === 'put') this.data.set(op.key, Buffer.from(op.value));
      else this.data.delete(op.key);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Every stored byte, concatenated: for "the plaintext never reaches storage" checks. */
  allBytes(): Buffer {
    return Buffer.concat([...this.data.values()]);
  }

  private open(): void {
    if (this.closed) throw new Error('physical store is closed');
  }
}
