/**
 * The request pipeline: small named steps run in order for every request.
 *   seal-exempt dispatch -> seal check -> route -> token -> existence check -> ACL -> backend
 * Cross-cutting checks live here, never in handlers. Later steps (audit, leases, wrapping,
 * forwarding) slot in between without handlers noticing.
 */
import { PermissionDeniedError, RouteNotFoundError, SealedError } from '../errors.js';
import type { BackendRequest, LogicalBackend } from '../logical/backend.js';
import type { CallerAuth, Request, Response } from '../logical/request.js';
import type { Match } from '../router/router.js';
import type { TokenEntry } from '../token/token-store.js';
import type { Core } from './core.js';
import { matchesAny } from './special-paths.js';

/** sys/ paths served while sealed or uninitialised (relative to sys/). */
const SEAL_EXEMPT = ['init', 'seal-status', 'unseal', 'health'];

/** Implements the HTTP shell's RequestHandler (structurally; the core does not import HTTP). */
export class Pipeline {
  constructor(
    private readonly core: Core,
    /** The system backend, reachable before unseal for the seal-exempt paths. */
    private readonly sys: LogicalBackend,
  ) {}

  async handle(req: Request): Promise<Response | undefined> {
    const exempt = sealExemptPath(req.path);
    if (exempt !== undefined) {
      req.mountPoint = 'sys/';
      req.mountType = 'system';
      return this.sys.handleRequest(Object.assign(req, { relativePath: exempt }));
    }

    if (this.core.sealed) throw new SealedError();

    const match = this.route(req.path);
    // The routing facts are recorded on the request itself: audit and rendering read them too.
    req.mountPoint = match.route.prefix;
    req.mountType = match.route.entry.type;
    req.mountAccessor = match.route.entry.accessor;
    const breq: BackendRequest = Object.assign(req, { relativePath: match.relativePath });
    const backend = match.route.backend;
    const special = backend.specialPaths;

    if (!matchesAny(special.unauthenticated, breq.relativePath)) {
      breq.auth = await this.authenticate(req.clientToken);
    }

    if (breq.operation === 'update') {
      const { supported, exists } = await backend.existenceCheck(breq);
      if (supported && !exists) breq.operation = 'create';
    }

    if (breq.auth !== undefined) this.authorize(breq);

    return backend.handleRequest(breq);
  }

  private route(path: string): Match {
    const match = this.core.router.match(path);
    if (match === undefined) throw new RouteNotFoundError(`no handler for route "${path}". route entry not found.`);
    return match;
  }

  private async authenticate(token: string): Promise<CallerAuth> {
    if (token === '') throw new PermissionDeniedError();
    const entry = await this.core.tokens.lookup(token);
    if (entry === undefined) throw new PermissionDeniedError();
    return callerFromEntry(entry);
  }

  /**
   * Only root tokens exist so far; the ACL step (src/policy, with sudo for the backend's root
   * paths) replaces this check when the token store issues other tokens.
   */
  private authorize(req: BackendRequest): void {
    if (!req.auth?.root) throw new PermissionDeniedError();
  }
}

function sealExemptPath(path: string): string | undefined {
  if (!path.startsWith('sys/')) return undefined;
  const rel = path.slice(4).replace(/\/$/, '');
  return SEAL_EXEMPT.includes(rel) ? rel : undefined;
}

export function callerFromEntry(entry: TokenEntry): CallerAuth {
  return {
    accessor: entry.accessor,
    policies: entry.policies,
    tokenPolicies: entry.policies,
    identityPolicies: [],
    displayName: entry.displayName,
    entityId: entry.entityId,
    metadata: entry.meta,
    root: entry.policies.includes('root'),
    tokenType: entry.type,
    orphan: entry.orphan,
  };
}
