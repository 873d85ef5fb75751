/**
 * Errors raised by the barrier and the seal. Each carries its HTTP status (the HTTP shell
 * renders them without string matching) and never any plaintext, key or share bytes; storage
 * keys are not secret and are named to help operators find a damaged entry.
 */
import { ArcaError } from '../errors.js';

/** The root key given to the barrier does not open the keyring. */
export class InvalidRootKeyError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_INVALID_ROOT_KEY';
  constructor(message = 'Unseal failed, invalid key') {
    super(message);
  }
}

/** A stored entry is corrupt, truncated, from an unknown term, or was moved to another key. */
export class BarrierIntegrityError extends ArcaError {
  readonly status = 500;
  readonly code = 'ARCA_BARRIER_INTEGRITY';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`barrier: entry at ${JSON.stringify(key)} failed to decrypt: ${reason}`);
  }
}

/** The seal's own keys are never readable or writable through logical storage. */
export class ReservedKeyError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_RESERVED_KEY';
  constructor(readonly key: string) {
    super(`cannot access ${JSON.stringify(key)}: reserved for the seal`);
  }
}

/** Seal operations on storage that has never been initialised. */
export class NotInitializedError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_NOT_INITIALIZED';
  constructor(message = 'Vault is not initialized') {
    super(message);
  }
}

export class AlreadyInitializedError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_ALREADY_INITIALIZED';
  constructor(message = 'Vault is already initialized') {
    super(message);
  }
}

/** sys/init parameters rejected, with Vault's wording ("invalid seal configuration: ..."). */
export class SealConfigError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_INVALID_SEAL_CONFIG';
  constructor(reason: string) {
    super(`invalid seal configuration: ${reason}`);
  }
}

/** A submitted unseal key share is malformed (wrong size) or already given in this attempt. */
export class InvalidUnsealKeyError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_INVALID_UNSEAL_KEY';
}

/**
 * The threshold of shares was reached but they do not open the stored root key (a wrong or
 * mistyped share). Progress has been reset when this is thrown.
 */
export class UnsealFailedError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_UNSEAL_FAILED';
  constructor(message = 'unable to retrieve stored keys: failed to decrypt keys from storage: cipher: message authentication failed') {
    super(message);
  }
}

/** Generate-root misuse: nothing in progress, already in progress, wrong nonce, bad OTP, failed auth. */
export class GenerateRootError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_GENERATE_ROOT';
}

/** Rekey misuse: nothing in progress, already in progress, wrong nonce, repeated share, failed proof. */
export class RekeyError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_REKEY';
}

/** The stored keyring does not parse: storage was damaged after it authenticated, or a bug. */
export class KeyringFormatError extends ArcaError {
  readonly status = 500;
  readonly code = 'ARCA_KEYRING_FORMAT';
}
