/**
 * The request pipeline: small named steps run in order for every request.
 *   seal-exempt dispatch -> seal check -> rate limit quota -> route -> wrapping-token check -> token
 *   -> existence check -> ACL -> user lockout (logins) -> audit request -> backend
 *   -> login registration -> lease registration
 *   -> response wrapping -> audit response -> (after the response) spent-token revocation
 * A request refused before the backend is audited with its error (src/audit/trail.ts); the
 * whole request is timed for telemetry (src/telemetry/).
 * Cross-cutting checks live here, never in handlers. Later steps (audit, leases, wrapping,
 * forwarding) slot in between without handlers noticing.
 */
import { InvalidCredentialsError, PermissionDeniedError, ReadOnlyError, RouteNotFoundError, SealedError, UnavailableError } from '../errors.js';
import { ensureAliasAtPrimary, forwardToPrimary, type ForwardingTarget } from '../replication/forwarding.js';
import { consistencyExempt, NO_CONSISTENCY, ownRequest, parseConsistency, place, stampIndex, type Placement } from '../replication/consistency.js';
import type { ResolvedIdentity } from '../identity/types.js';
import type { BackendRequest, LogicalBackend } from '../logical/backend.js';
import type { CallerAuth, LoginAuth, Operation, Request, Response } from '../logical/request.js';
import type { Match } from '../router/router.js';
import { issueLoginToken, type LoginIdentity } from '../token/login.js';
import { entityForLogin } from '../identity/alias-ops.js';
import { addressAllowed } from '../util/cidr.js';
import type { Core } from './core.js';
import { matchesAny } from './special-paths.js';
import { aclOf, callerOf } from './caller-acl.js';
import { checkWrappingToken, wrappingAuthFailure } from '../wrapping/token-check.js';
import type { CorsSettings } from './cors-config.js';
import { wrapResponse } from '../wrapping/wrap-step.js';
import type { AuditTrail } from '../audit/trail.js';

/** sys/ paths served while sealed or uninitialised (relative to sys/). */
const SEAL_EXEMPT = ['init', 'seal-status', 'unseal', 'health'];

/** What the token step learned, kept for the steps after the backend. */
interface TokenUse {
  readonly idHash: string;
  /** This request was the token's last allowed use: revoke it when the request is done. */
  readonly exhausted: boolean;
}

/** Implements the HTTP shell's RequestHandler (structurally; the core does not import HTTP). */
export class Pipeline {
  /** Set while this node is a connected performance secondary: where replicated writes go. */
  forwarder: ForwardingTarget | undefined;

  constructor(
    private readonly core: Core,
    /** The system backend, reachable before unseal for the seal-exempt paths. */
    private readonly sys: LogicalBackend,
  ) {}

  /** The CORS policy the HTTP shell applies (sys/config/cors); undefined while off or sealed. */
  cors(): CorsSettings | undefined {
    return this.core.cors.policy();
  }

  /** Every request is timed and counted (telemetry) around the steps below. */
  async handle(req: Request): Promise<Response | undefined> {
    const metrics = this.core.metrics;
    const started = metrics.requestStarted(req);
    try {
      const resp = await this.serve(req);
      metrics.requestFinished(req, started, resp, undefined);
      return resp;
    } catch (err) {
      metrics.requestFinished(req, started, undefined, err);
      throw err;
    }
  }

  private async serve(req: Request): Promise<Response | undefined> {
    const exempt = sealExemptPath(req.path) ?? this.unauthenticatedMetrics(req.path);
    if (exempt !== undefined) {
      req.mountPoint = 'sys/';
      req.mountType = 'system';
      return this.sys.handleRequest(Object.assign(req, { relativePath: exempt }));
    }

    if (this.core.sealed) throw new SealedError();

    const trail = this.core.audit.trail(req);
    // Rate limit quotas: a client over its rule is refused before anything else runs; audited
    // only with enable_rate_limit_audit_logging (a flood would otherwise flood the log too).
    try {
      const quotas = this.core.quotas;
      quotas.admit(req.path, req.remoteAddr, quotas.rolesCover(req.path) ? await this.loginRole(req) : undefined);
    } catch (err) {
      if (trail !== undefined && this.core.quotas.auditRefusals) await trail.failed(err);
      throw err;
    }
    if (trail === undefined) return this.routed(req, undefined);
    try {
      return await this.routed(req, trail);
    } catch (err) {
      // Refused before the backend: a request entry with the error; failed in or after it: a response entry.
      await trail.failed(err);
      throw err;
    }
  }

  /** Route, authenticate, authorise, audit the request, then the backend and the steps after it. */
  private async routed(req: Request, trail: AuditTrail | undefined): Promise<Response | undefined> {
    const match = this.route(req.path);
    // The routing facts are recorded on the request itself: audit and rendering read them too.
    req.mountPoint = match.route.prefix;
    req.mountType = match.route.entry.type;
    req.mountAccessor = match.route.entry.accessor;
    trail?.routed(match.route.kind, match.route.entry.config);
    const breq: BackendRequest = Object.assign(req, { relativePath: match.relativePath });
    const backend = match.route.backend;
    const special = backend.specialPaths;
    // Consistency headers (X-Vault-Index, X-Vault-Forward, ...): run here, or at the primary.
    const placement = await this.placement(breq, match);
    const requested = breq.operation;

    // sys/wrapping/{lookup,rewrap,unwrap} must name a live wrapping token (400 otherwise), before the token step.
    const wrapCheck = await checkWrappingToken(this.core.wrapping, breq);
    let use: TokenUse | undefined;
    if (!matchesAny(special.unauthenticated, breq.relativePath)) {
      use = await this.authenticate(breq).catch((err: unknown) => wrappingAuthFailure(wrapCheck, err));
    }
    try {
      // A write that can only change replicated state, on a connected secondary: it goes to the primary without running here.
      const ahead = placement === 'local' && this.sendsAhead(backend, breq, match.route.entry.local);
      // The primary runs its own existence check; here it only matters when the caller's ACL tells create from update.
      if (breq.operation === 'update' && !(ahead && (await this.createIsUpdate(breq)))) {
        const { supported, exists } = await backend.existenceCheck(breq);
        if (supported && !exists) breq.operation = 'create';
      }

      if (breq.auth !== undefined) await this.authorize(breq, matchesAny(special.root, breq.relativePath));

      // User lockout: a locked alias is refused here, before its auth method checks anything.
      const attempt = match.route.kind === 'auth' && placement === 'local' ? this.core.lockout.begin(match.route.entry, breq.relativePath, breq.data) : undefined;
      // Audit step: caller and ACL decision known, nothing run yet; no device recording it stops the request here.
      await trail?.request();
      let resp: Response | undefined;
      try {
        resp = await this.runBackend(backend, breq, placement, requested, ahead);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) attempt?.failed();
        throw err;
      }
      if (resp?.login !== undefined) {
        attempt?.succeeded();
        await this.registerLogin(breq, match, resp);
      }
      if (resp?.secret?.type !== undefined && resp.secret.leaseId === undefined) {
        resp.secret = await this.core.expiration.register(req.path, resp.secret, match.route.settings, use?.idHash ?? '');
      }
      // After the login step, so a wrapped login wraps the token it issued.
      let out = await wrapResponse(this.core.wrapping, breq, resp);
      // On a replicated cluster every write answer names the WAL index a reader elsewhere must reach.
      if (this.core.replication.mode !== 'disabled') out = stampIndex(out, breq.operation, this.core.replication.writeIndex());
      await trail?.response(out);
      return out;
    } finally {
      if (use?.exhausted) await this.core.tokens.revokeTree(use.idHash);
    }
  }

  /** sys/metrics with unauthenticated_metrics_access: served like the seal-exempt paths (no token, not audited). */
  private unauthenticatedMetrics(path: string): string | undefined {
    return this.core.metrics.unauthenticatedMetrics && (path === 'sys/metrics' || path === 'sys/metrics/') ? 'metrics' : undefined;
  }

  /**
   * The backend step. On a secondary, a handler that writes replicated state fails read-only:
   * the already authenticated request then goes to the primary (docs/replication.md).
   */
  private async runBackend(
    backend: LogicalBackend,
    req: BackendRequest,
    placement: Placement,
    requested: Operation,
    ahead: boolean,
  ): Promise<Response | undefined> {
    // The primary re-runs its own existence check on what the client asked for (this node's may be stale).
    const asked = requested === req.operation ? req : { ...req, operation: requested };
    if (placement === 'forward' && this.forwarder !== undefined) {
      // A read sent for freshness wrote nothing: no need to wait for its index here.
      return forwardToPrimary(this.forwarder, asked, undefined, !(requested === 'read' || requested === 'list'));
    }
    if (ahead && this.forwarder !== undefined) return forwardToPrimary(this.forwarder, asked);
    try {
      return await backend.handleRequest(req);
    } catch (err) {
      if (!(err instanceof ReadOnlyError) || this.forwarder === undefined) throw err;
      return forwardToPrimary(this.forwarder, asked);
    }
  }

  /**
   * Whether a request goes to the primary before its handler runs: this node is a connected
   * secondary, the mount is replicated, and the backend says the request can only succeed by
   * writing replicated state (LogicalBackend.writesShared).
   */
  private sendsAhead(backend: LogicalBackend, req: BackendRequest, mountLocal: boolean): boolean {
    return this.forwarder !== undefined && !mountLocal && backend.writesShared?.(req) === true && this.forwarder.link() !== undefined;
  }

  /** The caller's ACL gives the same answer for create as for update here (root, or rules that grant or refuse both). */
  private async createIsUpdate(req: BackendRequest): Promise<boolean> {
    if (req.auth === undefined) return true;
    const acl = await aclOf(this.core, req.auth);
    if (acl === undefined) return true;
    const create = acl.allowed('create', req.path, req.data, req.wrapTTL);
    const update = acl.allowed('update', req.path, req.data, req.wrapTTL);
    return create.allowed === update.allowed && create.sudo === update.sudo;
  }

  /** Where a request with consistency headers runs (src/replication/consistency.ts); 412 when it cannot be served. */
  private async placement(req: BackendRequest, match: Match): Promise<Placement> {
    const c = parseConsistency(req.headers);
    const route = match.route;
    if (c === NO_CONSISTENCY || consistencyExempt(route.entry, match.relativePath)) return 'local';
    const replication = this.core.replication;
    const forwarder = this.forwarder;
    const own = ownRequest({ kind: route.kind, type: route.entry.type, local: route.entry.local }, match.relativePath, req.data);
    const view = {
      mode: () => replication.mode,
      lastIndex: () => replication.lastIndex(),
      waitForIndex: (index: number, ms: number) => replication.waitForIndex(index, ms),
      stalenessMs: () => replication.stalenessMs(),
      canForward: () => forwarder?.link() !== undefined,
      viaHeader: forwarder?.viaHeader === true,
    };
    return place(c, view, req.operation, !own && forwarder !== undefined);
  }

  /**
   * A request forwarded by a secondary, run on the primary with the caller's forwarded identity:
   * no token step (the token is the secondary's), the same existence check, ACL and backend;
   * tokens, leases and wrapping for it are the secondary's business.
   */
  async handleForwarded(req: Request, auth: CallerAuth | undefined): Promise<Response | undefined> {
    if (this.core.sealed) throw new SealedError();
    // Audited here, on the primary, with the caller's identity (and the secondary's id when marked, src/audit/trail.ts).
    const trail = this.core.audit.trail(req);
    try {
      const resp = await this.forwardedSteps(req, auth, trail);
      await trail?.response(resp);
      return resp;
    } catch (err) {
      await trail?.failed(err);
      throw err;
    }
  }

  private async forwardedSteps(req: Request, auth: CallerAuth | undefined, trail: AuditTrail | undefined): Promise<Response | undefined> {
    const match = this.route(req.path);
    req.mountPoint = match.route.prefix;
    req.mountType = match.route.entry.type;
    req.mountAccessor = match.route.entry.accessor;
    trail?.routed(match.route.kind, match.route.entry.config);
    const breq: BackendRequest = Object.assign(req, { relativePath: match.relativePath });
    const backend = match.route.backend;
    const special = backend.specialPaths;
    if (auth === undefined && !matchesAny(special.unauthenticated, breq.relativePath)) throw new PermissionDeniedError();
    if (auth !== undefined) breq.auth = auth;
    if (breq.operation === 'update') {
      const { supported, exists } = await backend.existenceCheck(breq);
      if (supported && !exists) breq.operation = 'create';
    }
    if (breq.auth !== undefined) await this.authorize(breq, matchesAny(special.root, breq.relativePath));
    await trail?.request();
    return backend.handleRequest(breq);
  }

  /** The role a login request names, for a rate limit quota set on a role (its auth method resolves it). */
  private async loginRole(req: Request): Promise<string | undefined> {
    const match = this.core.router.match(req.path);
    const resolve = match?.route.kind === 'auth' ? match.route.backend.resolveRole : undefined;
    if (match === undefined || resolve === undefined) return undefined;
    try {
      return await resolve.call(match.route.backend, { ...req, relativePath: match.relativePath });
    } catch {
      // The login itself reports what is wrong with it.
      return undefined;
    }
  }

  private route(path: string): Match {
    const match = this.core.router.match(path);
    if (match === undefined) throw new RouteNotFoundError(`no handler for route "${path}". route entry not found.`);
    return match;
  }

  /**
   * Token step: find the token, check where it may be used from, count the use. A token of an
   * entity gets the entity's and its groups' policies as they are now (from memory), and a
   * disabled entity's tokens are refused before a use is spent.
   */
  private async authenticate(req: Request): Promise<TokenUse> {
    const tokens = this.core.tokens;
    const found = req.clientToken === '' ? undefined : await tokens.lookup(req.clientToken, req.tokenMemo);
    if (found === undefined) throw new PermissionDeniedError();
    if (!addressAllowed(req.remoteAddr, found.entry.boundCidrs)) throw new PermissionDeniedError();
    // Resolved before the use is counted: a disabled entity's token is refused without spending a use.
    const caller = callerOf(this.core, found.entry);
    if (caller === undefined) throw new PermissionDeniedError();
    const used = await tokens.use(found);
    if (used === undefined) throw new PermissionDeniedError();
    req.auth = used.entry === found.entry ? caller : callerOf(this.core, used.entry);
    if (req.auth === undefined) throw new PermissionDeniedError();
    return { idHash: found.idHash, exhausted: used.exhausted };
  }

  /** ACL step: the caller's policies must allow the operation; root paths also need sudo. */
  private async authorize(req: BackendRequest, rootPath: boolean): Promise<void> {
    const acl = await aclOf(this.core, req.auth!);
    if (acl === undefined) return;
    const decision = acl.allowed(req.operation, req.path, req.data, req.wrapTTL);
    if (!decision.allowed || (rootPath && !decision.sudo)) throw new PermissionDeniedError();
  }

  /**
   * A login answered: find or create the entity of the login's alias (a disabled entity may not
   * log in), then issue the token bounded by the auth mount's TTLs.
   */
  /**
   * The entity of a login's alias. On a secondary a new entity or alias is replicated data: the
   * primary creates it (identity.ensure-alias) and the login waits until it has arrived here.
   */
  private async loginEntity(match: Match, alias: NonNullable<LoginAuth['alias']>): Promise<ResolvedIdentity> {
    const m = match.route.settings;
    try {
      return await entityForLogin(this.core.identity, { accessor: m.accessor, type: m.type, path: match.route.prefix, local: m.local }, alias);
    } catch (err) {
      if (!(err instanceof ReadOnlyError) || this.forwarder === undefined) throw err;
      const entityId = await ensureAliasAtPrimary(this.forwarder, { mountAccessor: m.accessor, name: alias.name, metadata: alias.metadata ?? {} });
      const resolved = this.core.identity.resolve(entityId);
      if (resolved === undefined) throw new UnavailableError('the identity entity created at the primary has not arrived yet; retry');
      return resolved;
    }
  }

  private async registerLogin(req: Request, match: Match, resp: Response): Promise<void> {
    const login = resp.login!;
    delete resp.login;
    let identity: LoginIdentity | undefined;
    if (login.alias !== undefined) {
      const resolved = await this.loginEntity(match, login.alias);
      if (resolved.entity.disabled) throw new PermissionDeniedError();
      identity = { entityId: resolved.entity.id, policies: resolved.policies };
    }
    const { auth, warnings } = await issueLoginToken(this.core.tokens, login, {
      mount: match.route.settings,
      path: req.path,
      ...(identity !== undefined ? { identity } : {}),
    });
    resp.auth = auth;
    if (warnings.length > 0) resp.warnings = [...(resp.warnings ?? []), ...warnings];
  }
}

function sealExemptPath(path: string): string | undefined {
  if (!path.startsWith('sys/')) return undefined;
  const rel = path.slice(4).replace(/\/$/, '');
  return SEAL_EXEMPT.includes(rel) ? rel : undefined;
}
