/**
 * Internal Response / error -> status, headers and bytes, in Vault's shapes. Pure functions: the
 * listener writes what these return.
 *
 * Vault's conventions reproduced here:
 *  - every envelope field is present; absent values are "" / 0 / false / null, never omitted;
 *  - auth.token_policies and auth.identity_policies are left out when empty (Go omitempty);
 *  - auth.metadata with no keys is null (a nil Go map);
 *  - a response-wrapped answer carries only wrap_info (request_id "", data/auth/warnings null);
 *  - no response: 404 {"errors":[]} for read and list, 204 otherwise; a response with no data,
 *    auth, secret, wrap info or warnings is 204 too;
 *  - errors: {"errors":[...]} with the error's status; unknown errors are a bare 500.
 */
import { isArcaError } from '../errors.js';
import type { Request, Response } from '../logical/request.js';
import { renderAuth, renderEnvelope, renderWrapInfo } from '../logical/envelope.js';

export { renderAuth, renderEnvelope, renderWrapInfo };
import type { HttpLogger } from './handler.js';

export interface Rendered {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * undefined for bodiless answers (204). JSON answers are the string itself: node writes a
   * string body together with the header block in one write, with no Buffer made for it.
   */
  readonly body?: Buffer | string;
}

const JSON_TYPE = 'application/json';
const BASE_HEADERS: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store' };
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
/** The headers of a JSON answer without extra headers, shared (the listener recognises it). */
export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...BASE_HEADERS, 'Content-Type': JSON_TYPE });

export function jsonAnswer(status: number, value: unknown, extra: Readonly<Record<string, string>> = NO_HEADERS): Rendered {
  return {
    status,
    headers: isEmpty(extra) ? JSON_HEADERS : { ...JSON_HEADERS, ...extra },
    body: JSON.stringify(value),
  };
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

function noContent(extra: Readonly<Record<string, string>> = {}): Rendered {
  return { status: 204, headers: { ...BASE_HEADERS, ...extra } };
}

/** Vault answers 204 for a response that carries nothing a client could read. */
export function isEmptyResponse(resp: Response): boolean {
  return (
    resp.raw === undefined &&
    (resp.data === undefined || resp.data === null) &&
    resp.auth === undefined &&
    resp.secret === undefined &&
    resp.wrapInfo === undefined &&
    (resp.warnings === undefined || resp.warnings.length === 0)
  );
}

function renderRaw(raw: NonNullable<Response['raw']>, extra: Readonly<Record<string, string>>): Rendered {
  if (!Number.isInteger(raw.status) || raw.status < 200 || raw.status > 599) {
    throw new Error(`raw response has invalid status ${String(raw.status)}`);
  }
  const { body } = raw;
  let bytes: Buffer | undefined;
  let type: string | undefined;
  if (body === undefined || body === null) {
    bytes = undefined;
  } else if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    bytes = Buffer.from(body);
    type = 'application/octet-stream';
  } else if (typeof body === 'string') {
    bytes = Buffer.from(body, 'utf8');
    type = 'text/plain; charset=utf-8';
  } else {
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
    type = JSON_TYPE;
  }
  const contentType = raw.contentType ?? type;
  const headers: Record<string, string> = { ...BASE_HEADERS };
  if (contentType !== undefined && bytes !== undefined) headers['Content-Type'] = contentType;
  Object.assign(headers, extra);
  if (raw.status === 204 || raw.status === 304) return { status: raw.status, headers };
  return bytes === undefined ? { status: raw.status, headers } : { status: raw.status, headers, body: bytes };
}

/**
 * Render what the core returned. Throws (plain Error) if the response cannot be serialised;
 * the listener then answers with renderError.
 */
export function renderResponse(req: Request, resp: Response | undefined): Rendered {
  if (resp === undefined) {
    if (req.operation === 'read' || req.operation === 'list') return jsonAnswer(404, { errors: [] });
    return noContent();
  }
  const extra = resp.headers ?? NO_HEADERS;
  if (resp.raw !== undefined) return renderRaw(resp.raw, extra);
  // Vault answers ?help=1 with the help fields at the top level, not inside an envelope.
  if (req.operation === 'help' && resp.data !== undefined) return jsonAnswer(200, resp.data, extra);
  if (isEmptyResponse(resp)) return noContent(extra);
  const envelope = renderEnvelope(req, resp);
  const body = resp.legacyTopLevel && resp.data !== undefined ? { ...resp.data, ...envelope } : envelope;
  return jsonAnswer(resp.statusCode ?? 200, body, extra);
}

export interface ErrorContext {
  readonly requestId?: string;
  readonly operation?: string;
  readonly path?: string;
}

/**
 * Render an error. ArcaErrors carry their status and client-safe messages; anything else is an
 * internal error whose details go to the log only (never a message or stack to the client).
 */
export function renderError(err: unknown, log: HttpLogger, context: ErrorContext = {}): Rendered {
  if (isArcaError(err) && Number.isInteger(err.status) && err.status >= 400 && err.status <= 599) {
    if (err.status === 500) {
      const cause = err.cause === undefined ? undefined : describe(err.cause);
      log.error({ ...context, code: err.code, ...(cause === undefined ? {} : { cause }) }, 'request failed');
    }
    return jsonAnswer(err.status, { errors: err.errors }, err.headers);
  }
  log.error({ ...context, error: describe(err) }, 'internal error while handling request');
  return jsonAnswer(500, { errors: ['internal error'] });
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  try {
    return String(err);
  } catch {
    return 'unprintable error';
  }
}

/** Bytes of a rendered body (its Content-Length). */
export function bodyBytes(body: Buffer | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
}
