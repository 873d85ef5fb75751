/**
 * Errors of high availability. Status lives on the class (src/errors.ts's ArcaError); the request
 * gate turns NotActiveError into a 307 to the active node when it knows one.
 */
import { ArcaError } from '../errors.js';

/**
 * This node is not (or no longer) the active node: raised by the write fence when a standby, or
 * a node that lost the lock, tries to write. Rendered only when no active node is known.
 */
export class NotActiveError extends ArcaError {
  readonly status = 503;
  readonly code = 'ARCA_HA_NOT_ACTIVE';
  constructor(message = 'local node not active but active cluster node not found') {
    super(message);
  }
}

/** sys/seal on a standby: it cannot check the token (no token store), so, as Vault, it refuses. */
export class StandbySealError extends ArcaError {
  readonly status = 500;
  readonly code = 'ARCA_HA_STANDBY_SEAL';
  constructor() {
    super('vault cannot seal when in standby mode; please restart instead');
  }
}

/**
 * A write forwarded to the active node got no answer (the connection broke after it was sent):
 * it may or may not have been applied, so it is neither retried nor redirected.
 */
export class ForwardingFailedError extends ArcaError {
  readonly status = 503;
  readonly code = 'ARCA_HA_FORWARDING_FAILED';
  constructor(reason: string) {
    super(`error forwarding request to the active node (${reason}); the request may or may not have been applied`);
  }
}
