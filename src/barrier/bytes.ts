/** Byte helpers for key material. */
import { randomFillSync } from 'node:crypto';

/**
 * A copy in its own memory, outside Node's shared Buffer pool (Buffer.from may hand out a pool
 * slice), so zeroing it later touches exactly this key and nothing else.
 */
export function ownedCopy(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  bytes.copy(out);
  return out;
}

/** Overwrite every buffer with zeros. */
export function zeroAll(buffers: Iterable<Buffer>): void {
  for (const b of buffers) b.fill(0);
}

/** A fresh random key in its own memory (filled in place, so no stray copy is left behind). */
export function randomKey(length: number): Buffer {
  return randomFillSync(Buffer.alloc(length));
}
