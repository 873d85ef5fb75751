/**
 * The expiration manager: every typed secret a backend issues gets a lease here; leases are
 * renewed within their ceilings and revoked on expiry, on request, or with the token that
 * created them. Tokens' own expiries run through the same queue so an expired token's tree,
 * leases and cubbyholes go when it expires, not when someone next presents it.
 *
 * One DeadlineQueue (one timer) holds every deadline; due work runs on a small pool so a burst
 * of expiries cannot flood the backends. Restore after unseal runs in the background: the
 * server serves while leases are being re-queued, and deadlines that passed while it was down
 * fire as soon as they are seen. A failed revocation is kept, retried with backoff, and shown
 * by sys/leases/lookup; a lease is only forgotten when its backend confirmed revocation or an
 * operator forced it.
 */
import type { Clock } from '../clock.js';
import { BadRequestError, InternalError } from '../errors.js';
import type { LeaseHandle, LogicalBackend, MountSettings } from '../logical/backend.js';
import type { SecretLease } from '../logical/request.js';
import type { StorageView } from '../logical/storage.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import type { Logger } from '../util/logger.js';
import { randomBase62 } from '../util/random.js';
import { DeadlineQueue } from './deadline-queue.js';
import { revokeBackoffMs, type LeaseEntry } from './lease-entry.js';
import { LeaseStore } from './lease-store.js';
import { calculateRenewTTL } from './renew-ttl.js';

export interface LeaseTarget {
  readonly backend: LogicalBackend;
  readonly settings: MountSettings;
}

export interface ExpirationDeps {
  /** The LEASE_PREFIX view. */
  readonly storage: StorageView;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The mounted backend serving a request path, if any. */
  readonly resolve: (path: string) => LeaseTarget | undefined;
  /** Current expiry of a stored token (ms, 0 = never), undefined when it is gone. */
  readonly tokenExpiry: (idHash: string) => Promise<number | undefined>;
  readonly revokeToken: (idHash: string) => Promise<void>;
  /** Every stored token with an expiry, for restore. */
  readonly tokenExpiries: () => AsyncIterable<readonly [string, number]>;
}

/** Concurrent expiry jobs at most. */
const POOL = 8;

export class ExpirationManager {
  private readonly leases: LeaseStore;
  private readonly locks = new KeyedMutex();
  private queue: DeadlineQueue | undefined;
  private readonly jobs: string[] = [];
  private running = 0;
  private restoreDone: Promise<void> = Promise.resolve();
  private idle: (() => void)[] = [];

  constructor(private readonly deps: ExpirationDeps) {
    this.leases = new LeaseStore(deps.storage);
  }

  /** After unseal: start the queue and restore in the background. */
  start(): void {
    this.queue = new DeadlineQueue(this.deps.clock, (key) => this.enqueue(key));
    const queue = this.queue;
    this.restoreDone = this.restore(queue).catch((err: unknown) => {
      this.deps.logger.error('expiration: restore failed', { error: err as Error });
    });
  }

  /** Before seal: stop firing; waits for restore and running jobs. */
  async stop(): Promise<void> {
    this.queue?.stop();
    this.queue = undefined;
    this.jobs.length = 0;
    await this.restoreDone;
    await this.drain();
  }

  /** Resolves once restore has finished and no job is pending (tests, shutdown). */
  async drain(): Promise<void> {
    await this.restoreDone;
    if (this.running === 0 && this.jobs.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  get pending(): number {
    return this.queue?.size ?? 0;
  }

  /**
   * Give a typed secret a lease: TTL defaults to the mount's, bounded by the backend's and the
   * mount's max. Returns the secret with its lease id and final TTL.
   */
  async register(path: string, secret: SecretLease, settings: MountSettings, tokenHash: string): Promise<SecretLease> {
    const now = this.deps.clock.now();
    const mountMax = settings.maxLeaseTTL();
    const max = secret.maxTTL !== undefined && secret.maxTTL > 0 ? Math.min(secret.maxTTL, mountMax) : mountMax;
    const ttl = Math.min(secret.ttl > 0 ? secret.ttl : settings.defaultLeaseTTL(), max);
    const entry: LeaseEntry = {
      leaseId: `${path.replace(/\/+$/, '')}/${randomBase62(24)}`,
      path,
      secretType: secret.type ?? '',
      internalData: secret.internalData ?? {},
      issueTime: now,
      expireTime: now + ttl * 1000,
      lastRenewalTime: 0,
      ttl,
      maxTTL: secret.maxTTL ?? 0,
      renewable: secret.renewable,
      tokenHash,
      revokeAttempts: 0,
      lastRevokeError: '',
    };
    await this.leases.create(entry);
    this.queue?.schedule(leaseKey(entry.leaseId), entry.expireTime);
    return { ...secret, leaseId: entry.leaseId, ttl };
  }

  lookup(leaseId: string): Promise<LeaseEntry | undefined> {
    return this.leases.get(cleanId(leaseId));
  }

  list(prefix: string): Promise<string[]> {
    return this.leases.list(prefix);
  }

  /** Renew within the lease's ceilings; the backend may refuse or shorten. */
  async renew(leaseId: string, increment: number): Promise<{ entry: LeaseEntry; warnings: string[] }> {
    const id = cleanId(leaseId);
    return this.locks.run(id, async () => {
      const entry = await this.leases.get(id);
      const now = this.deps.clock.now();
      if (entry === undefined || entry.expireTime <= now) throw new BadRequestError('lease not found or lease is not renewable');
      if (!entry.renewable) throw new BadRequestError('lease is not renewable');
      const target = this.deps.resolve(entry.path);
      if (target?.backend.renewSecret === undefined) throw new BadRequestError('lease is not renewable');
      const answer = await target.backend.renewSecret(handleOf(entry), increment);
      const { ttl, warnings } = calculateRenewTTL({
        now,
        issueTime: entry.issueTime,
        increment,
        backendTTL: answer?.ttl ?? entry.ttl,
        backendMaxTTL: answer?.maxTTL ?? entry.maxTTL,
        mountMaxTTL: target.settings.maxLeaseTTL(),
      });
      const next: LeaseEntry = { ...entry, ttl, expireTime: now + ttl * 1000, lastRenewalTime: now };
      await this.leases.update(next);
      this.queue?.schedule(leaseKey(id), next.expireTime);
      return { entry: next, warnings };
    });
  }

  /**
   * Revoke one lease through its backend. `force` forgets it even when the backend fails
   * (sys/leases/revoke-force). Unknown leases are a no-op, as in Vault.
   */
  async revoke(leaseId: string, opts: { force?: boolean } = {}): Promise<void> {
    const id = cleanId(leaseId);
    await this.locks.run(id, async () => {
      const entry = await this.leases.get(id);
      if (entry === undefined) return;
      try {
        await this.callRevoke(entry);
      } catch (err) {
        if (!opts.force) {
          await this.recordFailure(entry, err);
          throw new InternalError(`failed to revoke lease: ${messageOf(err)}`);
        }
        this.deps.logger.warn('expiration: forced revocation ignored a backend error', { lease_id: id, error: messageOf(err) });
      }
      await this.leases.delete(entry);
      this.queue?.unschedule(leaseKey(id));
    });
  }

  async revokePrefix(prefix: string, opts: { force?: boolean } = {}): Promise<void> {
    for (const id of await this.leases.idsUnder(cleanId(prefix))) await this.revoke(id, opts);
  }

  /** Revoke every lease the token created (called before the token itself goes). */
  async revokeByToken(tokenHash: string): Promise<void> {
    for (const id of await this.leases.idsOfToken(tokenHash)) await this.revoke(id);
  }

  /** Revoke leases whose token is gone (sys/leases/tidy). */
  async tidy(): Promise<number> {
    let revoked = 0;
    for (const tokenHash of await this.leases.tokenHashes()) {
      if ((await this.deps.tokenExpiry(tokenHash)) !== undefined) continue;
      for (const id of await this.leases.idsOfToken(tokenHash)) {
        await this.revoke(id).catch(() => undefined);
        revoked++;
      }
    }
    this.deps.logger.info('expiration: tidy done', { revoked });
    return revoked;
  }

  /** Track a token's expiry (creation and renewal); 0 = never expires. */
  scheduleToken(idHash: string, expireTime: number): void {
    if (expireTime > 0) this.queue?.schedule(tokenKey(idHash), expireTime);
    else this.queue?.unschedule(tokenKey(idHash));
  }

  private async callRevoke(entry: LeaseEntry): Promise<void> {
    const target = this.deps.resolve(entry.path);
    // A lease whose mount is gone has nothing left to revoke (unmounting revokes first).
    if (target === undefined || target.backend.revokeSecret === undefined) return;
    await target.backend.revokeSecret(handleOf(entry));
  }

  private async recordFailure(entry: LeaseEntry, err: unknown): Promise<void> {
    const attempts = entry.revokeAttempts + 1;
    const next: LeaseEntry = { ...entry, revokeAttempts: attempts, lastRevokeError: messageOf(err) };
    await this.leases.update(next);
    const retryAt = this.deps.clock.now() + revokeBackoffMs(attempts);
    this.queue?.schedule(leaseKey(entry.leaseId), retryAt);
    this.deps.logger.warn('expiration: revocation failed; will retry', {
      lease_id: entry.leaseId,
      attempts,
      error: messageOf(err),
    });
  }

  private enqueue(key: string): void {
    this.jobs.push(key);
    this.pump();
  }

  private pump(): void {
    while (this.running < POOL && this.jobs.length > 0) {
      const key = this.jobs.shift()!;
      this.running++;
      void this.runJob(key).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.jobs.length === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async runJob(key: string): Promise<void> {
    try {
      if (key.startsWith('t:')) await this.expireToken(key.slice(2));
      else await this.expireLease(key.slice(2));
    } catch (err) {
      this.deps.logger.error('expiration: job failed', { error: messageOf(err) });
    }
  }

  private async expireLease(leaseId: string): Promise<void> {
    const entry = await this.leases.get(leaseId);
    if (entry === undefined) return;
    if (entry.expireTime > this.deps.clock.now() && entry.revokeAttempts === 0) {
      this.queue?.schedule(leaseKey(leaseId), entry.expireTime);
      return;
    }
    // Failures are recorded and rescheduled by revoke(); nothing more to do here.
    await this.revoke(leaseId).catch(() => undefined);
  }

  private async expireToken(idHash: string): Promise<void> {
    const expireTime = await this.deps.tokenExpiry(idHash);
    if (expireTime === undefined || expireTime === 0) return;
    if (expireTime > this.deps.clock.now()) {
      this.queue?.schedule(tokenKey(idHash), expireTime);
      return;
    }
    await this.deps.revokeToken(idHash);
  }

  private async restore(queue: DeadlineQueue): Promise<void> {
    let leases = 0;
    for (const id of await this.leases.idsUnder('')) {
      if (this.queue !== queue) return;
      const entry = await this.leases.get(id);
      if (entry === undefined) continue;
      const at = entry.revokeAttempts > 0 ? this.deps.clock.now() : entry.expireTime;
      if (!queue.has(leaseKey(id))) queue.schedule(leaseKey(id), at);
      leases++;
    }
    let tokens = 0;
    for await (const [idHash, expireTime] of this.deps.tokenExpiries()) {
      if (this.queue !== queue) return;
      if (!queue.has(tokenKey(idHash))) queue.schedule(tokenKey(idHash), expireTime);
      tokens++;
    }
    this.deps.logger.info('expiration: restored', { leases, tokens });
  }
}

function leaseKey(id: string): string {
  return `l:${id}`;
}

function tokenKey(idHash: string): string {
  return `t:${idHash}`;
}

/** Lease ids are paths; a leading slash from a client is not part of them. */
function cleanId(id: string): string {
  return id.replace(/^\/+/, '');
}

function handleOf(entry: LeaseEntry): LeaseHandle {
  return {
    leaseId: entry.leaseId,
    secretType: entry.secretType,
    internalData: entry.internalData,
    issueTime: entry.issueTime,
    ttl: entry.ttl,
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
