/**
 * Errors a Physical raises besides InvalidKeyError (physical.ts). Plain Errors, not ArcaErrors:
 * storage failures are internal and must never be rendered to a client as they are. The one
 * exception is StorageUnavailableError, whose message is fixed and says nothing about the store.
 */
import { UnavailableError } from '../errors.js';

/** Any call after close(). */
export class StorageClosedError extends Error {
  constructor(backend: string) {
    super(`${backend} storage is closed`);
  }
}

/** A failure switched on through a backend's fault-injection knobs (tests of the layers above). */
export class InjectedFaultError extends Error {
  constructor(what: 'read' | 'write') {
    super(`injected storage ${what} failure`);
  }
}

/**
 * The store cannot be reached (connection refused or lost, server shutting down, too many
 * connections): 503, as for a node that cannot serve right now. The client sees only the fixed
 * message; the driver's error (host, SQLSTATE, never a password) is `cause`, for the log. A write
 * that fails this way may or may not have committed (its acknowledgement was lost); every write
 * is idempotent, so repeating it is safe.
 */
export class StorageUnavailableError extends UnavailableError {
  constructor(options?: { cause?: unknown }) {
    super('storage backend is unavailable', options);
  }
}
