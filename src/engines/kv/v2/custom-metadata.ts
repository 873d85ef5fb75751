/**
 * custom_metadata of a KV v2 key: string-to-string pairs within Vault's documented limits
 * (64 keys, keys up to 128 bytes, values up to 512 bytes, printable characters only).
 * Error messages name keys (paths and metadata keys are not secret) but never values.
 */
import { BadRequestError } from '../../../errors.js';

export const MAX_CUSTOM_METADATA_KEYS = 64;
export const MAX_CUSTOM_METADATA_KEY_BYTES = 128;
export const MAX_CUSTOM_METADATA_VALUE_BYTES = 512;

/** Anything but letters, marks, numbers, punctuation, symbols and the ASCII space. */
const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}]|[^\P{Zs} ]/u;

/** Validate a complete custom_metadata map; returns it typed as strings. */
export function checkCustomMetadata(raw: Readonly<Record<string, unknown>>): Record<string, string> {
  const problems: string[] = [];
  const out: Record<string, string> = {};
  const entries = Object.entries(raw);
  if (entries.length > MAX_CUSTOM_METADATA_KEYS) {
    problems.push(`payload must contain at most ${MAX_CUSTOM_METADATA_KEYS} keys, provided ${entries.length}`);
  }
  for (const [key, value] of entries) {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > MAX_CUSTOM_METADATA_KEY_BYTES) {
      problems.push(`length of key ${JSON.stringify(key)} is ${keyBytes} but max is ${MAX_CUSTOM_METADATA_KEY_BYTES}`);
    }
    if (UNPRINTABLE.test(key)) problems.push(`key ${JSON.stringify(key)} contains unprintable characters`);
    if (typeof value !== 'string') {
      problems.push(`value for key ${JSON.stringify(key)} must be a string`);
      continue;
    }
    const valueBytes = Buffer.byteLength(value, 'utf8');
    if (valueBytes > MAX_CUSTOM_METADATA_VALUE_BYTES) {
      problems.push(`length of value for key ${JSON.stringify(key)} is ${valueBytes} but max is ${MAX_CUSTOM_METADATA_VALUE_BYTES}`);
    }
    if (UNPRINTABLE.test(value)) problems.push(`value for key ${JSON.stringify(key)} contains unprintable characters`);
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  if (problems.length > 0) throw new BadRequestError(`custom_metadata validation failed: ${problems.join('; ')}`);
  return out;
}
