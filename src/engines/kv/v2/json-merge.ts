/**
 * JSON helpers for KV v2: RFC 7386 merge patch (PATCH of data and metadata) and the subkeys
 * projection. Keys are set as own properties so a "__proto__" key in caller data stays data.
 */
import { BadRequestError } from '../../../errors.js';

/** Nesting bound for caller-supplied JSON walked recursively. */
export const MAX_DEPTH = 256;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** RFC 7386: objects merge recursively, null removes a member, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new BadRequestError('patch nests too deeply');
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = {};
  if (isPlainObject(target)) for (const [k, v] of Object.entries(target)) setOwn(result, k, v);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else setOwn(result, k, mergePatch(Object.prototype.hasOwnProperty.call(result, k) ? result[k] : undefined, v, depth + 1));
  }
  return result;
}

/**
 * The shape of data with every leaf replaced by null. A leaf is a non-object value or an
 * empty object; with depth > 0, keys at that depth are leaves whatever lies below.
 */
export function subkeys(data: Record<string, unknown>, depth: number, level = 1): Record<string, unknown> {
  if (level > MAX_DEPTH) throw new BadRequestError('secret nests too deeply');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const descend = isPlainObject(v) && Object.keys(v).length > 0 && (depth === 0 || level < depth);
    setOwn(out, k, descend ? subkeys(v as Record<string, unknown>, depth, level + 1) : null);
  }
  return out;
}
