/**
 * The error catalogue. Every error the core can raise is a class that carries its HTTP status
 * and the message text Vault uses, so the HTTP shell renders it without inspecting strings.
 * Handlers throw these; anything else that escapes is an internal error whose details are
 * logged server-side and never sent to the client.
 */

export abstract class ArcaError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Response headers the error answer carries (Retry-After of a 429), when any. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Messages rendered as Vault's {"errors":[...]}. */
  get errors(): readonly string[] {
    return [this.message];
  }
}

/** 400: the request is malformed or a field is invalid. */
export class BadRequestError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_BAD_REQUEST';
}

/**
 * A login's credentials did not check out (wrong password, unknown user, role or secret ID): a
 * 400 like any bad request, marked so user lockout (src/core/login-lockout.ts) counts it.
 */
export class InvalidCredentialsError extends BadRequestError {}

/** 403 with Vault's exact text; `detail` is logged, never shown (it could reveal policy). */
export class PermissionDeniedError extends ArcaError {
  readonly status = 403;
  readonly code = 'ARCA_PERMISSION_DENIED';
  constructor(message = 'permission denied') {
    super(message);
  }
}

/** 404 rendered as {"errors":[]}, exactly as Vault does for a missing secret. */
export class NotFoundError extends ArcaError {
  readonly status = 404;
  readonly code = 'ARCA_NOT_FOUND';
  constructor(message = '') {
    super(message);
  }
  override get errors(): readonly string[] {
    return this.message === '' ? [] : [this.message];
  }
}

/** 404 with a message: no handler at this path ("no handler for route ..."). */
export class RouteNotFoundError extends ArcaError {
  readonly status = 404;
  readonly code = 'ARCA_ROUTE_NOT_FOUND';
}

/** 405: the path exists but not for this operation. */
export class UnsupportedOperationError extends ArcaError {
  readonly status = 405;
  readonly code = 'ARCA_UNSUPPORTED_OPERATION';
  constructor(message = 'unsupported operation') {
    super(message);
  }
}

/** 412: client-requested consistency (X-Vault-Index) not reached; also KV check-and-set mismatch uses 400 as Vault. */
export class PreconditionFailedError extends ArcaError {
  readonly status = 412;
  readonly code = 'ARCA_PRECONDITION_FAILED';
}

/** 413: request body over the listener's max_request_size. */
export class RequestTooLargeError extends ArcaError {
  readonly status = 413;
  readonly code = 'ARCA_REQUEST_TOO_LARGE';
  constructor(message = 'http: request body too large') {
    super(message);
  }
}

/** 429: rate limited, or a standby answering sys/health. */
export class TooManyRequestsError extends ArcaError {
  readonly status = 429;
  readonly code = 'ARCA_TOO_MANY_REQUESTS';
}

/** 503: the barrier is sealed or the server is not initialised. */
export class SealedError extends ArcaError {
  readonly status = 503;
  readonly code = 'ARCA_SEALED';
  constructor(message = 'Vault is sealed') {
    super(message);
  }
}

/** 503: the node cannot serve the request right now (standby without forwarding, shutting down). */
export class UnavailableError extends ArcaError {
  readonly status = 503;
  readonly code = 'ARCA_UNAVAILABLE';
}

/**
 * Raised by the replication layer when a handler on a secondary writes a replicated key.
 * The pipeline catches it and forwards the request to the primary; if it ever reaches the
 * HTTP shell (forwarding impossible) the client sees Vault's text.
 */
export class ReadOnlyError extends ArcaError {
  readonly status = 500;
  readonly code = 'ARCA_READ_ONLY';
  constructor(message = 'cannot write to readonly storage') {
    super(message);
  }
}

/** 500 with a safe message; the cause is logged, not rendered. */
export class InternalError extends ArcaError {
  readonly status = 500;
  readonly code = 'ARCA_INTERNAL';
  constructor(message = 'internal error', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Whether a value is one of ours (safe to render). */
export function isArcaError(err: unknown): err is ArcaError {
  return err instanceof ArcaError;
}
