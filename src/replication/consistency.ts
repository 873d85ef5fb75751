/**
 * Client-controlled consistency (docs/replication.md, "Consistency headers"): where a request
 * is served, decided from its headers before the token step.
 *
 *   X-Vault-Index: <n>[, <n>...]        serve only once this node has applied WAL index n (the
 *                                       largest given); wait up to INDEX_WAIT_MS, then 412
 *   X-Vault-Inconsistent: forward-active-node
 *                                       instead of waiting, forward to the primary (needs
 *                                       `allow_forwarding_via_header`; `fail` is the default)
 *   X-Vault-Forward: active-node        forward to the primary (needs the same flag; ignored without)
 *   X-Arca-Max-Staleness: <duration>    a read on a secondary whose staleness exceeds the bound
 *                                       goes to the primary (412 when it cannot)
 *
 * Indexes are ours: the decimal WAL index of the primary's current log, as every write answer
 * carries it (`stampIndex`). Requests that are the secondary's own business (its tokens,
 * leases, local mounts, replication and lifecycle endpoints) are never forwarded.
 */
import { BadRequestError, PreconditionFailedError } from '../errors.js';
import type { Operation, Response } from '../logical/request.js';
import { parseDurationMs } from '../util/duration.js';
import type { ReplicationMode } from './wal-physical.js';

export const INDEX_HEADER = 'X-Vault-Index';
/** Vault's text for a request whose X-Vault-Index this node has not reached (412). */
export const MISSING_STATE = 'required index state not present';
/** How long a request waits for its X-Vault-Index before 412 (Vault's clients retry after it). */
export const INDEX_WAIT_MS = 2000;

const MAX_INDEX_DIGITS = 15;

/** What the consistency headers of one request ask for. */
export interface ConsistencyRequest {
  /** The largest X-Vault-Index given. */
  readonly index?: number;
  /** X-Vault-Inconsistent: forward-active-node. */
  readonly forwardInconsistent: boolean;
  /** X-Vault-Forward: active-node. */
  readonly forwardActive: boolean;
  /** X-Arca-Max-Staleness in ms. */
  readonly maxStalenessMs?: number;
}

export const NO_CONSISTENCY: ConsistencyRequest = { forwardInconsistent: false, forwardActive: false };

/** Parse the headers (lower-cased names); malformed values are 400s. */
export function parseConsistency(headers: Readonly<Record<string, string>>): ConsistencyRequest {
  const rawIndex = headers['x-vault-index'];
  const rawInconsistent = headers['x-vault-inconsistent'];
  const rawForward = headers['x-vault-forward'];
  const rawStaleness = headers['x-arca-max-staleness'];
  if (rawIndex === undefined && rawInconsistent === undefined && rawForward === undefined && rawStaleness === undefined) return NO_CONSISTENCY;
  let index: number | undefined;
  // Clients echo every index they were given; repeated headers arrive joined by ", ".
  for (const part of (rawIndex ?? '').split(',')) {
    const v = part.trim();
    if (v === '') continue;
    if (!/^[0-9]+$/.test(v) || v.length > MAX_INDEX_DIGITS) throw new BadRequestError(`invalid X-Vault-Index header: ${JSON.stringify(v.slice(0, 64))}`);
    index = Math.max(index ?? 0, Number(v));
  }
  const inconsistent = (rawInconsistent ?? '').trim().toLowerCase();
  if (inconsistent !== '' && inconsistent !== 'forward-active-node' && inconsistent !== 'fail') {
    throw new BadRequestError('invalid X-Vault-Inconsistent header: expected "forward-active-node" or "fail"');
  }
  const forward = (rawForward ?? '').trim().toLowerCase();
  if (forward !== '' && forward !== 'active-node') throw new BadRequestError('invalid X-Vault-Forward header: expected "active-node"');
  let maxStalenessMs: number | undefined;
  if (rawStaleness !== undefined && rawStaleness.trim() !== '') {
    try {
      maxStalenessMs = parseDurationMs(rawStaleness);
    } catch {
      throw new BadRequestError(`invalid X-Arca-Max-Staleness header: ${JSON.stringify(rawStaleness.slice(0, 64))} is not a duration`);
    }
    if (maxStalenessMs < 0) throw new BadRequestError('invalid X-Arca-Max-Staleness header: the bound cannot be negative');
  }
  return {
    ...(index !== undefined ? { index } : {}),
    forwardInconsistent: inconsistent === 'forward-active-node',
    forwardActive: forward === 'active-node',
    ...(maxStalenessMs !== undefined ? { maxStalenessMs } : {}),
  };
}

/** This node's replication, as the consistency step sees it. */
export interface ConsistencyView {
  mode(): ReplicationMode;
  lastIndex(): number;
  waitForIndex(index: number, timeoutMs: number): Promise<boolean>;
  /** Secondary: how stale local reads may be, ms (Infinity when unknown). */
  stalenessMs(): number;
  /** A secondary connected to its primary (forwarding possible). */
  canForward(): boolean;
  /** The `replication` stanza's allow_forwarding_via_header. */
  readonly viaHeader: boolean;
}

/** Where a request runs: here, or at the primary. */
export type Placement = 'local' | 'forward';

/**
 * Decide where a request runs, waiting (bounded) for its X-Vault-Index when it must run here.
 * `forwardable`: not the node's own business (see ownRequest). Throws PreconditionFailedError.
 */
export async function place(c: ConsistencyRequest, view: ConsistencyView, op: Operation, forwardable: boolean, waitMs = INDEX_WAIT_MS): Promise<Placement> {
  if (c === NO_CONSISTENCY) return 'local';
  const secondary = view.mode() === 'secondary';
  const mayForward = secondary && forwardable;
  // Vault ignores the forwarding headers unless the operator allowed them.
  if (mayForward && view.viaHeader && c.forwardActive) return 'forward';
  if (c.index !== undefined && view.lastIndex() < c.index) {
    if (mayForward && view.viaHeader && c.forwardInconsistent && view.canForward()) return 'forward';
    if (!(await view.waitForIndex(c.index, waitMs))) throw new PreconditionFailedError(MISSING_STATE);
  }
  // Only replicated data can be stale: the node's own (local) data is always current here.
  if (c.maxStalenessMs !== undefined && mayForward && (op === 'read' || op === 'list')) {
    const staleness = view.stalenessMs();
    if (staleness > c.maxStalenessMs) {
      if (view.canForward()) return 'forward';
      const behind = Number.isFinite(staleness) ? `${Math.round(staleness)}ms` : 'an unknown time';
      throw new PreconditionFailedError(`this secondary is ${behind} behind its primary, more than X-Arca-Max-Staleness allows, and cannot reach the primary`);
    }
  }
  return 'local';
}

/** sys/ paths that are the node's own state or lifecycle (relative to sys/). */
const OWN_SYS = [
  'replication', 'leases', 'renew', 'revoke', 'revoke-prefix', 'revoke-force', 'wrapping', 'seal', 'seal-status', 'unseal',
  'step-down', 'generate-root', 'rekey', 'audit', 'audit-hash', 'config/auditing', 'health', 'leader', 'ha-status', 'metrics',
  'init', 'host-info', 'in-flight-req', 'pprof', 'capabilities', 'capabilities-self', 'capabilities-accessor', 'internal', 'tools', 'config/cors',
];

/**
 * Whether a request is the node's own business and so never forwarded: token store operations
 * (tokens are local), local mounts (cubbyhole included), leases, response wrapping, replication,
 * audit and lifecycle endpoints, and anything that looks up a local token.
 */
export function ownRequest(
  route: { readonly kind: string; readonly type: string; readonly local: boolean },
  relativePath: string,
  data: Readonly<Record<string, unknown>>,
): boolean {
  if (route.local) return true;
  if (route.kind === 'auth' && route.type === 'token') return true;
  if (route.type !== 'system') return false;
  const rel = relativePath.replace(/\/+$/, '');
  // Enabling a local mount or auth method creates it on this cluster only.
  if ((rel.startsWith('mounts/') || rel.startsWith('auth/')) && (data['local'] === true || data['local'] === 'true')) return true;
  return OWN_SYS.some((p) => rel === p || rel.startsWith(`${p}/`));
}

/** sys/replication/* answers at once, whatever the headers: operators read lag there. */
export function consistencyExempt(route: { readonly type: string }, relativePath: string): boolean {
  return route.type === 'system' && (relativePath === 'replication' || relativePath.startsWith('replication/'));
}

/**
 * Every write answer on a replicated cluster carries the WAL index to wait for elsewhere
 * (an answer that already has one, a forwarded write's, keeps it). Reads are left alone.
 */
export function stampIndex(resp: Response | undefined, op: Operation, index: number): Response | undefined {
  if (op === 'read' || op === 'list' || op === 'help') return resp;
  if (resp?.headers?.[INDEX_HEADER] !== undefined) return resp;
  const out: Response = resp ?? {};
  out.headers = { ...(out.headers ?? {}), [INDEX_HEADER]: String(index) };
  return out;
}
