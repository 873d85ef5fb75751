/**
 * A standby sending a client request to the active node (forward-client.ts) and turning the
 * relayed answer back into a Response the HTTP shell writes unchanged.
 *
 * When forwarding is impossible (no cluster address known, no HA identity in storage yet, the
 * active node unreachable) `forward` answers undefined and the gate redirects with a 307, as
 * before forwarding existed. A read whose answer was lost is redirected too (running it again
 * is harmless); a write whose answer was lost fails with ForwardingFailedError, because it may
 * have been applied.
 */
import type { Clock } from '../clock.js';
import { isWriteOperation, type Request, type Response } from '../logical/request.js';
import type { Logger } from '../util/logger.js';
import { readHaTls, type HaTlsMaterial, type HaTlsStore } from './cluster-identity.js';
import { clusterHostPort } from './cluster-port.js';
import { ForwardingFailedError } from './errors.js';
import { ForwardLost, ForwardNotSent, HaForwardClient } from './forward-client.js';
import { encodeRequest, type ForwardedAnswer } from './forward-protocol.js';
import type { LeaderView } from './types.js';

/** How long a standby waits before looking for the HA identity again after not finding it. */
const MATERIAL_RETRY_MS = 1_000;

/** Headers the relayed answer carries that the shell sets itself. */
const SHELL_HEADERS = new Set(['content-type', 'content-length', 'cache-control', 'connection', 'transfer-encoding']);

export interface ForwarderDeps {
  /** The barrier (read only here). */
  readonly store: HaTlsStore & { reloadKeyring(): Promise<void> };
  readonly clock: Clock;
  readonly logger: Logger;
}

export class HaForwarder {
  private material: HaTlsMaterial | undefined;
  private lookedAt = Number.NEGATIVE_INFINITY;
  private client: HaForwardClient | undefined;

  constructor(private readonly deps: ForwarderDeps) {}

  /** The relayed answer, or undefined when the request should be redirected instead. */
  async forward(req: Request, leader: LeaderView): Promise<Response | undefined> {
    const target = clusterHostPort(leader.clusterAddr);
    if (target === undefined) return undefined;
    const material = await this.loadMaterial();
    if (material === undefined) return undefined;
    const address = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const client = this.clientFor(address, material);
    let answer: ForwardedAnswer;
    try {
      answer = await client.send(encodeRequest(req));
    } catch (err) {
      if (err instanceof ForwardNotSent) {
        this.deps.logger.debug('ha: cannot forward to the active node; redirecting', { address, reason: err.message });
        // A failed handshake may mean our copy of the identity is stale: read it again next time.
        this.material = undefined;
        return undefined;
      }
      if (err instanceof ForwardLost) {
        this.deps.logger.warn('ha: forwarded request got no answer', { address, path: req.path, reason: err.message });
        if (!isWriteOperation(req.operation)) return undefined;
        throw new ForwardingFailedError(err.message);
      }
      throw err;
    }
    return toResponse(answer);
  }

  /** Sealed or active: forget the identity and the connection. */
  reset(): void {
    this.material = undefined;
    this.lookedAt = Number.NEGATIVE_INFINITY;
    this.client?.close();
    this.client = undefined;
  }

  private clientFor(address: string, material: HaTlsMaterial): HaForwardClient {
    const current = this.client;
    if (current !== undefined && current.opts.address === address && current.opts.material === material) return current;
    current?.close();
    this.client = new HaForwardClient({ address, material, clock: this.deps.clock });
    return this.client;
  }

  private async loadMaterial(): Promise<HaTlsMaterial | undefined> {
    if (this.material !== undefined) return this.material;
    const now = this.deps.clock.now();
    if (now - this.lookedAt < MATERIAL_RETRY_MS) return undefined;
    this.lookedAt = now;
    try {
      this.material = await readHaTls(this.deps.store);
    } catch {
      // Written under a keyring term this standby has not loaded (the active node rotated it).
      try {
        await this.deps.store.reloadKeyring();
        this.material = await readHaTls(this.deps.store);
      } catch (err) {
        this.deps.logger.warn('ha: cannot read the cluster identity for request forwarding', { error: err as Error });
      }
    }
    return this.material;
  }
}

function toResponse(answer: ForwardedAnswer): Response {
  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(answer.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-type') contentType = value;
    if (!SHELL_HEADERS.has(lower)) headers[name] = value;
  }
  const body = answer.body === null ? undefined : Buffer.from(answer.body, 'base64');
  return {
    raw: { status: answer.status, body, ...(contentType !== undefined ? { contentType } : {}) },
    headers,
  };
}
