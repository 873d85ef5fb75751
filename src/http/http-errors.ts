/**
 * Errors only the HTTP shell can raise: they concern the HTTP method and media type, which the
 * core never sees. They extend the shared ArcaError so they render like every other error.
 */
import { ArcaError } from '../errors.js';

/** 405 for an HTTP method Vault does not serve; Vault's body is {"errors":[]}. */
export class MethodNotAllowedError extends ArcaError {
  readonly status = 405;
  readonly code = 'ARCA_HTTP_METHOD_NOT_ALLOWED';
  constructor() {
    super('');
  }
  override get errors(): readonly string[] {
    return [];
  }
}

/** 415: PATCH without Content-Type application/merge-patch+json. */
export class UnsupportedMediaTypeError extends ArcaError {
  readonly status = 415;
  readonly code = 'ARCA_HTTP_UNSUPPORTED_MEDIA_TYPE';
}
