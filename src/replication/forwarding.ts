/**
 * Write forwarding from a secondary to its primary (docs/replication.md, "Forwarding").
 *
 * On a secondary, a handler that writes a replicated key fails with ReadOnlyError; the pipeline
 * then sends the already authenticated request here. What crosses the channel is the request
 * without the client token and the caller's auth context without its cubbyhole id: the primary
 * never sees a secondary's token. The primary runs the request with that identity (ACL included)
 * and answers with the response and its WAL index; the secondary waits, bounded, until it has
 * applied that index so the client reads its own write, else it adds Vault's stale-read warning.
 *
 * A login or leased secret in the primary's response is returned untouched: the secondary
 * issues tokens and registers leases itself (both are local).
 */
import { BadRequestError } from '../errors.js';
import type { CallerAuth, Operation, Request, Response } from '../logical/request.js';
import { markForwarded } from '../audit/trail.js';
import type { EnsureAliasRequest, EnsureAliasResponse, ForwardRequest, ForwardResponse, MethodHandler, PrimaryLink } from './transport.js';

/** Vault's warning when a forwarded write is not yet visible locally. */
export const STALE_READ_WARNING =
  'the write was forwarded to the primary and succeeded, but this secondary has not applied it yet; a read here may return stale data';

/**
 * Headers a primary needs to see (others, like the token, stay on the secondary). A request's
 * `authorization` is only ever an OIDC client's Basic credentials (a Bearer token is taken out
 * when the request is parsed), which the provider's token endpoint checks on the primary.
 */
const FORWARDED_HEADERS = ['x-vault-wrap-format', 'x-vault-request', 'user-agent', 'authorization'];

const OPERATIONS: readonly Operation[] = ['read', 'create', 'update', 'patch', 'delete', 'list'];

/** The secondary's view of replication that forwarding needs. */
export interface ForwardingTarget {
  /** The channel to the primary, or undefined when not a connected secondary. */
  link(): PrimaryLink | undefined;
  /** Resolves true once this node applied `index`, false after `timeoutMs`. */
  waitForIndex(index: number, timeoutMs: number): Promise<boolean>;
  /** `allow_forwarding_via_header`: X-Vault-Forward and X-Vault-Inconsistent may forward (consistency.ts). */
  readonly viaHeader?: boolean;
}

export function toForwardRequest(req: Request): ForwardRequest {
  const headers: Record<string, string> = {};
  for (const h of FORWARDED_HEADERS) {
    const v = req.headers[h];
    if (v !== undefined) headers[h] = v;
  }
  const auth: Record<string, unknown> = {};
  if (req.auth !== undefined) {
    const { cubbyholeId: _local, ...shared } = req.auth;
    Object.assign(auth, shared);
  }
  return {
    request: {
      id: req.id,
      operation: req.operation,
      path: req.path,
      data: req.data,
      headers,
      wrapTTL: req.wrapTTL,
      remoteAddr: req.remoteAddr,
    },
    auth,
  };
}

/**
 * Send a request to the primary and wait (bounded) until its write is visible here. A read
 * sent for freshness (`awaitApply` false) answers at once: it wrote nothing to wait for.
 */
export async function forwardToPrimary(target: ForwardingTarget, req: Request, waitMs = 2000, awaitApply = true): Promise<Response | undefined> {
  const link = target.link();
  if (link === undefined) throw new BadRequestError('cannot forward: this secondary is not connected to a primary');
  const answer = await link.call('forward', toForwardRequest(req));
  const resp = (answer.response ?? undefined) as Response | undefined;
  if (!awaitApply) return resp === undefined ? undefined : withIndexHeader(resp, answer.index);
  if (!(await target.waitForIndex(answer.index, waitMs))) {
    const warned: Response = resp ?? {};
    warned.warnings = [...(warned.warnings ?? []), STALE_READ_WARNING];
    return withIndexHeader(warned, answer.index);
  }
  return resp === undefined ? undefined : withIndexHeader(resp, answer.index);
}

function withIndexHeader(resp: Response, index: number): Response {
  resp.headers = { ...(resp.headers ?? {}), 'X-Vault-Index': String(index) };
  return resp;
}

/**
 * The primary's handler for `forward`: validates the untrusted body and runs it through
 * `run` (the pipeline's forwarded-request entry), answering with the WAL index after it.
 */
export function forwardHandler(
  run: (req: Request, auth: CallerAuth | undefined) => Promise<Response | undefined>,
  lastIndex: () => number,
): MethodHandler<'forward'> {
  return async (peer, body): Promise<ForwardResponse> => {
    const { req, auth } = parseForwarded(body);
    // The primary's audit entries name the secondary the request came through.
    markForwarded(req, peer.secondaryId);
    const response = await run(req, auth);
    return { response: (response ?? null) as ForwardResponse['response'], index: lastIndex() };
  };
}

/** The request and the caller; no auth for unauthenticated paths (logins). */
function parseForwarded(body: ForwardRequest): { req: Request; auth: CallerAuth | undefined } {
  const r = body?.request as Record<string, unknown> | undefined;
  const a = body?.auth as Record<string, unknown> | undefined;
  if (r === undefined || a === undefined || typeof r !== 'object' || typeof a !== 'object') throw new BadRequestError('malformed forwarded request');
  const op = r['operation'];
  if (typeof r['path'] !== 'string' || typeof r['id'] !== 'string' || !OPERATIONS.includes(op as Operation)) {
    throw new BadRequestError('malformed forwarded request');
  }
  const data = r['data'];
  const headers = r['headers'];
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const req: Request = {
    id: r['id'],
    operation: op as Operation,
    path: r['path'],
    data: data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
    clientToken: '',
    headers: headers !== null && typeof headers === 'object' ? (headers as Record<string, string>) : {},
    wrapTTL: typeof r['wrapTTL'] === 'number' ? r['wrapTTL'] : 0,
    remoteAddr: typeof r['remoteAddr'] === 'string' ? r['remoteAddr'] : '',
  };
  if (Object.keys(a).length === 0) return { req, auth: undefined };
  const auth: CallerAuth = {
    accessor: String(a['accessor'] ?? ''),
    policies: strings(a['policies']),
    tokenPolicies: strings(a['tokenPolicies']),
    identityPolicies: strings(a['identityPolicies']),
    displayName: String(a['displayName'] ?? ''),
    entityId: String(a['entityId'] ?? ''),
    metadata: (a['metadata'] !== null && typeof a['metadata'] === 'object' ? a['metadata'] : {}) as Record<string, string>,
    root: a['root'] === true,
    tokenType: a['tokenType'] === 'batch' ? 'batch' : 'service',
    orphan: a['orphan'] === true,
    ...(typeof a['issuedAt'] === 'number' ? { issuedAt: a['issuedAt'] } : {}),
    // The cubbyhole is local to the secondary; a forwarded request has none here.
    cubbyholeId: '',
  };
  return { req, auth };
}

/**
 * A login at a secondary whose alias has no entity yet: the primary creates it (replicated
 * data), and the secondary waits until it has applied that write. Returns the entity id.
 */
export async function ensureAliasAtPrimary(target: ForwardingTarget, body: EnsureAliasRequest, waitMs = 2000): Promise<string> {
  const link = target.link();
  if (link === undefined) throw new BadRequestError('cannot create an identity entity: this secondary is not connected to a primary');
  const answer = await link.call('identity.ensure-alias', body);
  await target.waitForIndex(answer.index, waitMs);
  return answer.entityId;
}

/** The primary's handler for `identity.ensure-alias`. */
export function ensureAliasHandler(
  ensure: (body: EnsureAliasRequest) => Promise<{ entityId: string; aliasId: string }>,
  lastIndex: () => number,
): MethodHandler<'identity.ensure-alias'> {
  return async (_peer, body): Promise<EnsureAliasResponse> => {
    if (typeof body?.mountAccessor !== 'string' || typeof body.name !== 'string' || body.name === '') {
      throw new BadRequestError('malformed identity.ensure-alias request');
    }
    const metadata = body.metadata !== null && typeof body.metadata === 'object' ? body.metadata : {};
    const { entityId, aliasId } = await ensure({ mountAccessor: body.mountAccessor, name: body.name, metadata });
    return { entityId, aliasId, index: lastIndex() };
  };
}
