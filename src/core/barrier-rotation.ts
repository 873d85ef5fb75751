/**
 * Automatic rotation of the barrier key (sys/rotate/config). AES-GCM with random nonces should
 * not encrypt more than ~2^32 times under one key (NIST SP 800-38D), so the active node rotates
 * the key after `max_operations` encryptions (default just under 4 billion, as Vault) or once
 * the active term is `interval` old (off by default); `enabled: false` stops rotating, never
 * counting.
 *
 * Counting survives restarts and failovers: the count of the active term is stored (local key,
 * through the barrier) every CHECK_EVERY_MS and when services stop, and added back at unseal.
 * Only a node that writes the replicated keyring rotates (the active node of a primary or of a
 * cluster without replication); a performance secondary counts its own writes but leaves the
 * rotation to its primary, whose new term arrives by replication.
 */
import type { Clock } from '../clock.js';
import { BadRequestError } from '../errors.js';
import type { Storage } from '../logical/storage.js';
import { BARRIER_ENCRYPTION_COUNT, BARRIER_ROTATION_CONFIG } from '../storage/keys.js';
import type { Logger } from '../util/logger.js';

export interface RotationConfig {
  readonly maxOperations: number;
  /** Seconds; 0 = no time-based rotation. */
  readonly interval: number;
  readonly enabled: boolean;
}

export const DEFAULT_MAX_OPERATIONS = 3_865_470_566;
export const MIN_MAX_OPERATIONS = 1_000_000;
export const MIN_INTERVAL_SECONDS = 24 * 60 * 60;
export const DEFAULT_ROTATION_CONFIG: RotationConfig = { maxOperations: DEFAULT_MAX_OPERATIONS, interval: 0, enabled: true };
/** How often the count is stored and the limits are checked. */
export const CHECK_EVERY_MS = 10_000;

export interface RotationDeps {
  /** The barrier, for the two records (it encrypts them). */
  readonly storage: Storage;
  /** The active term, its install time and this process's encryptions under it since unseal or rotation. */
  readonly keyStatus: () => { readonly term: number; readonly installTime: string; readonly encryptions: number };
  readonly rotate: () => Promise<unknown>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Whether this node writes the keyring (asked at each check: replication modes change). */
  readonly mayRotate: () => boolean;
}

interface StoredCount {
  readonly term: number;
  readonly encryptions: number;
}

/** Check a change against Vault's limits and merge it into the current settings. */
export function mergeRotationConfig(current: RotationConfig, change: { maxOperations?: number; interval?: number; enabled?: boolean }): RotationConfig {
  const next = { ...current, ...change };
  if (!Number.isInteger(next.maxOperations) || next.maxOperations < MIN_MAX_OPERATIONS || next.maxOperations > DEFAULT_MAX_OPERATIONS) {
    throw new BadRequestError(`max_operations must be between ${MIN_MAX_OPERATIONS} and ${DEFAULT_MAX_OPERATIONS}`);
  }
  if (next.interval < 0 || (next.interval > 0 && next.interval < MIN_INTERVAL_SECONDS)) throw new BadRequestError('interval must be at least 24h');
  return next;
}

export class BarrierRotation {
  /** Encryptions of `baseTerm` before this process started counting (from storage). */
  private base = 0;
  private baseTerm = 0;
  /** What the stored count says, so unchanged counts are not written again. */
  private stored: StoredCount | undefined;
  private cancelTimer: (() => void) | undefined;
  private running = false;

  constructor(private readonly deps: RotationDeps) {}

  async config(): Promise<RotationConfig> {
    const raw = await this.deps.storage.get(BARRIER_ROTATION_CONFIG);
    return raw === undefined ? DEFAULT_ROTATION_CONFIG : { ...DEFAULT_ROTATION_CONFIG, ...(JSON.parse(raw.toString('utf8')) as Partial<RotationConfig>) };
  }

  async setConfig(change: { maxOperations?: number; interval?: number; enabled?: boolean }): Promise<RotationConfig> {
    const next = mergeRotationConfig(await this.config(), change);
    await this.deps.storage.put(BARRIER_ROTATION_CONFIG, Buffer.from(JSON.stringify(next), 'utf8'));
    return next;
  }

  /** Encryptions under the active term, across restarts (sys/key-status). */
  encryptions(): number {
    const s = this.deps.keyStatus();
    return s.term === this.baseTerm ? this.base + s.encryptions : s.encryptions;
  }

  /** After unseal or activation: pick up the stored count, then check on a timer. */
  async start(): Promise<void> {
    const stored = await this.readCount();
    const term = this.deps.keyStatus().term;
    this.base = stored?.term === term ? stored.encryptions : 0;
    this.baseTerm = term;
    this.stored = stored;
    this.running = true;
    this.arm();
  }

  /** Before seal or step-down: stop checking and store the count one last time. */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (!wasRunning) return;
    await this.storeCount().catch((err: unknown) => this.deps.logger.warn('core: cannot store the barrier encryption count', { error: err as Error }));
  }

  /** One check: store the count, then rotate if a limit is reached. Returns whether it rotated. */
  async check(): Promise<boolean> {
    await this.storeCount();
    if (!this.deps.mayRotate()) return false;
    const config = await this.config();
    if (!config.enabled) return false;
    const status = this.deps.keyStatus();
    const count = this.encryptions();
    const age = this.deps.clock.now() - Date.parse(status.installTime);
    const reason = count >= config.maxOperations ? 'max_operations' : config.interval > 0 && age >= config.interval * 1000 ? 'interval' : undefined;
    if (reason === undefined) return false;
    await this.deps.rotate();
    this.deps.logger.info('core: barrier key rotated automatically', { reason, previous_term: status.term, encryptions: count });
    await this.storeCount();
    return true;
  }

  /**
   * The stored count, or undefined when there is none or it cannot be read: a cluster that
   * became a performance secondary took its primary's keyring, and what it stored under its
   * own can no longer be opened. Counting then restarts; the next store overwrites it.
   */
  private async readCount(): Promise<StoredCount | undefined> {
    try {
      const raw = await this.deps.storage.get(BARRIER_ENCRYPTION_COUNT);
      return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as StoredCount);
    } catch (err) {
      this.deps.logger.info('core: the stored barrier encryption count cannot be read (the keyring changed); counting starts again', { error: err as Error });
      return undefined;
    }
  }

  private arm(): void {
    this.cancelTimer = this.deps.clock.setTimer(CHECK_EVERY_MS, () => {
      if (!this.running) return;
      this.check()
        .catch((err: unknown) => this.deps.logger.warn('core: barrier key rotation check failed', { error: err as Error }))
        .finally(() => {
          if (this.running) this.arm();
        });
    });
  }

  private async storeCount(): Promise<void> {
    const now: StoredCount = { term: this.deps.keyStatus().term, encryptions: this.encryptions() };
    if (this.stored?.term === now.term && this.stored.encryptions === now.encryptions) return;
    await this.deps.storage.put(BARRIER_ENCRYPTION_COUNT, Buffer.from(JSON.stringify(now), 'utf8'));
    // That write was one more encryption: not a reason to write again, or an idle node would
    // store its count every CHECK_EVERY_MS for ever.
    this.stored = { term: now.term, encryptions: now.encryptions + 1 };
  }
}
