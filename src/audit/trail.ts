/**
 * The pipeline's audit step for one request. The request entry is written once the caller
 * and the authorisation decision are known, before the backend runs; if it cannot be
 * written, the request stops there (fail closed) and the backend never runs. The response
 * entry follows the backend (and the login, lease and wrapping steps). A request refused
 * before the backend (bad token, ACL, unknown route) gets a request entry with `error`.
 *
 * Not audited, as in Vault: the seal lifecycle and health endpoints (sys/init, seal-status,
 * seal, unseal, step-down, leader, health, rekey), sys/internal/ui/feature-flags, the raft
 * join/bootstrap paths, the replication status endpoints that load balancers poll, and
 * sys/metrics when it is served without a token (that path never reaches the pipeline's
 * audit step).
 */
import type { Request, Response } from '../logical/request.js';
import type { MountConfig } from '../router/mount-entry.js';
import type { AuditBroker } from './broker.js';
import type { LogInput } from './entry.js';

const UNAUDITED = new Set([
  'sys/init',
  'sys/seal-status',
  'sys/seal',
  'sys/step-down',
  'sys/unseal',
  'sys/leader',
  'sys/health',
  'sys/internal/ui/feature-flags',
  'sys/storage/raft/bootstrap',
  'sys/storage/raft/join',
  'sys/replication/status',
  'sys/replication/performance/status',
  'sys/replication/dr/status',
]);
const UNAUDITED_PREFIXES = ['sys/rekey/', 'sys/rekey-recovery-key/'];

export function isAudited(path: string): boolean {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  if (UNAUDITED.has(p)) return false;
  for (const prefix of UNAUDITED_PREFIXES) if (p.startsWith(prefix)) return false;
  return true;
}

/**
 * Requests a secondary forwarded to this primary, with the secondary's cluster id. The
 * replication layer marks the request before handing it to the pipeline; its entries then
 * carry `forwarded_from` next to the caller's identity.
 */
const forwarded = new WeakMap<Request, string>();

export function markForwarded(req: Request, secondaryId: string): void {
  forwarded.set(req, secondaryId);
}

type Stage = 'before-request' | 'request-logged' | 'done';

export class AuditTrail {
  private stage: Stage = 'before-request';
  private mountClass: string | undefined;
  private nonHmacRequestKeys: ReadonlySet<string> | undefined;
  private nonHmacResponseKeys: ReadonlySet<string> | undefined;

  constructor(
    private readonly broker: AuditBroker,
    private readonly req: Request,
  ) {}

  /** The mount that serves the request: its class and its audit_non_hmac_* keys. */
  routed(kind: string, config: MountConfig): void {
    this.mountClass = kind;
    const reqKeys = config.audit_non_hmac_request_keys;
    const respKeys = config.audit_non_hmac_response_keys;
    if (reqKeys !== undefined && reqKeys.length > 0) this.nonHmacRequestKeys = new Set(reqKeys);
    if (respKeys !== undefined && respKeys.length > 0) this.nonHmacResponseKeys = new Set(respKeys);
  }

  /** Before the backend: throws (500) when no device records the request. */
  async request(): Promise<void> {
    if (this.stage !== 'before-request') return;
    this.stage = 'done';
    await this.broker.log('request', this.input());
    this.stage = 'request-logged';
  }

  /** After the backend and the steps that shape the response (wrapping included). */
  async response(resp: Response | undefined): Promise<void> {
    if (this.stage !== 'request-logged') return;
    this.stage = 'done';
    await this.broker.log('response', resp === undefined ? this.input() : { ...this.input(), response: resp });
  }

  /**
   * The request failed: before the backend, a request entry with the error; after it, a
   * response entry with the error. Throws (500) if no device records it.
   */
  async failed(error: unknown): Promise<void> {
    const stage = this.stage;
    this.stage = 'done';
    if (stage === 'before-request') await this.broker.log('request', { ...this.input(), error });
    else if (stage === 'request-logged') await this.broker.log('response', { ...this.input(), error });
  }

  private input(): LogInput {
    const from = forwarded.get(this.req);
    return {
      request: this.req,
      auditedHeaders: this.broker.auditedHeaders,
      ...(this.mountClass !== undefined ? { mountClass: this.mountClass } : {}),
      ...(this.nonHmacRequestKeys !== undefined ? { nonHmacRequestKeys: this.nonHmacRequestKeys } : {}),
      ...(this.nonHmacResponseKeys !== undefined ? { nonHmacResponseKeys: this.nonHmacResponseKeys } : {}),
      ...(from !== undefined ? { forwardedFrom: from } : {}),
    };
  }
}

/**
 * The audit step for a request, or undefined when nothing is to be audited (no device, exempt
 * path). Enabling a device is always followed: its response is the new device's first entry,
 * as in Vault.
 */
export function auditTrail(broker: AuditBroker, req: Request): AuditTrail | undefined {
  if (!broker.enabled && !req.path.startsWith('sys/audit/')) return undefined;
  return isAudited(req.path) ? new AuditTrail(broker, req) : undefined;
}
