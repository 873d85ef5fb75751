/**
 * Batch tokens need no storage: the token is its own entry, sealed with AES-256-GCM under a
 * per-cluster key kept in local storage (behind the barrier). A batch token is
 * "b." + base64url(nonce | ciphertext | tag); anything that fails to open is simply unknown.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomBytes } from '../util/random.js';
import type { TokenEntry } from './token-entry.js';

const NONCE = 12;
const TAG = 16;
const AAD = Buffer.from('arca-batch-token-v1');
export const BATCH_PREFIX = 'b.';

export function sealBatchToken(key: Buffer, entry: TokenEntry): string {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(JSON.stringify(entry), 'utf8'), cipher.final()]);
  return BATCH_PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
}

export function openBatchToken(key: Buffer, token: string): TokenEntry | undefined {
  if (!token.startsWith(BATCH_PREFIX)) return undefined;
  const raw = Buffer.from(token.slice(BATCH_PREFIX.length), 'base64url');
  if (raw.length < NONCE + TAG + 2) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE));
    decipher.setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - TAG));
    const plain = Buffer.concat([decipher.update(raw.subarray(NONCE, raw.length - TAG)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as TokenEntry;
  } catch {
    return undefined;
  }
}
