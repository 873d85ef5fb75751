/**
 * The messages between SqlitePhysical (sqlite-writer.ts) and its writer thread
 * (sqlite-writer-thread.ts).
 *
 * Units go down as one transferred buffer per event-loop turn, not as cloned objects (cloning a
 * Buffer that is a slice of node's 8 KiB pool would copy the whole pool):
 *
 *   unit: [u32 id][u8 flags: 1 = relaxed][u32 op count] op*
 *   op:   [u8 0 = put][u32 key bytes][key UTF-8][u32 value bytes][value]
 *       | [u8 1 = delete][u32 key bytes][key UTF-8]
 *
 * Results come up as plain arrays: the ids settled, and the failures with what is needed to
 * rebuild the error on the other side (better-sqlite3's SqliteError keeps its code).
 */
import type { BatchOp } from './physical.js';

export type ToWriter = { readonly t: 'units'; readonly buf: ArrayBuffer } | { readonly t: 'close' };

export interface Failure {
  readonly id: number;
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export interface CheckpointStats {
  readonly requests: number;
  readonly last: { readonly ok: boolean; readonly log: number; readonly checkpointed: number; readonly error?: string } | undefined;
}

export type FromWriter =
  | {
      readonly t: 'settled';
      readonly done: readonly number[];
      readonly failed: readonly Failure[];
      readonly commits: number;
      readonly syncs: number;
      readonly checkpointRequests: number;
    }
  | { readonly t: 'checkpoint'; readonly stats: CheckpointStats }
  | { readonly t: 'closed'; readonly commits: number; readonly syncs: number };

const PUT = 0;
const DELETE = 1;
const RELAXED = 1;

/** Collects the units of one turn; take() hands them over as one transferable buffer. */
export class UnitEncoder {
  private parts: Buffer[] = [];
  private bytes = 0;

  get empty(): boolean {
    return this.parts.length === 0;
  }

  /** Units collected since the last take(). */
  get count(): number {
    return this.parts.length;
  }

  /** Copies every key and value now: the caller may reuse its buffers once this returns. */
  add(id: number, relaxed: boolean, ops: readonly BatchOp[]): void {
    let bound = 9;
    for (const op of ops) bound += 9 + op.key.length * 3 + (op.type === 'put' ? op.value.length : 0);
    const part = Buffer.allocUnsafe(bound);
    part.writeUInt32BE(id, 0);
    part[4] = relaxed ? RELAXED : 0;
    part.writeUInt32BE(ops.length, 5);
    let at = 9;
    for (const op of ops) {
      part[at] = op.type === 'put' ? PUT : DELETE;
      const keyBytes = part.write(op.key, at + 5, 'utf8');
      part.writeUInt32BE(keyBytes, at + 1);
      at += 5 + keyBytes;
      if (op.type === 'put') {
        part.writeUInt32BE(op.value.length, at);
        part.set(op.value, at + 4);
        at += 4 + op.value.length;
      }
    }
    const used = part.subarray(0, at);
    this.parts.push(used);
    this.bytes += used.length;
  }

  /** The collected units in a buffer of their own (not pooled, so it can be transferred). */
  take(): ArrayBuffer {
    const out = Buffer.allocUnsafeSlow(this.bytes);
    let at = 0;
    for (const part of this.parts) at += part.copy(out, at);
    this.parts = [];
    this.bytes = 0;
    return out.buffer as ArrayBuffer;
  }
}

/** Every unit in a buffer made by UnitEncoder, in order. Values are views into `buf`. */
export function decodeUnits(buf: ArrayBuffer, each: (id: number, relaxed: boolean, ops: BatchOp[]) => void): void {
  const b = Buffer.from(buf);
  let at = 0;
  while (at < b.length) {
    const id = b.readUInt32BE(at);
    const relaxed = b[at + 4] === RELAXED;
    const count = b.readUInt32BE(at + 5);
    at += 9;
    const ops: BatchOp[] = [];
    for (let i = 0; i < count; i++) {
      const type = b[at];
      const keyBytes = b.readUInt32BE(at + 1);
      const key = b.toString('utf8', at + 5, at + 5 + keyBytes);
      at += 5 + keyBytes;
      if (type === PUT) {
        const valueBytes = b.readUInt32BE(at);
        ops.push({ type: 'put', key, value: b.subarray(at + 4, at + 4 + valueBytes) });
        at += 4 + valueBytes;
      } else {
        ops.push({ type: 'delete', key });
      }
    }
    each(id, relaxed, ops);
  }
}
