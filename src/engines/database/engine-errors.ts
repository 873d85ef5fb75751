/** Turning database failures into the error catalogue's classes, with safe messages only. */
import { InternalError, isArcaError, type ArcaError } from '../../errors.js';
import { PluginError } from './plugin-api.js';
import { describeError, maskUrlPassword } from './redact.js';

/**
 * A database-side failure as Vault reports it: a 500 carrying the (already redacted) message.
 * No `cause` is attached, so nothing unredacted reaches the server log either.
 */
export function databaseFailure(err: unknown, prefix?: string): ArcaError {
  if (isArcaError(err)) return err;
  const message = err instanceof PluginError ? err.message : maskUrlPassword(describeError(err));
  return new InternalError(prefix === undefined ? message : `${prefix}: ${message}`);
}
