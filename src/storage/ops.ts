/**
 * Argument checks and defensive copies shared by the backends, so every backend rejects the same
 * inputs and no caller can change stored bytes by mutating a Buffer after (or while) writing it.
 */

import { type BatchOp, checkKey } from './physical.js';

/** A private copy of a value, after checking it is bytes. */
export function copyValue(value: Buffer): Buffer {
  if (!(value instanceof Uint8Array)) throw new TypeError('storage value must be a Buffer');
  return Buffer.from(value);
}

/** Validate every op before any applies (a bad op fails the whole batch) and copy the values. */
export function prepareBatch(ops: readonly BatchOp[]): BatchOp[] {
  if (!Array.isArray(ops)) throw new TypeError('batch ops must be an array');
  return ops.map((op): BatchOp => {
    checkKey(op.key);
    if (op.type === 'put') return { type: 'put', key: op.key, value: copyValue(op.value) };
    if (op.type === 'delete') return { type: 'delete', key: op.key };
    throw new TypeError(`unknown batch op type ${JSON.stringify((op as { type: unknown }).type)}`);
  });
}
