/**
 * The request gate in front of the pipeline on an HA node (the HTTP shell's RequestHandler).
 *
 * - Sealed: everything goes to the pipeline, which answers the seal endpoints and 503s the rest.
 * - Not active (standby, or changing role): sys/init, seal-status, unseal, health and leader are
 *   answered here, from the seal and the lock table only (a standby holds no caches to go stale);
 *   sys/seal is refused as Vault does; every other request gets a 307 to the active node's
 *   api_addr (Vault's answer when request forwarding is unavailable; its clients follow it), or
 *   503 when no active node is known. Forwarding over the cluster port will replace the 307.
 * - Active: the request runs through the pipeline, counted so step-down can let it finish. A
 *   write the fence refused mid-request (the lock was lost) is redirected the same way; a read
 *   that finished after the lease could have lapsed is redirected too, as its data may be stale.
 */
import type { LogicalBackend } from '../logical/backend.js';
import { isWriteOperation, type Request, type Response } from '../logical/request.js';
import type { HaCoordinator } from './coordinator.js';
import { NotActiveError, StandbySealError } from './errors.js';

/** sys/ paths a node answers itself whatever its role (relative to sys/). */
const LOCAL_SYS = new Set(['init', 'seal-status', 'unseal', 'health', 'leader']);

export interface GateDeps {
  readonly coordinator: Pick<HaCoordinator, 'serving' | 'enter' | 'view'>;
  readonly pipeline: { handle(req: Request): Promise<Response | undefined> };
  /** The system backend, for sys/leader while the router is not loaded. */
  readonly sys: LogicalBackend;
  readonly sealed: () => boolean;
}

export class HaGate {
  constructor(private readonly deps: GateDeps) {}

  async handle(req: Request): Promise<Response | undefined> {
    const { coordinator, pipeline } = this.deps;
    if (this.deps.sealed()) return pipeline.handle(req);
    if (!coordinator.serving()) return this.notActive(req);
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
    return this.redirect(req);
  }

  /** 307 to the same path and query on the active node. */
  private redirect(req: Request): Response {
    const leader = this.deps.coordinator.view().leader;
    if (leader === undefined || leader.isSelf || leader.apiAddr === '') throw new NotActiveError();
    return { raw: { status: 307, body: undefined }, headers: { Location: redirectUrl(leader.apiAddr, req) } };
  }
}

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
