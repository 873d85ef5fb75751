/**
 * Errors a Physical raises besides InvalidKeyError (physical.ts). Plain Errors, not ArcaErrors:
 * storage failures are internal and must never be rendered to a client as they are.
 */

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
