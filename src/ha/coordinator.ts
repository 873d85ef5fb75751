/**
 * The HA state machine of one node: contend for the lock while a standby, renew it while
 * active, and move the core between roles. It is also the write fence PostgresPhysical checks
 * every write against (see README.md for why that makes a paused or partitioned old active node
 * harmless).
 *
 *   sealed --unsealed()--> standby --acquired--> active --lost / step-down--> standby
 *   any --sealing()/sealed()--> sealed
 *
 * Role changes run one at a time (a SerialQueue); renewals run beside them, so a slow
 * activation cannot let the lease lapse unnoticed.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { LockClaim, LockHolder, NodeAdvert, NodeRow, WriteFence } from '../storage/pg-lock.js';
import type { Logger } from '../util/logger.js';
import { SerialQueue } from '../util/serial-queue.js';
import { NotActiveError } from './errors.js';
import type { HaControl, HaHost, HaNodeView, HaView, LeaderView } from './types.js';

/** The lock operations the coordinator needs (PgHaLock implements them). */
export interface HaLock {
  tryAcquire(nodeId: string, advert: NodeAdvert, activeSince: string, term: string, ttlMs: number, observed: LockHolder | undefined): Promise<LockClaim | undefined>;
  renew(claim: LockClaim, ttlMs: number): Promise<boolean>;
  release(claim: LockClaim): Promise<void>;
  holder(): Promise<LockHolder | undefined>;
  heartbeat(nodeId: string, advert: NodeAdvert, ttlMs: number): Promise<void>;
  nodes(ttlMs: number): Promise<NodeRow[]>;
  forgetNode(nodeId: string): Promise<void>;
  pruneNodes(): Promise<void>;
  onSessionLost(listener: () => void): void;
  close(): Promise<void>;
}

export interface HaTimings {
  /** Lease length, in the database's clock. */
  readonly lockTtlMs: number;
  /** How often the active node renews its lease. */
  readonly renewIntervalMs: number;
  /** How often a standby tries for the lock (and a failed renewal is retried). */
  readonly retryIntervalMs: number;
  /**
   * The active node stops serving this long before its lease could have lapsed in the database
   * (counted from when the renewal was sent), covering clock-rate differences.
   */
  readonly safetyMarginMs: number;
  /** After sys/step-down, this node does not try for the lock for this long. */
  readonly stepDownCooldownMs: number;
  /** Step-down waits at most this long for requests in flight. */
  readonly drainMs: number;
  readonly heartbeatIntervalMs: number;
  /** A node's heartbeat row expires after this long. */
  readonly nodeTtlMs: number;
}

/** Close to Vault's PostgreSQL lock: 15 s lease renewed every 5 s, retried every second. */
export const DEFAULT_HA_TIMINGS: HaTimings = Object.freeze({
  lockTtlMs: 15_000,
  renewIntervalMs: 5_000,
  retryIntervalMs: 1_000,
  safetyMarginMs: 1_000,
  stepDownCooldownMs: 10_000,
  drainMs: 5_000,
  heartbeatIntervalMs: 5_000,
  nodeTtlMs: 15_000,
});

export interface CoordinatorDeps {
  readonly lock: HaLock;
  readonly host: HaHost;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This node's addresses; read when needed because listeners on port 0 know theirs late. */
  readonly advert: () => NodeAdvert;
  /** Where the fence is installed at the first unseal (the PostgreSQL physical). */
  readonly fenceTarget: { setWriteFence(fence: WriteFence): void };
  readonly timings?: Partial<HaTimings>;
}

type Role =
  | { readonly kind: 'sealed' }
  | { readonly kind: 'standby'; readonly quietUntil: number }
  | { readonly kind: 'activating'; readonly claim: LockClaim }
  | { readonly kind: 'active'; readonly claim: LockClaim; readonly since: string }
  /** Stepping down or lost: not serving; `claim` (step-down only) stays valid for writes until released. */
  | { readonly kind: 'leaving'; readonly claim: LockClaim | undefined }
  /** Between the core's sealing() and sealed() hooks: no role changes any more. */
  | { readonly kind: 'sealing'; readonly claim: LockClaim | undefined };

export class HaCoordinator implements HaControl, WriteFence {
  readonly nodeId = randomUUID();
  readonly timings: HaTimings;
  private role: Role = { kind: 'sealed' };
  private readonly transitions = new SerialQueue();
  private cancelElection: (() => void) | undefined;
  private cancelRenewal: (() => void) | undefined;
  /** Local time after which this node must assume its lease may have lapsed. */
  private leaseDeadline = 0;
  private activeSince = '';
  private lastHolder: LockHolder | undefined;
  private lastHeartbeat = Number.NEGATIVE_INFINITY;
  private inflight = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly deps: CoordinatorDeps) {
    this.timings = { ...DEFAULT_HA_TIMINGS, ...deps.timings };
    deps.lock.onSessionLost(() => {
      const claim = this.heldClaim();
      // Other nodes can now see our lock session is gone and take over: the claim is as good as lost.
      if (claim !== undefined) this.lose(claim, 'lock session to PostgreSQL broke');
    });
  }

  // ---- lifecycle (the core's hooks) ----

  async unsealed(): Promise<void> {
    await this.transitions.run(async () => {
      if (this.role.kind !== 'sealed') return;
      // From the first unseal on, a node that holds no claim may not write at all.
      this.deps.fenceTarget.setWriteFence(this);
      this.role = { kind: 'standby', quietUntil: 0 };
      await this.deps.host.enterStandby().catch((err: unknown) => this.deps.logger.warn('ha: reading the cluster info and CORS policy as a standby failed', { error: err as Error }));
      this.deps.logger.info('core: entering standby mode', { node_id: this.nodeId });
      await this.electionTick();
    });
  }

  async sealing(): Promise<void> {
    this.cancelElection?.();
    this.cancelElection = undefined;
    await this.transitions.run(async () => {
      this.role = { kind: 'sealing', claim: this.heldClaim() };
    });
  }

  async sealed(): Promise<void> {
    await this.transitions.run(async () => {
      const claim = this.heldClaim();
      this.stopRenewals();
      this.role = { kind: 'sealed' };
      if (claim !== undefined) await this.release(claim);
      await this.deps.lock.forgetNode(this.nodeId).catch(() => undefined);
      this.lastHolder = undefined;
    });
  }

  /** Stop every timer and close the lock session (process shutdown, after the core sealed). */
  async close(): Promise<void> {
    this.cancelElection?.();
    this.stopRenewals();
    await this.transitions.run(async () => undefined);
    await this.deps.lock.close();
  }

  // ---- serving ----

  /** Whether this node may serve requests now: active, with a lease that cannot have lapsed. */
  serving(): boolean {
    const r = this.role;
    if (r.kind !== 'active') return false;
    if (this.deps.clock.now() >= this.leaseDeadline) {
      this.lose(r.claim, 'lease not renewed in time');
      return false;
    }
    return true;
  }

  /** Count a request in flight; call the returned function when it is done. */
  enter(): () => void {
    this.inflight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.inflight--;
      if (this.inflight === 0) for (const wake of this.idle.splice(0)) wake();
    };
  }

  view(): HaView {
    const r = this.role;
    const role = r.kind === 'active' ? 'active' : r.kind === 'standby' ? 'standby' : r.kind === 'sealed' ? 'sealed' : 'transition';
    return { nodeId: this.nodeId, role, leader: this.leader() };
  }

  async nodes(): Promise<HaNodeView[]> {
    const rows = await this.deps.lock.nodes(this.timings.nodeTtlMs);
    const leader = this.leader();
    const views = rows.map((row): HaNodeView => {
      const active = leader !== undefined && row.nodeId === leader.nodeId;
      return {
        hostname: row.advert.hostname,
        api_address: row.advert.apiAddr,
        cluster_address: row.advert.clusterAddr,
        active_node: active,
        last_echo: active ? null : new Date(row.lastSeen).toISOString(),
        version: row.advert.version,
        echo_duration_ms: 0,
        clock_skew_ms: 0,
        replication_primary_canary_age_ms: 0,
      };
    });
    return views.sort((a, b) => Number(b.active_node) - Number(a.active_node));
  }

  stepDown(): void {
    const r = this.role;
    if (r.kind !== 'active') return;
    // After the current request's answer is on its way.
    this.deps.clock.setTimer(0, () => void this.transitions.run(() => this.leave(r.claim, 'stepping down from active operation', true)));
  }

  // ---- the write fence ----

  current(): LockClaim {
    const claim = this.heldClaim();
    if (claim === undefined) throw new NotActiveError();
    return claim;
  }

  refused(claim: LockClaim): Error {
    this.lose(claim, 'a write found the lock held by another node');
    return new NotActiveError();
  }

  // ---- internals ----

  private heldClaim(): LockClaim | undefined {
    const r = this.role;
    return r.kind === 'activating' || r.kind === 'active' || r.kind === 'leaving' || r.kind === 'sealing' ? r.claim : undefined;
  }

  private leader(): LeaderView | undefined {
    const r = this.role;
    if (r.kind === 'active' || r.kind === 'activating') {
      const a = this.deps.advert();
      return { nodeId: this.nodeId, apiAddr: a.apiAddr, clusterAddr: a.clusterAddr, activeSince: this.activeSince, isSelf: true };
    }
    const h = this.lastHolder;
    if (h === undefined || !h.valid || h.advert === undefined || h.identity === this.nodeId) return undefined;
    return { nodeId: h.identity, apiAddr: h.advert.apiAddr, clusterAddr: h.advert.clusterAddr, activeSince: h.advert.activeSince, isSelf: false };
  }

  private scheduleElection(ms: number): void {
    this.cancelElection?.();
    this.cancelElection = this.deps.clock.setTimer(ms, () => {
      this.cancelElection = undefined;
      void this.transitions.run(() => this.electionTick());
    });
  }

  /** A standby's turn: heartbeat, look at the lock, take it if it is free. */
  private async electionTick(): Promise<void> {
    const r = this.role;
    if (r.kind !== 'standby') return;
    try {
      await this.heartbeat();
      // Its own failure: what a standby shows must not keep it from taking the lock.
      await this.deps.host.followActive().catch((err: unknown) => this.deps.logger.warn('ha: reading the cluster info and CORS policy as a standby failed', { error: err as Error }));
      const holder = await this.deps.lock.holder();
      this.lastHolder = holder;
      if (this.deps.clock.now() >= r.quietUntil && (holder === undefined || !holder.valid)) await this.tryBecomeActive(holder);
    } catch (err) {
      this.deps.logger.warn('ha: lock check failed; retrying', { error: err as Error });
    } finally {
      if (this.role.kind === 'standby') this.scheduleElection(this.timings.retryIntervalMs);
    }
  }

  private async tryBecomeActive(observed: LockHolder | undefined): Promise<void> {
    const since = new Date(this.deps.clock.now()).toISOString();
    const sentAt = this.deps.clock.now();
    const claim = await this.deps.lock.tryAcquire(this.nodeId, this.deps.advert(), since, randomUUID(), this.timings.lockTtlMs, observed);
    if (claim === undefined) return;
    this.leaseDeadline = sentAt + this.timings.lockTtlMs - this.timings.safetyMarginMs;
    this.activeSince = since;
    this.role = { kind: 'activating', claim };
    this.scheduleRenewal(this.timings.renewIntervalMs);
    this.deps.logger.info('core: acquired lock, enabling active operation', { node_id: this.nodeId });
    try {
      await this.deps.host.activate();
    } catch (err) {
      this.deps.logger.error('ha: activation failed; giving the lock up', { error: err as Error });
      await this.leave(claim, 'activation failed', true);
      return;
    }
    if (this.role.kind !== 'activating' || this.role.claim !== claim) return;
    this.role = { kind: 'active', claim, since };
    this.lastHolder = undefined;
  }

  private scheduleRenewal(ms: number): void {
    this.cancelRenewal?.();
    this.cancelRenewal = this.deps.clock.setTimer(ms, () => {
      this.cancelRenewal = undefined;
      void this.renewTick();
    });
  }

  private stopRenewals(): void {
    this.cancelRenewal?.();
    this.cancelRenewal = undefined;
  }

  private async renewTick(): Promise<void> {
    const claim = this.heldClaim();
    if (claim === undefined) return;
    const sentAt = this.deps.clock.now();
    let renewed: boolean;
    try {
      renewed = await this.deps.lock.renew(claim, this.timings.lockTtlMs);
    } catch (err) {
      if (this.deps.clock.now() >= this.leaseDeadline) {
        this.lose(claim, 'could not renew the lease in time');
      } else {
        this.deps.logger.warn('ha: lease renewal failed; retrying', { error: err as Error });
        if (this.heldClaim() === claim) this.scheduleRenewal(this.timings.retryIntervalMs);
      }
      return;
    }
    if (!renewed) {
      this.lose(claim, 'the lock is held by another node');
      return;
    }
    this.leaseDeadline = Math.max(this.leaseDeadline, sentAt + this.timings.lockTtlMs - this.timings.safetyMarginMs);
    if (this.heldClaim() !== claim) return;
    this.scheduleRenewal(this.timings.renewIntervalMs);
    await this.heartbeat().catch(() => undefined);
  }

  private async heartbeat(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.lastHeartbeat < this.timings.heartbeatIntervalMs) return;
    this.lastHeartbeat = now;
    await this.deps.lock.heartbeat(this.nodeId, this.deps.advert(), this.timings.nodeTtlMs);
    if (this.role.kind === 'active') await this.deps.lock.pruneNodes();
  }

  /** The claim is gone (or must be presumed gone): stop writing at once, then stand down. */
  private lose(claim: LockClaim, reason: string): void {
    if (this.heldClaim() !== claim) return;
    this.stopRenewals();
    if (this.role.kind === 'sealing') {
      // The seal is already stopping everything; just stop writing.
      this.role = { kind: 'sealing', claim: undefined };
      return;
    }
    // Refuse writes now, before the queue gets to the teardown.
    this.role = { kind: 'leaving', claim: undefined };
    void this.transitions.run(() => this.leave(undefined, `lost the lock: ${reason}`, false));
  }

  /**
   * Stand down to standby. A voluntary step-down (`claim` still valid) first lets requests in
   * flight finish and stops services while still holding the lock, then releases it; a loss
   * stops at once (writes are already refused).
   */
  private async leave(claim: LockClaim | undefined, reason: string, voluntary: boolean): Promise<void> {
    if (claim !== undefined ? this.heldClaim() !== claim : this.role.kind !== 'leaving') return;
    this.deps.logger.warn(`core: ${reason}`, { node_id: this.nodeId });
    this.role = { kind: 'leaving', claim };
    if (voluntary) await this.drain();
    try {
      await this.deps.host.deactivate();
    } catch (err) {
      this.deps.logger.error('ha: stopping active services failed', { error: err as Error });
    }
    this.stopRenewals();
    if (claim !== undefined) await this.release(claim);
    if (this.role.kind !== 'leaving') return; // sealing meanwhile
    const cooldown = voluntary ? this.timings.stepDownCooldownMs : 0;
    this.role = { kind: 'standby', quietUntil: this.deps.clock.now() + cooldown };
    this.deps.logger.info('core: entering standby mode', { node_id: this.nodeId });
    // At once, to learn the new holder for redirects (taking the lock waits for the cooldown).
    this.scheduleElection(0);
  }

  private async release(claim: LockClaim): Promise<void> {
    try {
      await this.deps.lock.release(claim);
    } catch (err) {
      // The lease then lapses by itself.
      this.deps.logger.warn('ha: releasing the lock failed; it will expire', { error: err as Error });
    }
  }

  private async drain(): Promise<void> {
    if (this.inflight === 0) return;
    await new Promise<void>((resolve) => {
      const cancel = this.deps.clock.setTimer(this.timings.drainMs, () => {
        this.idle = this.idle.filter((w) => w !== wake);
        resolve();
      });
      const wake = (): void => {
        cancel();
        resolve();
      };
      this.idle.push(wake);
    });
  }
}
