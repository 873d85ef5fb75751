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
import { copyValue, prepareBatch } from './ops.js';
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

export class InmemPhysical implements Physical {
  readonly faults: InmemFaults = { failWrites: false, failReads: false, delayMs: 0 };
  private readonly values = new Map<string, Buffer>();
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
    return value === undefined ? undefined : Buffer.from(value);
  }

  async put(key: string, value: Buffer): Promise<void> {
    checkKey(key);
    const copy = copyValue(value);
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
    const prepared = prepareBatch(ops);
    await this.enter('write');
    for (const op of prepared) {
      if (op.type === 'put') this.store(op.key, op.value);
      else this.remove(op.key);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private store(key: string, value: Buffer): void {
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
