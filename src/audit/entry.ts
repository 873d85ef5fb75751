/**
 * Vault's audit entry format: one JSON object per request ("type":"request", written before the
 * backend runs) and per response ("type":"response", after), with `time`, `auth`, `request`,
 * `response`, `error` and, for requests a secondary forwarded, `forwarded_from`.
 *
 * Sensitive values go through the device's hash functions: every string of request and
 * response data, client tokens, accessors (unless hmac_accessor=false), wrapping tokens and
 * audited headers marked hmac. Policies, paths, metadata, display names, lease ids and
 * numbers stay readable, as in Vault.
 */
import { isArcaError } from '../errors.js';
import type { AuthBlock, CallerAuth, Request, Response, WrapInfo } from '../logical/request.js';
import { hashStructure, type HashFn } from './hasher.js';

export interface EntryFormat {
  /** Applied to tokens and every data string. */
  readonly hash: HashFn;
  /** Applied to accessors: the hash, or identity when the device has hmac_accessor=false. */
  readonly hashAccessor: HashFn;
  /** List responses log the number of keys instead of the keys (elide_list_responses). */
  readonly elideListResponses: boolean;
}

/** What the pipeline knows about one request when it is logged. */
export interface LogInput {
  readonly request: Request;
  /** "secret" or "auth": the kind of mount that served the request. */
  readonly mountClass?: string;
  readonly nonHmacRequestKeys?: ReadonlySet<string>;
  readonly nonHmacResponseKeys?: ReadonlySet<string>;
  readonly response?: Response;
  readonly error?: unknown;
  /** The cluster id of the secondary that forwarded the request (audited on the primary). */
  readonly forwardedFrom?: string;
  /** Configured audited request headers: lower-case name -> whether the value is hashed. */
  readonly auditedHeaders: ReadonlyMap<string, boolean>;
}

export type EntryType = 'request' | 'response';

/** Vault's error text for the entry: ArcaErrors' client-safe messages, nothing of anything else. */
export function errorText(err: unknown): string {
  if (err === undefined) return '';
  if (isArcaError(err)) return err.errors.join('\n');
  return 'internal error';
}

function callerAuth(auth: CallerAuth | undefined, token: string, fmt: EntryFormat): Record<string, unknown> {
  // An unauthenticated request (a login) has no caller yet; Vault writes the default type.
  if (auth === undefined) return { token_type: 'default' };
  const out: Record<string, unknown> = {};
  if (token !== '') out['client_token'] = fmt.hash(token);
  if (auth.accessor !== '') out['accessor'] = fmt.hashAccessor(auth.accessor);
  if (auth.displayName !== '') out['display_name'] = auth.displayName;
  if (auth.policies.length > 0) out['policies'] = auth.policies;
  if (auth.tokenPolicies.length > 0) out['token_policies'] = auth.tokenPolicies;
  if (auth.identityPolicies.length > 0) out['identity_policies'] = auth.identityPolicies;
  if (Object.keys(auth.metadata).length > 0) out['metadata'] = auth.metadata;
  if (auth.entityId !== '') out['entity_id'] = auth.entityId;
  out['token_type'] = auth.tokenType;
  return out;
}

function auditedHeaders(req: Request, config: ReadonlyMap<string, boolean>, hash: HashFn): Record<string, string[]> | undefined {
  if (config.size === 0) return undefined;
  let out: Record<string, string[]> | undefined;
  for (const [name, hmac] of config) {
    const value = req.headers[name];
    if (value === undefined) continue;
    out ??= {};
    out[name] = [hmac ? hash(value) : value];
  }
  return out;
}

function requestSection(input: LogInput, fmt: EntryFormat): Record<string, unknown> {
  const req = input.request;
  const out: Record<string, unknown> = { id: req.id, operation: req.operation };
  if (req.mountPoint !== undefined) out['mount_point'] = req.mountPoint;
  if (req.mountType !== undefined) out['mount_type'] = req.mountType;
  if (req.mountAccessor !== undefined) out['mount_accessor'] = req.mountAccessor;
  if (input.mountClass !== undefined) out['mount_class'] = input.mountClass;
  if (req.clientToken !== '') out['client_token'] = fmt.hash(req.clientToken);
  if (req.auth !== undefined && req.auth.accessor !== '') out['client_token_accessor'] = fmt.hashAccessor(req.auth.accessor);
  out['namespace'] = { id: 'root' };
  out['path'] = req.path;
  if (Object.keys(req.data).length > 0) out['data'] = hashStructure(req.data, fmt.hash, input.nonHmacRequestKeys);
  if (req.remoteAddr !== '') out['remote_address'] = req.remoteAddr;
  if (req.wrapTTL > 0) out['wrap_ttl'] = req.wrapTTL;
  const headers = auditedHeaders(req, input.auditedHeaders, fmt.hash);
  if (headers !== undefined) out['headers'] = headers;
  return out;
}

function responseAuth(auth: AuthBlock, fmt: EntryFormat): Record<string, unknown> {
  const out: Record<string, unknown> = {
    client_token: fmt.hash(auth.clientToken),
    accessor: fmt.hashAccessor(auth.accessor),
    policies: auth.policies,
  };
  if (auth.tokenPolicies.length > 0) out['token_policies'] = auth.tokenPolicies;
  if (auth.identityPolicies !== undefined && auth.identityPolicies.length > 0) out['identity_policies'] = auth.identityPolicies;
  if (Object.keys(auth.metadata).length > 0) out['metadata'] = auth.metadata;
  if (auth.entityId !== '') out['entity_id'] = auth.entityId;
  out['token_type'] = auth.tokenType;
  out['token_ttl'] = auth.leaseDuration;
  if (auth.numUses !== undefined && auth.numUses > 0) out['num_uses'] = auth.numUses;
  if (auth.orphan) out['orphan'] = true;
  return out;
}

/** An auth block already in the API's snake_case (inside an unwrapped envelope). */
function renderedAuth(auth: Record<string, unknown>, fmt: EntryFormat): Record<string, unknown> {
  const out: Record<string, unknown> = { ...auth };
  if (typeof auth['client_token'] === 'string') out['client_token'] = fmt.hash(auth['client_token']);
  if (typeof auth['accessor'] === 'string') out['accessor'] = fmt.hashAccessor(auth['accessor']);
  return out;
}

function wrapInfoSection(w: WrapInfo, fmt: EntryFormat): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ttl: w.ttl,
    token: fmt.hash(w.token),
    accessor: fmt.hashAccessor(w.accessor),
    creation_time: w.creationTime,
    creation_path: w.creationPath,
  };
  if (w.wrappedAccessor !== undefined && w.wrappedAccessor !== '') out['wrapped_accessor'] = fmt.hashAccessor(w.wrappedAccessor);
  return out;
}

function elide(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  if (Array.isArray(out['keys'])) out['keys'] = out['keys'].length;
  const info = out['key_info'];
  if (info !== null && typeof info === 'object' && !Array.isArray(info)) out['key_info'] = Object.keys(info).length;
  return out;
}

/**
 * A raw response (a verbatim body) as the audit log sees it. An unwrapped response is a
 * stored API envelope: its data and auth are logged like a normal response's. Other bodies
 * are logged the way Vault logs raw responses (http_raw_body and friends, hashed).
 */
function rawSection(raw: NonNullable<Response['raw']>, fmt: EntryFormat, skip: ReadonlySet<string> | undefined, out: Record<string, unknown>): void {
  let body: unknown = raw.body;
  if (typeof body === 'string' && (raw.contentType ?? '').startsWith('application/json')) {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // Not JSON after all: logged as a raw body below.
    }
  }
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && !(body instanceof Uint8Array)) {
    const obj = body as Record<string, unknown>;
    if ('request_id' in obj && ('data' in obj || 'auth' in obj || 'wrap_info' in obj)) {
      if (obj['auth'] !== null && typeof obj['auth'] === 'object') out['auth'] = renderedAuth(obj['auth'] as Record<string, unknown>, fmt);
      if (typeof obj['lease_id'] === 'string' && obj['lease_id'] !== '') out['secret'] = { lease_id: obj['lease_id'] };
      if (obj['data'] !== null && obj['data'] !== undefined) out['data'] = hashStructure(obj['data'], fmt.hash, skip);
      if (Array.isArray(obj['warnings']) && obj['warnings'].length > 0) out['warnings'] = obj['warnings'];
      return;
    }
    out['data'] = hashStructure(obj, fmt.hash, skip);
    return;
  }
  const data: Record<string, unknown> = { http_status_code: raw.status };
  if (raw.contentType !== undefined) data['http_content_type'] = raw.contentType;
  if (body !== undefined && body !== null) {
    data['http_raw_body'] = fmt.hash(typeof body === 'string' ? body : Buffer.from(body as Uint8Array).toString('base64'));
  }
  out['data'] = data;
}

function responseSection(input: LogInput, resp: Response | undefined, fmt: EntryFormat): Record<string, unknown> {
  const req = input.request;
  const out: Record<string, unknown> = {};
  if (req.mountPoint !== undefined) out['mount_point'] = req.mountPoint;
  if (req.mountType !== undefined) out['mount_type'] = req.mountType;
  if (req.mountAccessor !== undefined) out['mount_accessor'] = req.mountAccessor;
  if (input.mountClass !== undefined) out['mount_class'] = input.mountClass;
  if (resp === undefined) return out;
  if (resp.raw !== undefined) {
    rawSection(resp.raw, fmt, input.nonHmacResponseKeys, out);
    return out;
  }
  if (resp.auth !== undefined) out['auth'] = responseAuth(resp.auth, fmt);
  if (resp.secret?.leaseId !== undefined) out['secret'] = { lease_id: resp.secret.leaseId };
  if (resp.data !== undefined && resp.data !== null) {
    const data = fmt.elideListResponses && req.operation === 'list' ? elide(resp.data) : resp.data;
    out['data'] = hashStructure(data, fmt.hash, input.nonHmacResponseKeys);
  }
  if (resp.warnings !== undefined && resp.warnings.length > 0) out['warnings'] = resp.warnings;
  if (resp.wrapInfo !== undefined) out['wrap_info'] = wrapInfoSection(resp.wrapInfo, fmt);
  return out;
}

/** One audit entry as a plain object, hashed with the device's functions. */
export function buildEntry(type: EntryType, input: LogInput, time: string, fmt: EntryFormat): Record<string, unknown> {
  // A login's response entry names the caller it just created, as Vault's does.
  const issued = type === 'response' && input.request.auth === undefined ? input.response?.auth : undefined;
  const entry: Record<string, unknown> = {
    time,
    type,
    auth: issued !== undefined ? responseAuth(issued, fmt) : callerAuth(input.request.auth, input.request.clientToken, fmt),
    request: requestSection(input, fmt),
  };
  if (type === 'response') entry['response'] = responseSection(input, input.response, fmt);
  const error = errorText(input.error);
  if (error !== '') entry['error'] = error;
  if (input.forwardedFrom !== undefined) entry['forwarded_from'] = input.forwardedFrom;
  return entry;
}
