/**
 * Request-target handling. Node hands the target over as a latin1 string (one char per byte),
 * so the functions here work on bytes: percent-decoding yields bytes, and only then are they
 * decoded as UTF-8, strictly. Query strings follow Go's url.ParseQuery, which Vault uses:
 * '&' separates pairs, '+' is a space, and a pair with a bad escape or a ';' is dropped.
 */
import { BadRequestError } from '../errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode; undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Percent-decode a latin1 string to bytes. Returns undefined on a malformed escape.
 * `plusIsSpace` applies the form/query rule.
 */
export function percentDecode(raw: string, plusIsSpace: boolean): Buffer | undefined {
  const input = Buffer.from(raw, 'latin1');
  const out = Buffer.allocUnsafe(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === 0x25) {
      const hi = i + 1 < input.length ? hexValue(input[i + 1]!) : -1;
      const lo = i + 2 < input.length ? hexValue(input[i + 2]!) : -1;
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = hi * 16 + lo;
      i += 2;
    } else if (c === 0x2b && plusIsSpace) {
      out[n++] = 0x20;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

export interface RequestTarget {
  /** Decoded path, starting with "/". */
  readonly path: string;
  /** Raw (still encoded) query string without "?", "" when absent. */
  readonly rawQuery: string;
}

/**
 * Split and decode a request target. Absolute-form targets ("http://host/v1/x") are accepted as
 * Go's server does. Throws BadRequestError for control characters, bad escapes or invalid UTF-8.
 */
/** Origin-form targets of printable ASCII without escapes decode to themselves: the common case. */
const PLAIN_TARGET = /^\/[\x21-\x22\x24\x26-\x7e]*$/;

export function parseTarget(target: string): RequestTarget {
  if (PLAIN_TARGET.test(target)) {
    // No "%", "#", control or non-ASCII characters, no absolute form: nothing to decode.
    const q = target.indexOf('?');
    return q >= 0 ? { path: target.slice(0, q), rawQuery: target.slice(q + 1) } : { path: target, rawQuery: '' };
  }
  if (/[\x00-\x1f\x7f]/.test(target)) throw new BadRequestError('invalid control character in URL');
  let rest = target;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
  if (absolute !== null) rest = rest.slice(absolute[0].length);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const rawPath = q >= 0 ? rest.slice(0, q) : rest;
  const rawQuery = q >= 0 ? rest.slice(q + 1) : '';
  const bytes = percentDecode(rawPath, false);
  if (bytes === undefined) throw new BadRequestError('invalid URL escape in request path');
  const path = decodeUtf8(bytes);
  if (path === undefined) throw new BadRequestError('request path is not valid UTF-8');
  return { path: path.startsWith('/') ? path : `/${path}`, rawQuery };
}

/** Define a field without ever invoking a setter such as __proto__. */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Parse a query string or form body into fields: a key given once is a string, a repeated key
 * an array of strings (Vault's parseQuery). Invalid UTF-8 is rejected rather than mangled.
 */
export function parseQuery(raw: string, what = 'query string'): Record<string, unknown> {
  if (raw === '') return {};
  const values = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const keyBytes = percentDecode(eq >= 0 ? pair.slice(0, eq) : pair, true);
    const valueBytes = percentDecode(eq >= 0 ? pair.slice(eq + 1) : '', true);
    if (keyBytes === undefined || valueBytes === undefined) continue;
    const key = decodeUtf8(keyBytes);
    const value = decodeUtf8(valueBytes);
    if (key === undefined || value === undefined) throw new BadRequestError(`${what} is not valid UTF-8`);
    const list = values.get(key);
    if (list === undefined) values.set(key, [value]);
    else list.push(value);
  }
  const out: Record<string, unknown> = {};
  for (const [key, list] of values) setField(out, key, list.length === 1 ? list[0] : list);
  return out;
}
