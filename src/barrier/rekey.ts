/**
 * Rekeying the unseal key (sys/rekey/*), as Vault's `operator rekey`: an operator starts an
 * operation with the new share count and threshold, holders of today's shares each submit one
 * with the operation's nonce, and at today's threshold a new unseal key is made, split, and the
 * root key is sealed under it. The root key and the keyring do not change, so no data is
 * re-encrypted and the server stays unsealed throughout.
 *
 * With `require_verification` the new shares are returned but not yet in force: a threshold of
 * the *new* shares must come back to sys/rekey/verify and open the newly sealed root key before
 * it replaces the stored one. Until then today's shares keep working, so shares lost between
 * the answer and their safekeeping cost nothing. Everything lives in memory; sealing, an HA
 * step-down or a cancel drops it.
 */
import { randomUUID } from 'node:crypto';
import { SealedError } from '../errors.js';
import { ownedCopy, zeroAll } from './bytes.js';
import { NotInitializedError, RekeyError, UnsealFailedError } from './errors.js';
import { type PreparedRekey, type SealConfig, type ShamirSeal, checkShareLength, containsShare, validateSealConfig } from './seal.js';
import { SerialQueue } from '../util/serial-queue.js';

/** GET/PUT sys/rekey/init and PUT sys/rekey/update below the threshold, with Vault's field names. */
export interface RekeyStatus {
  readonly nonce: string;
  readonly started: boolean;
  /** The new threshold (0 when nothing is in progress). */
  readonly t: number;
  /** The new number of shares (0 when nothing is in progress). */
  readonly n: number;
  /** Current shares given so far. */
  readonly progress: number;
  /** Current shares needed: today's threshold. */
  readonly required: number;
  readonly pgp_fingerprints: null;
  readonly backup: false;
  readonly verification_required: boolean;
}

/** PUT sys/rekey/update at the threshold: the new shares, shown once. */
export interface RekeyResult {
  readonly nonce: string;
  readonly complete: true;
  readonly keys: string[];
  readonly keys_base64: string[];
  readonly pgp_fingerprints: null;
  readonly backup: false;
  readonly verification_required: boolean;
  /** Only when verification is required: the nonce to give sys/rekey/verify. */
  readonly verification_nonce?: string;
}

/** GET/DELETE sys/rekey/verify and PUT below the new threshold. */
export interface RekeyVerifyStatus {
  readonly nonce: string;
  readonly started: boolean;
  readonly t: number;
  readonly n: number;
  readonly progress: number;
}

export interface RekeyVerified {
  readonly nonce: string;
  readonly complete: true;
}

interface Verification {
  readonly prepared: PreparedRekey;
  nonce: string;
  parts: Buffer[];
}

interface Operation {
  readonly nonce: string;
  readonly config: SealConfig;
  readonly requireVerification: boolean;
  /** Today's shares given so far. */
  parts: Buffer[];
  /** Set once the new shares were handed out and wait for verification. */
  verification?: Verification;
}

export interface RekeyParams extends SealConfig {
  readonly requireVerification: boolean;
}

export class Rekey {
  private op: Operation | undefined;
  private readonly queue = new SerialQueue();

  constructor(private readonly seal: ShamirSeal) {}

  status(): Promise<RekeyStatus> {
    return this.queue.run(async () => this.statusFor(await this.currentConfig()));
  }

  /** Begin an operation (sys/rekey/init PUT). One at a time, as in Vault. */
  start(params: RekeyParams): Promise<RekeyStatus> {
    return this.queue.run(async () => {
      const current = await this.currentConfig();
      const config: SealConfig = { secretShares: params.secretShares, secretThreshold: params.secretThreshold };
      validateSealConfig(config);
      if (this.op !== undefined) throw new RekeyError('rekey already in progress');
      this.op = { nonce: randomUUID(), config, requireVerification: params.requireVerification, parts: [] };
      return this.statusFor(current);
    });
  }

  /**
   * Submit one of today's shares (sys/rekey/update). Below the threshold: the status. At it: the
   * new shares, in force at once or, with verification required, once verified.
   */
  update(key: Buffer, nonce: string): Promise<RekeyStatus | RekeyResult> {
    return this.queue.run(async () => {
      const current = await this.currentConfig();
      const op = this.op;
      if (op === undefined) throw new RekeyError('no rekey in progress');
      if (op.verification !== undefined) {
        throw new RekeyError(`rekey already finished: the new keys must be verified at sys/rekey/verify; its nonce is ${JSON.stringify(op.verification.nonce)}`);
      }
      if (nonce !== op.nonce) throw new RekeyError(`incorrect nonce supplied; nonce for this rekey operation is ${JSON.stringify(op.nonce)}`);
      checkShareLength(key);
      if (containsShare(op.parts, key)) throw new RekeyError('given key has already been provided during this rekey operation');
      op.parts.push(ownedCopy(key));
      if (op.parts.length < current.secretThreshold) return this.statusFor(current);

      // Threshold reached: whatever happens next, these shares are used up.
      const parts = op.parts;
      op.parts = [];
      let prepared: PreparedRekey;
      try {
        prepared = await this.seal.prepareRekey(parts, op.config);
      } catch (err) {
        if (err instanceof UnsealFailedError) throw new RekeyError(`rekey aborted: unable to authenticate: ${err.message}`);
        throw err;
      }
      try {
        if (this.op !== op) throw new RekeyError('rekey was canceled');
        if (op.requireVerification) {
          op.verification = { prepared, nonce: randomUUID(), parts: [] };
        } else {
          await this.seal.commitRekey(prepared);
          this.op = undefined;
        }
        return {
          nonce: op.nonce,
          complete: true,
          keys: prepared.shares.map((s) => s.toString('hex')),
          keys_base64: prepared.shares.map((s) => s.toString('base64')),
          pgp_fingerprints: null,
          backup: false,
          verification_required: op.requireVerification,
          ...(op.verification !== undefined ? { verification_nonce: op.verification.nonce } : {}),
        };
      } finally {
        zeroAll(prepared.shares);
      }
    });
  }

  verifyStatus(): Promise<RekeyVerifyStatus> {
    return this.queue.run(async () => {
      await this.currentConfig();
      return this.verifyStatusFor(this.pendingVerification());
    });
  }

  /** Submit one of the new shares (sys/rekey/verify PUT); at the new threshold the rekey takes effect. */
  verify(key: Buffer, nonce: string): Promise<RekeyVerifyStatus | RekeyVerified> {
    return this.queue.run(async () => {
      await this.currentConfig();
      const op = this.op;
      const v = this.pendingVerification();
      if (nonce !== v.nonce) throw new RekeyError(`incorrect nonce supplied; nonce for this verify operation is ${JSON.stringify(v.nonce)}`);
      checkShareLength(key);
      if (containsShare(v.parts, key)) throw new RekeyError('given key has already been provided during this verify operation');
      v.parts.push(ownedCopy(key));
      if (v.parts.length < v.prepared.config.secretThreshold) return this.verifyStatusFor(v);

      const parts = v.parts;
      v.parts = [];
      try {
        await this.seal.commitRekey(v.prepared, parts);
      } catch (err) {
        if (err instanceof UnsealFailedError) throw new RekeyError(`rekey verification failed: ${err.message}`);
        throw err;
      }
      if (this.op === op) this.op = undefined;
      return { nonce: v.nonce, complete: true };
    });
  }

  /** Drop the verification's progress and give it a new nonce (sys/rekey/verify DELETE). */
  restartVerification(): Promise<RekeyVerifyStatus> {
    return this.queue.run(async () => {
      await this.currentConfig();
      const v = this.pendingVerification();
      zeroAll(v.parts);
      v.parts = [];
      v.nonce = randomUUID();
      return this.verifyStatusFor(v);
    });
  }

  /** Drop the operation and every share it holds. Synchronous so sealing can call it unconditionally. */
  cancel(): void {
    const op = this.op;
    this.op = undefined;
    if (op === undefined) return;
    zeroAll(op.parts);
    op.parts = [];
    if (op.verification !== undefined) zeroAll(op.verification.parts);
  }

  private async currentConfig(): Promise<SealConfig> {
    if (this.seal.sealed) throw new SealedError();
    const config = await this.seal.config();
    if (config === undefined) throw new NotInitializedError();
    return config;
  }

  private pendingVerification(): Verification {
    const op = this.op;
    if (op === undefined) throw new RekeyError('no rekey in progress');
    if (op.verification === undefined) {
      throw new RekeyError(op.requireVerification ? 'rekey has not reached its threshold yet: nothing to verify' : 'this rekey operation does not require verification');
    }
    return op.verification;
  }

  private statusFor(current: SealConfig): RekeyStatus {
    const op = this.op;
    return {
      nonce: op?.nonce ?? '',
      started: op !== undefined,
      t: op?.config.secretThreshold ?? 0,
      n: op?.config.secretShares ?? 0,
      progress: op?.parts.length ?? 0,
      required: current.secretThreshold,
      pgp_fingerprints: null,
      backup: false,
      verification_required: op?.requireVerification ?? false,
    };
  }

  private verifyStatusFor(v: Verification): RekeyVerifyStatus {
    return { nonce: v.nonce, started: true, t: v.prepared.config.secretThreshold, n: v.prepared.config.secretShares, progress: v.parts.length };
  }
}
