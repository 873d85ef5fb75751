/**
 * What crosses the cluster port between a standby and its active node: the client's request as
 * the HTTP shell parsed it (token, headers and client address included, so the active node runs
 * it exactly as if it had arrived there: same token checks, CIDR bindings, audit), and the answer
 * as the active node rendered it (status, headers, body bytes), which the standby relays.
 *
 * Both ends belong to one HA cluster (mutual TLS with the cluster's own identity), so the token
 * travels as it would have to the active node directly. The body is still validated: a peer is
 * trusted to be ours, not to be bug-free.
 */
import { BadRequestError } from '../errors.js';
import type { Operation, Request } from '../logical/request.js';

export const FORWARD_PATH = '/arca/ha/v1/request';
/** The API's own limit (32 MiB) plus JSON and base64 overhead. */
export const MAX_FORWARD_BODY = 48 * 1024 * 1024;

export interface ForwardedRequest {
  readonly id: string;
  readonly operation: Operation;
  readonly path: string;
  readonly data: Record<string, unknown>;
  readonly clientToken: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly wrapTTL: number;
  readonly remoteAddr: string;
}

export interface ForwardedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** base64 of the body; null for a bodiless answer. */
  readonly body: string | null;
}

const OPERATIONS: readonly Operation[] = ['read', 'create', 'update', 'patch', 'delete', 'list', 'help', 'renew', 'revoke'];

export function encodeRequest(req: Request): ForwardedRequest {
  return {
    id: req.id,
    operation: req.operation,
    path: req.path,
    data: req.data,
    clientToken: req.clientToken,
    headers: req.headers,
    wrapTTL: req.wrapTTL,
    remoteAddr: req.remoteAddr,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The request again, or BadRequestError for anything malformed. */
export function decodeRequest(body: unknown): Request {
  if (!isRecord(body)) throw new BadRequestError('malformed forwarded request');
  const { id, operation, path, data, clientToken, headers, wrapTTL, remoteAddr } = body;
  if (typeof id !== 'string' || typeof path !== 'string' || !OPERATIONS.includes(operation as Operation) || typeof clientToken !== 'string' || typeof remoteAddr !== 'string') {
    throw new BadRequestError('malformed forwarded request');
  }
  const cleanHeaders: Record<string, string> = {};
  if (isRecord(headers)) for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') cleanHeaders[k.toLowerCase()] = v;
  return {
    id,
    operation: operation as Operation,
    path,
    data: isRecord(data) ? data : {},
    clientToken,
    headers: cleanHeaders,
    wrapTTL: typeof wrapTTL === 'number' && Number.isFinite(wrapTTL) && wrapTTL >= 0 ? wrapTTL : 0,
    remoteAddr,
  };
}

export function decodeAnswer(body: unknown): ForwardedAnswer | undefined {
  if (!isRecord(body)) return undefined;
  const { status, headers, body: bytes } = body;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return undefined;
  if (bytes !== null && typeof bytes !== 'string') return undefined;
  const clean: Record<string, string> = {};
  if (isRecord(headers)) for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') clean[k] = v;
  return { status, headers: clean, body: bytes };
}
