/**
 * A barrier entry: [4-byte big-endian term][AES-256-GCM box (aead.ts)], the storage key as the
 * additional authenticated data. Sealed on the event loop or in the sealing thread
 * (seal-thread-worker.ts); opened by the barrier.
 */
import { encryptAfter } from './aead.js';

export const TERM_LENGTH = 4;

export function sealEntry(term: number, key: Buffer, storageKey: string, plaintext: Buffer): Buffer {
  const entry = encryptAfter(TERM_LENGTH, key, storageKey, plaintext);
  entry.writeUInt32BE(term, 0);
  return entry;
}
