/**
 * Reading and decoding request bodies. The size limit is enforced while reading: a body
 * announced or found to be larger than the listener's limit stops the read at once, so a client
 * can never make the server buffer more than the limit.
 */
import type { IncomingMessage } from 'node:http';
import { BadRequestError, RequestTooLargeError } from '../errors.js';
import { describeJSONSyntaxError } from './json-syntax.js';
import { decodeUtf8, parseQuery, setField } from './url.js';

/** Read the whole body; `limit` <= 0 means unlimited. */
export function readBody(msg: IncomingMessage, limit: number): Promise<Buffer> {
  const announced = msg.headers['content-length'];
  if (limit > 0 && announced !== undefined && /^[0-9]+$/.test(announced) && Number(announced) > limit) {
    return Promise.reject(new RequestTooLargeError());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      msg.off('data', onData);
      msg.off('end', onEnd);
      msg.off('error', onError);
      msg.off('close', onClose);
      if (err === undefined) resolve(Buffer.concat(chunks, size));
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (limit > 0 && size > limit) {
        // Stop reading; the answer is 413 and the connection is closed after it.
        msg.pause();
        chunks.length = 0;
        finish(new RequestTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new BadRequestError('failed to read request body'));
    const onClose = (): void => {
      if (!msg.complete) finish(new BadRequestError('failed to read request body'));
    };
    msg.on('data', onData);
    msg.on('end', onEnd);
    msg.on('error', onError);
    msg.on('close', onClose);
  });
}

function goKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value; // 'string' | 'number'
}

/**
 * Decode a JSON object body. Empty (or whitespace-only) and `null` bodies are an empty object,
 * as in Vault. Everything else that is not an object is a 400 with Go's wording.
 */
export function decodeJSONObject(body: Buffer): Record<string, unknown> {
  const text = decodeUtf8(body);
  if (text === undefined) throw new BadRequestError('failed to parse JSON input: invalid UTF-8 in request body');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const detail = describeJSONSyntaxError(text) ?? 'invalid JSON';
    throw new BadRequestError(`failed to parse JSON input: ${detail}`);
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestError(
      `failed to parse JSON input: json: cannot unmarshal ${goKind(value)} into Go value of type map[string]interface {}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Whether a write body is a form rather than JSON: Vault parses it as a form only when the
 * Content-Type says so and the body does not start (after whitespace) like a JSON object or array.
 */
export function isFormBody(contentType: string | undefined, body: Buffer): boolean {
  // The usual answer without parsing the header: no Content-Type, or the one JSON clients send.
  if (contentType === undefined || contentType === 'application/json') return false;
  if (mediaType(contentType) !== 'application/x-www-form-urlencoded') return false;
  for (const c of body.subarray(0, 512)) {
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c !== 0x7b && c !== 0x5b; // '{' or '['
  }
  return true;
}

export function decodeFormBody(body: Buffer): Record<string, unknown> {
  return parseQuery(body.toString('latin1'), 'form body');
}

/** Media type of a Content-Type value, lower-cased, without parameters; "" when malformed. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : '';
}

/** Merge fields of `extra` over `base` without invoking setters. */
export function mergeFields(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) setField(out, k, v);
  for (const [k, v] of Object.entries(extra)) setField(out, k, v);
  return out;
}
