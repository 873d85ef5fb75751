/**
 * The request gate in front of the pipeline on an HA node (the HTTP shell's RequestHandler).
 *
 * - Sealed: everything goes to the pipeline, which answers the seal endpoints and 503s the rest.
 * - Not active (standby, or changing role): sys/init, seal-status, unseal, health and leader are
 *   answered here, from the seal and the lock table only (a standby holds no caches to go stale);
 *   sys/seal is refused as Vault does; a performance standby answers side-effect-free reads
 *   itself (perf-standby.ts); every other request is forwarded to the active node over
 *   the cluster port (forwarder.ts) and its answer relayed. Where forwarding is impossible
 *   (no cluster address, no HA identity yet, active node unreachable) the answer is a 307 to the
 *   active node's api_addr (Vault's answer without forwarding; its clients follow it), or 503
 *   when no active node is known.
 * - Forwarded to this node (`handleForwarded`): run as if it arrived here when active; never
 *   forwarded again (no loops): a node that is not active answers with its 307 or 503.
 * - Active: the request runs through the pipeline, counted so step-down can let it finish. A
 *   write the fence refused mid-request (the lock was lost) is redirected the same way; a read
 *   that finished after the lease could have lapsed is redirected too, as its data may be stale.
 */
import type { CorsSettings } from '../core/cors-config.js';
import type { LogicalBackend } from '../logical/backend.js';
import { isWriteOperation, type Request, type Response } from '../logical/request.js';
import type { HaCoordinator } from './coordinator.js';
import { NotActiveError, StandbySealError } from './errors.js';
import type { HaForwarder } from './forwarder.js';
import type { PerfStandby } from './perf-standby.js';

/** sys/ paths a node answers itself whatever its role (relative to sys/). */
const LOCAL_SYS = new Set(['init', 'seal-status', 'unseal', 'health', 'leader']);

export interface GateDeps {
  readonly coordinator: Pick<HaCoordinator, 'serving' | 'enter' | 'view'>;
  readonly pipeline: { handle(req: Request): Promise<Response | undefined>; cors?(): CorsSettings | undefined };
  /** The system backend, for sys/leader while the router is not loaded. */
  readonly sys: LogicalBackend;
  readonly sealed: () => boolean;
  /** Request forwarding to the active node; without it standbys redirect. */
  readonly forwarder?: Pick<HaForwarder, 'forward'>;
  /** Performance standby: side-effect-free reads answered here (perf-standby.ts). */
  readonly perf?: Pick<PerfStandby, 'serve'>;
}

export class HaGate {
  constructor(private readonly deps: GateDeps) {}

  /** CORS is answered by whichever node the browser reached, from its own loaded policy. */
  cors(): CorsSettings | undefined {
    return this.deps.pipeline.cors?.();
  }

  async handle(req: Request): Promise<Response | undefined> {
    const { coordinator, pipeline } = this.deps;
    if (this.deps.sealed()) return pipeline.handle(req);
    if (!coordinator.serving()) return this.notActive(req);
    return this.serve(req);
  }

  /** A request a standby forwarded here over the cluster port. */
  async handleForwarded(req: Request): Promise<Response | undefined> {
    if (this.deps.sealed()) return this.deps.pipeline.handle(req);
    if (!this.deps.coordinator.serving()) return this.redirect(req);
    return this.serve(req);
  }

  private async serve(req: Request): Promise<Response | undefined> {
    const { coordinator, pipeline } = this.deps;
    const leave = coordinator.enter();
    try {
      const resp = await pipeline.handle(req);
      // Checked after the fact: if the lease could have lapsed meanwhile, another node may have
      // written what this read returns. Writes are not retried (they committed, or were fenced).
      if (!isWriteOperation(req.operation) && !coordinator.serving()) return this.redirect(req);
      return resp;
    } catch (err) {
      if (err instanceof NotActiveError) return this.redirect(req);
      throw err;
    } finally {
      leave();
    }
  }

  private async notActive(req: Request): Promise<Response | undefined> {
    const rel = sysRelative(req.path);
    if (rel !== undefined && LOCAL_SYS.has(rel)) {
      if (rel !== 'leader') return this.deps.pipeline.handle(req);
      req.mountPoint = 'sys/';
      req.mountType = 'system';
      return this.deps.sys.handleRequest(Object.assign(req, { relativePath: rel }));
    }
    if (rel === 'seal') throw new StandbySealError();
    if (this.deps.perf !== undefined && this.deps.coordinator.view().role === 'standby') {
      const local = await this.deps.perf.serve(req);
      if (local !== undefined) return local.response;
    }
    const leader = this.deps.coordinator.view().leader;
    // Vault's opt-out: a client that wants to know which node served it asks for the 307.
    const optOut = (req.headers[NO_FORWARDING_HEADER] ?? '') !== '';
    if (!optOut && this.deps.forwarder !== undefined && leader !== undefined && !leader.isSelf) {
      const answer = await this.deps.forwarder.forward(req, leader);
      if (answer !== undefined) return answer;
    }
    return this.redirect(req);
  }

  /** 307 to the same path and query on the active node. */
  private redirect(req: Request): Response {
    const leader = this.deps.coordinator.view().leader;
    if (leader === undefined || leader.isSelf || leader.apiAddr === '') throw new NotActiveError();
    return { raw: { status: 307, body: undefined }, headers: { Location: redirectUrl(leader.apiAddr, req) } };
  }
}

/** With a non-empty value, a standby redirects with 307 instead of forwarding (as Vault). */
export const NO_FORWARDING_HEADER = 'x-vault-no-request-forwarding';

function sysRelative(path: string): string | undefined {
  return path.startsWith('sys/') ? path.slice(4).replace(/\/$/, '') : undefined;
}

/**
 * The request's URL on another node. The shell keeps no raw URL below it, so the query is
 * rebuilt from a read's or list's fields (its query); a write's client resends its body.
 */
export function redirectUrl(apiAddr: string, req: Request): string {
  const base = apiAddr.replace(/\/+$/, '');
  const path = req.path.split('/').map(encodeURIComponent).join('/');
  const query = new URLSearchParams();
  // Never a write's fields: they travel in its body, and a URL ends up in logs.
  if (req.operation === 'read' || req.operation === 'list' || req.operation === 'help') {
    for (const [k, v] of Object.entries(req.data)) {
      if (Array.isArray(v)) for (const item of v) query.append(k, String(item));
      else if (v !== undefined && v !== null) query.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  if (req.operation === 'list') query.set('list', 'true');
  if (req.operation === 'help') query.set('help', '1');
  const qs = query.toString();
  return `${base}/v1/${path}${qs === '' ? '' : `?${qs}`}`;
}
