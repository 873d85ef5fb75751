/**
 * Root token generation with a one-time pad (sys/generate-root), as Vault's OTP flow:
 * an operator starts an attempt (getting or giving a 26-character OTP), unseal-key holders each
 * submit a share with the attempt's nonce, and once the threshold is reached and the shares
 * prove themselves against the stored root key, a new root token is created and returned only
 * as base64(token XOR otp). The attempt lives in memory; nothing is stored.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { SealedError } from '../errors.js';
import { ownedCopy, zeroAll } from './bytes.js';
import { GenerateRootError, NotInitializedError, UnsealFailedError } from './errors.js';
import { type ShamirSeal, checkShareLength, containsShare } from './seal.js';
import { SerialQueue } from '../util/serial-queue.js';

/** Length of the OTP and of the root token it masks ("s." + 24 characters). */
export const OTP_LENGTH = 26;

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Field names as Vault's sys/generate-root responses. */
export interface GenerateRootStatus {
  readonly started: boolean;
  readonly nonce: string;
  readonly progress: number;
  readonly required: number;
  readonly complete: boolean;
  readonly encoded_token: string;
  readonly encoded_root_token: string;
  readonly pgp_fingerprint: '';
  /** The generated OTP, only in the answer to a start that generated it. */
  readonly otp: string;
  readonly otp_length: number;
}

interface Attempt {
  readonly nonce: string;
  readonly otp: string;
  parts: Buffer[];
}

export class GenerateRoot {
  private attempt: Attempt | undefined;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly seal: ShamirSeal,
    private readonly createRootToken: () => Promise<string>,
  ) {}

  status(): Promise<GenerateRootStatus> {
    return this.queue.run(async () => this.statusFor(await this.required()));
  }

  /** Begin an attempt. Without `otp` one is generated and returned in `otp`. */
  start(otp?: string): Promise<GenerateRootStatus> {
    return this.queue.run(async () => {
      const required = await this.required();
      if (this.attempt !== undefined) throw new GenerateRootError('root generation already in progress');
      const given = otp !== undefined && otp !== '';
      if (given && otp.length !== OTP_LENGTH) throw new GenerateRootError('OTP string is wrong length');
      const chosen = given ? otp : randomOtp();
      this.attempt = { nonce: randomUUID(), otp: chosen, parts: [] };
      return { ...this.statusFor(required), otp: given ? '' : chosen };
    });
  }

  /** Submit one unseal share for the attempt identified by `nonce`. */
  update(key: Buffer, nonce: string): Promise<GenerateRootStatus> {
    return this.queue.run(async () => {
      const required = await this.required();
      const attempt = this.attempt;
      if (attempt === undefined) throw new GenerateRootError('no root generation in progress');
      if (nonce !== attempt.nonce) {
        throw new GenerateRootError(`incorrect nonce supplied; nonce for this root generation operation is ${JSON.stringify(attempt.nonce)}`);
      }
      checkShareLength(key);
      if (containsShare(attempt.parts, key)) {
        throw new GenerateRootError('given key has already been provided during this generation operation');
      }
      attempt.parts.push(ownedCopy(key));
      if (attempt.parts.length < required) return this.statusFor(required);

      // Threshold reached: whatever happens next, these shares are used up.
      const parts = attempt.parts;
      attempt.parts = [];
      try {
        await this.seal.authenticateShares(parts);
      } catch (err) {
        if (err instanceof UnsealFailedError) throw new GenerateRootError(`root generation aborted: unable to authenticate: ${err.message}`);
        throw err;
      }
      if (this.attempt !== attempt) throw new GenerateRootError('root generation was canceled');
      const token = await this.createRootToken();
      const encoded = encodeRootToken(token, attempt.otp);
      this.attempt = undefined;
      return {
        started: true,
        nonce: attempt.nonce,
        progress: required,
        required,
        complete: true,
        encoded_token: encoded,
        encoded_root_token: encoded,
        pgp_fingerprint: '',
        otp: '',
        otp_length: OTP_LENGTH,
      };
    });
  }

  /** Drop the attempt and its shares. Synchronous so sealing can call it unconditionally. */
  cancel(): void {
    const attempt = this.attempt;
    this.attempt = undefined;
    if (attempt !== undefined) {
      zeroAll(attempt.parts);
      attempt.parts = [];
    }
  }

  private async required(): Promise<number> {
    if (this.seal.sealed) throw new SealedError();
    const config = await this.seal.config();
    if (config === undefined) throw new NotInitializedError();
    return config.secretThreshold;
  }

  private statusFor(required: number): GenerateRootStatus {
    const attempt = this.attempt;
    return {
      started: attempt !== undefined,
      nonce: attempt?.nonce ?? '',
      progress: attempt?.parts.length ?? 0,
      required,
      complete: false,
      encoded_token: '',
      encoded_root_token: '',
      pgp_fingerprint: '',
      otp: '',
      otp_length: OTP_LENGTH,
    };
  }
}

/** base64 (standard alphabet, no padding) of token XOR otp; both must be the same length. */
export function encodeRootToken(token: string, otp: string): string {
  const t = Buffer.from(token, 'utf8');
  const o = Buffer.from(otp, 'utf8');
  if (t.length !== o.length) throw new GenerateRootError('root token and OTP lengths differ');
  const out = xor(t, o);
  t.fill(0);
  return out.toString('base64').replace(/=+$/, '');
}

/** Inverse of encodeRootToken: the CLI's `generate-root -decode`. */
export function decodeRootToken(encoded: string, otp: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new GenerateRootError('encoded token is not valid base64');
  const e = Buffer.from(encoded, 'base64');
  const o = Buffer.from(otp, 'utf8');
  if (e.length !== o.length) throw new GenerateRootError('encoded token and OTP lengths differ');
  return xor(e, o).toString('utf8');
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function randomOtp(): string {
  let out = '';
  for (let i = 0; i < OTP_LENGTH; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}
