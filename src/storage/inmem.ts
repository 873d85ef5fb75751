/**
 * In-memory Physical: the backend of dev mode and of every test above the storage layer.
 * Values live in a Map and the key order in a SortedKeys, so one-level listing seeks instead of
 * scanning. Everything runs synchronously after the optional fault delay, which is what makes a
 * batch atomic here. `faults` lets tests of the barrier, the core and replication make storage
 * fail or slow down without a mock.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { InjectedFaultError, StorageClosedError } from './errors.js';
import { checkLimit, checkPrefix, listOneLevel } from './one-level.js';
import { type BatchOp, type Physical, checkKey } from './physical.js';
import { SortedKeys } from './sorted-keys.js';

/** Fault-injection switches; mutable at any time, read at the start of every call. */
export interface InmemFaults {
  /** put, delete and batch reject with InjectedFaultError and change nothing. */
  failWrites: boolean;
  /** get, list and listPage reject with InjectedFaultError. */
  failReads: boolean;
  /** Every call waits this long (real time) before doing anything. */
  delayMs: number;
}

/**
 * A stored value: its bytes as a one-byte (latin1) string, a lossless encoding of any bytes.
 * A V8 one-byte string costs its length plus a 16-byte header, and owns its memory; a small
 * Buffer is a slice of a shared 8 KiB pool slab that it keeps alive whole, so a million stored
 * Buffers pin mostly garbage (about 1.5 KB per entry measured, against ~0.3 KB of value).
 */
type Stored = string;

/** Check the value is bytes and take its copy (any Uint8Array view is read without a copy first). */
function encode(value: Buffer): Stored {
  if (!(value instanceof Uint8Array)) throw new TypeError('storage value must be a Buffer');
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

/** A batch op checked and encoded (the copy is taken before the call returns). */
type PreparedOp = { readonly type: 'put'; readonly key: string; readonly value: Stored } | { readonly type: 'delete'; readonly key: string };

export class InmemPhysical implements Physical {
  readonly faults: InmemFaults = { failWrites: false, failReads: false, delayMs: 0 };
  private readonly values = new Map<string, Stored>();
  private readonly order = new SortedKeys();
  private readonly scan = this.order.scan.bind(this.order);
  private closed = false;

  /** Number of stored keys. */
  get size(): number {
    return this.values.size;
  }

  async get(key: string): Promise<Buffer | undefined> {
    checkKey(key);
    await this.enter('read');
    const value = this.values.get(key);
    return value === undefined ? undefined : Buffer.from(value, 'latin1');
  }

  async put(key: string, value: Buffer): Promise<void> {
    checkKey(key);
    const copy = encode(value);
    await this.enter('write');
    this.store(key, copy);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.enter('write');
    this.remove(key);
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    await this.enter('read');
    return listOneLevel(this.scan, prefix, '', Number.POSITIVE_INFINITY);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    checkPrefix(prefix);
    if (after !== '') checkKey(after);
    const max = checkLimit(limit);
    await this.enter('read');
    return listOneLevel(this.scan, prefix, after, max);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    const prepared = prepareOps(ops);
    await this.enter('write');
    for (const op of prepared) {
      if (op.type === 'put') this.store(op.key, op.value);
      else this.remove(op.key);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private store(key: string, value: Stored): void {
    if (!this.values.has(key)) this.order.insert(key);
    this.values.set(key, value);
  }

  private remove(key: string): void {
    if (this.values.delete(key)) this.order.remove(key);
  }

  /** The common prologue: refuse when closed, apply the configured delay and failure. */
  private async enter(kind: 'read' | 'write'): Promise<void> {
    if (this.closed) throw new StorageClosedError('inmem');
    if (this.faults.delayMs > 0) {
      await sleep(this.faults.delayMs);
      if (this.closed) throw new StorageClosedError('inmem');
    }
    if (kind === 'read' ? this.faults.failReads : this.faults.failWrites) throw new InjectedFaultError(kind);
  }
}

/** Validate every op before any applies (a bad op fails the whole batch) and encode the values. */
function prepareOps(ops: readonly BatchOp[]): PreparedOp[] {
  if (!Array.isArray(ops)) throw new TypeError('batch ops must be an array');
  return ops.map((op): PreparedOp => {
    checkKey(op.key);
    if (op.type === 'put') return { type: 'put', key: op.key, value: encode(op.value) };
    if (op.type === 'delete') return { type: 'delete', key: op.key };
    throw new TypeError(`unknown batch op type ${JSON.stringify((op as { type: unknown }).type)}`);
  });
}
