/**
 * The Shamir seal: sys/init, sys/unseal and sys/seal on top of the barrier.
 *
 * At init a random 32-byte root key (which opens the barrier's keyring) and a random 32-byte
 * unseal key are made. The unseal key is split into shares for the operators and stored
 * nowhere; the root key is stored at SEAL_ROOT_KEY encrypted with the unseal key (AAD = that
 * storage key). Unsealing recombines the unseal key from threshold shares, opens the stored
 * root key with it and hands the root key to the barrier. SEAL_CONFIG (shares/threshold) is
 * plaintext JSON: it holds no secret and status must read it while sealed.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { SealedError } from '../errors.js';
import type { Physical } from '../storage/physical.js';
import { SEAL_CONFIG, SEAL_ROOT_KEY } from '../storage/keys.js';
import { KEY_LENGTH, decryptWith, encryptWith } from './aead.js';
import type { AesGcmBarrier } from './aes-gcm-barrier.js';
import { ownedCopy, randomKey, zeroAll } from './bytes.js';
import { AlreadyInitializedError, InvalidUnsealKeyError, NotInitializedError, SealConfigError, UnsealFailedError } from './errors.js';
import { MAX_PARTS, ShamirError, combine, split } from './shamir.js';
import { SerialQueue } from '../util/serial-queue.js';

/** Shortest and longest unseal share accepted (a 32-byte key plus Shamir's one x byte). */
export const MIN_SHARE_LENGTH = 16;
export const MAX_SHARE_LENGTH = KEY_LENGTH + 1;

export interface SealConfig {
  readonly secretShares: number;
  readonly secretThreshold: number;
}

export interface SealStatus {
  readonly initialized: boolean;
  readonly sealed: boolean;
  /** Threshold; 0 when not initialised. */
  readonly t: number;
  /** Number of shares; 0 when not initialised. */
  readonly n: number;
  /** Shares accepted in the current unseal attempt. */
  readonly progress: number;
  /** The current unseal attempt's nonce, '' when no attempt is in progress. */
  readonly nonce: string;
}

export type UnsealProgress = Omit<SealStatus, 'initialized'>;

interface StoredSealConfig {
  type: 'shamir';
  secret_shares: number;
  secret_threshold: number;
}

/** Vault's SealConfig rules, in Vault's order and wording. */
export function validateSealConfig(config: SealConfig): void {
  const { secretShares: shares, secretThreshold: threshold } = config;
  if (!Number.isInteger(shares)) throw new SealConfigError('shares must be an integer');
  if (!Number.isInteger(threshold)) throw new SealConfigError('threshold must be an integer');
  if (shares < 1) throw new SealConfigError('shares must be at least one');
  if (threshold < 1) throw new SealConfigError('threshold must be at least one');
  if (shares > 1 && threshold === 1) throw new SealConfigError('threshold must be greater than one for multiple shares');
  if (shares > MAX_PARTS) throw new SealConfigError('shares must be less than 256');
  if (threshold > MAX_PARTS) throw new SealConfigError('threshold must be less than 256');
  if (threshold > shares) throw new SealConfigError('threshold cannot be larger than shares');
}

/** Reject a share that cannot be one of ours, before it is counted. */
export function checkShareLength(key: Buffer): void {
  if (key.length < MIN_SHARE_LENGTH) throw new InvalidUnsealKeyError(`invalid key: key is shorter than minimum ${MIN_SHARE_LENGTH} bytes`);
  if (key.length > MAX_SHARE_LENGTH) throw new InvalidUnsealKeyError(`invalid key: key is longer than maximum ${MAX_SHARE_LENGTH} bytes`);
}

/** Whether `key` equals one of `parts`, compared in constant time per candidate. */
export function containsShare(parts: readonly Buffer[], key: Buffer): boolean {
  return parts.some((p) => p.length === key.length && timingSafeEqual(p, key));
}

/** A rekey made but not stored yet (ShamirSeal.prepareRekey). */
export interface PreparedRekey {
  readonly config: SealConfig;
  /** The new shares, for the operators; the caller zeroes them once they are encoded. */
  readonly shares: Buffer[];
  /** The root key encrypted with the new unseal key: what SEAL_ROOT_KEY will hold. */
  readonly rootKeyBox: Buffer;
}

/** Shamir-combine shares into an unseal key; zeroes the shares. */
function combineShares(shares: readonly Buffer[]): Buffer {
  try {
    return combine(shares);
  } catch (err) {
    if (err instanceof ShamirError) throw new UnsealFailedError(`failed to compute root key: ${err.message}`);
    throw err;
  } finally {
    zeroAll(shares);
  }
}

export class ShamirSeal {
  private parts: Buffer[] = [];
  private nonce = '';
  private readonly queue = new SerialQueue();

  constructor(
    private readonly physical: Physical,
    private readonly barrier: AesGcmBarrier,
  ) {}

  get sealed(): boolean {
    return this.barrier.sealed;
  }

  /** The stored seal configuration, or undefined before init. */
  async config(): Promise<SealConfig | undefined> {
    const raw = await this.physical.get(SEAL_CONFIG);
    if (raw === undefined) return undefined;
    const stored = JSON.parse(raw.toString('utf8')) as Partial<StoredSealConfig>;
    const config = { secretShares: Number(stored.secret_shares), secretThreshold: Number(stored.secret_threshold) };
    validateSealConfig(config);
    return config;
  }

  async status(): Promise<SealStatus> {
    const config = await this.config();
    return { initialized: config !== undefined, ...this.progressFor(config) };
  }

  /**
   * sys/init. Validates as Vault does, then writes config, stored root key, keyring and canary
   * in one atomic batch. Leaves the barrier unsealed: the caller creates the root token and then
   * seals (or, in dev mode, stays unsealed).
   */
  initialize(params: SealConfig): Promise<{ shares: Buffer[] }> {
    return this.queue.run(async () => {
      const config: SealConfig = { secretShares: params.secretShares, secretThreshold: params.secretThreshold };
      validateSealConfig(config);
      if ((await this.config()) !== undefined || (await this.barrier.initialized())) throw new AlreadyInitializedError();

      const rootKey = randomKey(KEY_LENGTH);
      const unsealKey = randomKey(KEY_LENGTH);
      try {
        const shares = split(unsealKey, config.secretShares, config.secretThreshold);
        const stored: StoredSealConfig = { type: 'shamir', secret_shares: config.secretShares, secret_threshold: config.secretThreshold };
        await this.barrier.initialize(rootKey, [
          { type: 'put', key: SEAL_CONFIG, value: Buffer.from(JSON.stringify(stored), 'utf8') },
          { type: 'put', key: SEAL_ROOT_KEY, value: encryptWith(unsealKey, SEAL_ROOT_KEY, rootKey) },
        ]);
        await this.barrier.unseal(rootKey);
        this.clearProgress();
        return { shares };
      } finally {
        zeroAll([rootKey, unsealKey]);
      }
    });
  }

  /**
   * sys/unseal with one share. Below the threshold the share is remembered; at the threshold the
   * shares are combined and tried. A wrong set resets progress and throws UnsealFailedError.
   */
  submitUnsealKey(key: Buffer): Promise<UnsealProgress> {
    return this.queue.run(async () => {
      const config = await this.config();
      if (config === undefined) throw new NotInitializedError();
      if (!this.barrier.sealed) return this.progressFor(config);
      checkShareLength(key);
      // A share given again (a retried request, an operator pasting twice) counts once, as in Vault.
      if (containsShare(this.parts, key)) return this.progressFor(config);
      if (this.parts.length === 0) this.nonce = randomUUID();
      this.parts.push(ownedCopy(key));
      if (this.parts.length < config.secretThreshold) return this.progressFor(config);

      const parts = this.parts;
      this.parts = [];
      this.nonce = '';
      const rootKey = await this.recoverRootKey(parts);
      try {
        await this.barrier.unseal(rootKey);
      } finally {
        rootKey.fill(0);
      }
      return this.progressFor(config);
    });
  }

  /** Forget the shares of the current unseal attempt. */
  resetUnseal(): Promise<void> {
    return this.queue.run(async () => this.clearProgress());
  }

  /** Seal the barrier (zeroing its keys) and forget any unseal attempt. */
  seal(): Promise<void> {
    return this.queue.run(async () => {
      this.barrier.seal();
      this.clearProgress();
    });
  }

  /** Submit shares one after another until unsealed or out of shares (tests, dev mode). */
  async unsealWithShares(shares: readonly Buffer[]): Promise<UnsealProgress> {
    let last: UnsealProgress | undefined;
    for (const share of shares) {
      last = await this.submitUnsealKey(share);
      if (!last.sealed) return last;
    }
    return last ?? this.progressFor(await this.config());
  }

  /**
   * Prove that shares recombine into the unseal key (generate-root). Throws UnsealFailedError when
   * they do not. Requires an unsealed barrier, as Vault does for root generation. The given
   * buffers are zeroed: pass copies the caller no longer needs.
   */
  async authenticateShares(shares: readonly Buffer[]): Promise<void> {
    if (this.barrier.sealed) throw new SealedError();
    const rootKey = await this.recoverRootKey(shares);
    rootKey.fill(0);
  }

  /**
   * Rekey, first half: prove `current` (a threshold of today's shares, zeroed here), make a new
   * unseal key, split it by `config` and seal the root key under it. Nothing is stored: the
   * caller hands the result to commitRekey, at once or after the new shares were verified.
   */
  prepareRekey(current: readonly Buffer[], params: SealConfig): Promise<PreparedRekey> {
    return this.queue.run(async () => {
      const config: SealConfig = { secretShares: params.secretShares, secretThreshold: params.secretThreshold };
      let rootKey: Buffer;
      try {
        if (this.barrier.sealed) throw new SealedError();
        validateSealConfig(config);
        rootKey = await this.recoverRootKey(current);
      } finally {
        zeroAll(current);
      }
      const unsealKey = randomKey(KEY_LENGTH);
      try {
        return { config, shares: split(unsealKey, config.secretShares, config.secretThreshold), rootKeyBox: encryptWith(unsealKey, SEAL_ROOT_KEY, rootKey) };
      } finally {
        zeroAll([rootKey, unsealKey]);
      }
    });
  }

  /**
   * Rekey, second half: store the new seal config and the root key sealed under the new unseal
   * key, in one batch. With `proof` (a threshold of the new shares, zeroed here) only if they
   * open that sealed root key: throws UnsealFailedError, and stores nothing, when they do not.
   */
  commitRekey(prepared: PreparedRekey, proof?: readonly Buffer[]): Promise<void> {
    return this.queue.run(async () => {
      if (proof !== undefined) {
        const unsealKey = combineShares(proof);
        try {
          decryptWith(unsealKey, SEAL_ROOT_KEY, prepared.rootKeyBox).fill(0);
        } catch {
          throw new UnsealFailedError();
        } finally {
          unsealKey.fill(0);
        }
      }
      if (this.barrier.sealed) throw new SealedError();
      const stored: StoredSealConfig = { type: 'shamir', secret_shares: prepared.config.secretShares, secret_threshold: prepared.config.secretThreshold };
      await this.physical.batch([
        { type: 'put', key: SEAL_CONFIG, value: Buffer.from(JSON.stringify(stored), 'utf8') },
        { type: 'put', key: SEAL_ROOT_KEY, value: prepared.rootKeyBox },
      ]);
    });
  }

  /** Combine shares and open the stored root key. Zeroes `shares` and every intermediate. */
  private async recoverRootKey(shares: readonly Buffer[]): Promise<Buffer> {
    let unsealKey: Buffer | undefined;
    try {
      unsealKey = combineShares(shares);
      const box = await this.physical.get(SEAL_ROOT_KEY);
      if (box === undefined) throw new NotInitializedError();
      try {
        return decryptWith(unsealKey, SEAL_ROOT_KEY, box);
      } catch {
        throw new UnsealFailedError();
      }
    } finally {
      zeroAll(shares);
      unsealKey?.fill(0);
    }
  }

  private progressFor(config: SealConfig | undefined): UnsealProgress {
    return {
      sealed: this.barrier.sealed,
      t: config?.secretThreshold ?? 0,
      n: config?.secretShares ?? 0,
      progress: this.parts.length,
      nonce: this.nonce,
    };
  }

  private clearProgress(): void {
    zeroAll(this.parts);
    this.parts = [];
    this.nonce = '';
  }
}
