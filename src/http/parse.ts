/**
 * HTTP request -> internal Request, following Vault's mapping:
 *
 *   GET            read (list when ?list=true; the path then gets a trailing "/")
 *   LIST           list (trailing "/" added, as Vault does)
 *   PUT, POST      update (the core turns it into create after its existence check)
 *   PATCH          patch; requires Content-Type application/merge-patch+json, else 415
 *   DELETE         delete
 *   HEAD           read, on sys/health only
 *   anything else  405 {"errors":[]}
 *   ?help=<any non-empty value> on any of the above -> help
 *
 * Query parameters become `data` for GET, LIST, HEAD and DELETE (minus `list` and `help`);
 * PUT/POST/PATCH (and DELETE when it has a body) take a JSON object body, or a form body for
 * PUT/POST when sent as application/x-www-form-urlencoded. Errors are thrown as ArcaError.
 */
import { type ForwardedForPolicy, forwardedClientAddress } from './forwarded-for.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { BadRequestError } from '../errors.js';
import type { Operation, Request } from '../logical/request.js';
import { TokenHashMemo } from '../token/connection-memo.js';
import { parseDurationSeconds } from '../util/duration.js';
import { decodeFormBody, decodeJSONObject, isFormBody, mediaType, mergeFields, readBody } from './body.js';
import { MethodNotAllowedError, UnsupportedMediaTypeError } from './http-errors.js';
import { isFramed } from './framed-connection.js';
import { LIST_METHOD_ALIAS } from './request-framer.js';
import { parseQuery, parseTarget, type RequestTarget } from './url.js';

export interface ParseOptions {
  /** Largest accepted body in bytes; <= 0 means no limit. */
  readonly maxRequestSize: number;
  /** The listener's X-Forwarded-For policy; absent: the connection's address is the client's. */
  readonly forwardedFor?: ForwardedForPolicy;
}

export const API_PREFIX = '/v1/';
const MERGE_PATCH = 'application/merge-patch+json';
/** Headers carrying the token: the token travels in `clientToken` only, never in `headers`. */
const TOKEN_HEADERS = new Set(['x-vault-token', 'authorization']);

/** Values Go's strconv.ParseBool accepts, which Vault uses for ?list=. */
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The API path below /v1/ for a decoded request path, or undefined when it is not an API path. */
export function apiPath(decodedPath: string): string | undefined {
  return decodedPath.startsWith(API_PREFIX) ? decodedPath.slice(API_PREFIX.length) : undefined;
}

/** Rejects "." and ".." segments and empty segments other than a trailing slash. */
export function validateApiPath(path: string): void {
  // A dot segment needs a leading "." or a "/."; an empty non-final segment a leading "/" or a "//".
  if (!path.startsWith('.') && !path.startsWith('/') && !path.includes('/.') && !path.includes('//')) return;
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '.' || seg === '..') throw new BadRequestError('invalid request path: dot segments are not allowed');
    if (seg === '' && i !== segments.length - 1) throw new BadRequestError('invalid request path: empty path segment');
  }
}

function singleQueryValue(query: Record<string, unknown>, key: string): string {
  const v = query[key];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return String(v[0] ?? '');
  return '';
}

function withoutControlParams(query: Record<string, unknown>): Record<string, unknown> {
  let any = false;
  for (const _ in query) {
    any = true;
    break;
  }
  if (!any) return {};
  const out = mergeFields(query, {});
  delete out['list'];
  delete out['help'];
  return out;
}

function flattenHeaders(msg: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = msg.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || (TOKEN_HEADERS.has(name) && !isClientCredentials(name, value))) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * An Authorization header that is not a Bearer token carries no Vault token: an OIDC provider's
 * client authenticating with Basic credentials (client_secret_basic). It reaches the backend.
 */
function isClientCredentials(name: string, value: string | string[]): boolean {
  return name === 'authorization' && typeof value === 'string' && !/^bearer(\s|$)/i.test(value.trim());
}

/** X-Vault-Token, else "Authorization: Bearer <token>". */
export function tokenFrom(headers: IncomingMessage['headers']): string {
  const vaultToken = headers['x-vault-token'];
  if (typeof vaultToken === 'string' && vaultToken.trim() !== '') return vaultToken.trim();
  const authorization = headers['authorization'];
  if (typeof authorization === 'string') {
    const m = /^bearer\s+(.+)$/i.exec(authorization.trim());
    if (m !== null) return m[1]!.trim();
  }
  return '';
}

/** X-Vault-Wrap-TTL as seconds (0 when absent). */
export function wrapTTLFrom(headers: IncomingMessage['headers']): number {
  const raw = headers['x-vault-wrap-ttl'];
  if (typeof raw !== 'string' || raw.trim() === '') return 0;
  let seconds: number;
  try {
    seconds = parseDurationSeconds(raw);
  } catch (err) {
    throw new BadRequestError(`invalid X-Vault-Wrap-TTL: ${err instanceof Error ? err.message : 'bad duration'}`);
  }
  if (seconds < 0) throw new BadRequestError('requested wrap ttl cannot be negative');
  return seconds;
}

interface Mapped {
  operation: Operation;
  path: string;
  data: Record<string, unknown>;
}

/** Methods served on some path; everything else is 405 before anything else is looked at. */
const SERVED_METHODS: ReadonlySet<string> = new Set(['GET', LIST_METHOD_ALIAS, 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE']);

async function mapMethod(
  msg: IncomingMessage,
  path: string,
  query: Record<string, unknown>,
  opts: ParseOptions,
): Promise<Mapped> {
  const queryData = withoutControlParams(query);
  const withSlash = path.endsWith('/') ? path : `${path}/`;
  switch (msg.method) {
    case 'GET': {
      const list = singleQueryValue(query, 'list');
      if (list === '' || FALSE_VALUES.has(list)) return { operation: 'read', path, data: queryData };
      if (TRUE_VALUES.has(list)) return { operation: 'list', path: withSlash, data: queryData };
      throw new BadRequestError(`invalid value for list parameter: ${JSON.stringify(list)}`);
    }
    case LIST_METHOD_ALIAS:
      return { operation: 'list', path: withSlash, data: queryData };
    case 'HEAD':
      if (path !== 'sys/health') throw new MethodNotAllowedError();
      return { operation: 'read', path, data: queryData };
    case 'PUT':
    case 'POST': {
      const body = await readBody(msg, opts.maxRequestSize);
      const contentType = msg.headers['content-type'];
      const data = isFormBody(contentType, body) ? decodeFormBody(body) : decodeJSONObject(body);
      return { operation: 'update', path, data };
    }
    case 'PATCH': {
      const type = mediaType(msg.headers['content-type']);
      if (type !== MERGE_PATCH) {
        throw new UnsupportedMediaTypeError(`PATCH requires Content-Type of ${MERGE_PATCH}, got ${JSON.stringify(type)}`);
      }
      const body = await readBody(msg, opts.maxRequestSize);
      return { operation: 'patch', path, data: decodeJSONObject(body) };
    }
    case 'DELETE': {
      const hasBody = msg.headers['transfer-encoding'] !== undefined || Number(msg.headers['content-length'] ?? 0) > 0;
      if (!hasBody) return { operation: 'delete', path, data: queryData };
      const body = await readBody(msg, opts.maxRequestSize);
      return { operation: 'delete', path, data: mergeFields(queryData, decodeJSONObject(body)) };
    }
    default:
      throw new MethodNotAllowedError();
  }
}

/**
 * Build the internal Request for a request whose path starts with /v1/ (the listener answers
 * other paths itself). Throws ArcaError subclasses for everything the client got wrong.
 */
export async function parseRequest(msg: IncomingMessage, opts: ParseOptions, parsedTarget?: RequestTarget): Promise<Request> {
  const method = msg.method ?? '';
  // The alias means LIST only where the framer put it; a client sending it is refused like any other.
  if (!SERVED_METHODS.has(method) || (method === LIST_METHOD_ALIAS && !isFramed(msg.socket))) throw new MethodNotAllowedError();
  const target = parsedTarget ?? parseTarget(msg.url ?? '/');
  const below = apiPath(target.path);
  if (below === undefined) throw new BadRequestError('not an API path');
  validateApiPath(below);
  const query = parseQuery(target.rawQuery);
  // Headers are checked before any body is read.
  const connection = clientAddress(msg.socket?.remoteAddress);
  const remoteAddr = opts.forwardedFor === undefined ? connection : forwardedClientAddress(connection, msg.headers['x-forwarded-for'], opts.forwardedFor);
  const clientToken = tokenFrom(msg.headers);
  const wrapTTL = wrapTTLFrom(msg.headers);
  const headers = flattenHeaders(msg);
  // Help never looks at the body, as in Vault.
  const help = singleQueryValue(query, 'help') !== '';
  if (help && msg.method === 'HEAD' && below !== 'sys/health') throw new MethodNotAllowedError();
  const mapped: Mapped = help
    ? { operation: 'help', path: below, data: {} }
    : await mapMethod(msg, below, query, opts);
  return {
    id: randomUUID(),
    operation: mapped.operation,
    path: mapped.path,
    data: mapped.data,
    clientToken,
    headers,
    wrapTTL,
    remoteAddr,
    tokenMemo: clientToken === '' || msg.socket === undefined || msg.socket === null ? undefined : tokenMemoOf(msg.socket),
  };
}

const tokenMemos = new WeakMap<Socket, TokenHashMemo>();

/** One memo per client connection, dropped with it (src/token/connection-memo.ts). */
function tokenMemoOf(socket: Socket): TokenHashMemo {
  let memo = tokenMemos.get(socket);
  if (memo === undefined) {
    const created = new TokenHashMemo();
    memo = created;
    tokenMemos.set(socket, created);
    socket.once('close', () => created.clear());
  }
  return memo;
}

/** A dual-stack listener reports IPv4 clients as "::ffff:a.b.c.d"; CIDR checks want "a.b.c.d". */
function clientAddress(address: string | undefined): string {
  if (address === undefined) return '';
  if (!address.startsWith('::')) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped === null ? address : mapped[1]!;
}
