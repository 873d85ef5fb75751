/**
 * Shared plumbing of the batch-capable paths (encrypt, decrypt, rewrap, sign, verify, hmac):
 * reading `batch_input` (a list of objects, which no framework field type describes, so these
 * paths take raw input and warn about unknown fields themselves), per-item error capture, and
 * Vault's status rules for batches with failed items.
 */
import { BadRequestError, InternalError, isArcaError } from '../../errors.js';
import type { FieldSchemas } from '../../framework/index.js';
import type { Response } from '../../logical/request.js';
import { Base64Error, decodeBase64 } from './base64.js';

export type BatchItem = Readonly<Record<string, unknown>>;

/** The batch items, or undefined when the request is a single-item one. */
export function readBatch(data: Readonly<Record<string, unknown>>): BatchItem[] | undefined {
  const raw = data['batch_input'];
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new BadRequestError(`failed to parse batch input: expected a list, got '${typeof raw}'`);
  raw.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new BadRequestError(`failed to parse batch input: item ${i} is not an object`);
    }
  });
  if (raw.length === 0) throw new BadRequestError('missing batch input to process');
  return raw as BatchItem[];
}

/** A string field of an item ('' when absent); numbers and booleans are stringified as Vault's weak decoding does. */
export function itemString(item: BatchItem, field: string, index: number): string {
  const v = item[field];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new BadRequestError(`failed to parse batch input: '[${index}].${field}' expected type 'string'`);
}

export function itemInt(item: BatchItem, field: string, index: number): number {
  const v = item[field];
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'string' && /^[+-]?[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new BadRequestError(`failed to parse batch input: '[${index}].${field}' expected type 'int'`);
  }
  return n;
}

export function has(item: BatchItem, field: string): boolean {
  return item[field] !== undefined && item[field] !== null;
}

/** Base64 of an optional field: empty stays undefined; a bad value throws with Go's text (optionally prefixed). */
export function optionalBase64(value: string, prefix = ''): Buffer | undefined {
  if (value === '') return undefined;
  try {
    return decodeBase64(value);
  } catch (err) {
    if (err instanceof Base64Error) throw new BadRequestError(prefix + err.message);
    throw err;
  }
}

/** Outcome of one item: its response fields, or the error to report in its place. */
export interface ItemOutcome {
  readonly fields?: Record<string, unknown>;
  readonly error?: string;
  /** The error is the server's, not the caller's (500 rather than 400). */
  readonly internal?: boolean;
}

/** Run one item; user errors become the item's error, anything else an internal one. */
export function runItem(fn: () => Record<string, unknown>): ItemOutcome {
  try {
    return { fields: fn() };
  } catch (err) {
    if (err instanceof BadRequestError) return { error: err.message };
    if (isArcaError(err) && err.status < 500) return { error: err.message };
    return { error: 'internal error', internal: true };
  }
}

/** The single-item answer: the item's fields, or its error thrown as the request's. */
export function singleResult(outcome: ItemOutcome): Record<string, unknown> {
  if (outcome.error !== undefined) {
    if (outcome.internal === true) throw new InternalError(outcome.error);
    throw new BadRequestError(outcome.error);
  }
  return outcome.fields ?? {};
}

/**
 * batch_results items: the item's fields (or, for a failed item, `onError`: the fields Vault
 * still renders without omitempty), its error, then the caller's reference.
 */
export function batchResults(
  outcomes: readonly ItemOutcome[],
  references: readonly string[],
  onError: Readonly<Record<string, unknown>> = {},
): Record<string, unknown>[] {
  return outcomes.map((o, i) =>
    o.error === undefined
      ? { ...o.fields, reference: references[i] ?? '' }
      : { ...onError, error: o.error, reference: references[i] ?? '' },
  );
}

/**
 * Vault's status for a batch of encrypt or decrypt: 400 when an item failed on the caller's
 * input, 500 when one failed on the server, unless some items succeeded and the caller chose
 * another code with partial_failure_response_code.
 */
export function batchStatus(resp: Response, outcomes: readonly ItemOutcome[], partialCode: number | undefined): Response {
  const user = outcomes.some((o) => o.error !== undefined && o.internal !== true);
  const internal = outcomes.some((o) => o.internal === true);
  if (!user && !internal) return resp;
  let code = user ? 400 : 500;
  const successes = outcomes.some((o) => o.error === undefined);
  if (partialCode !== undefined && successes) {
    if (partialCode < 1 || partialCode > 599) {
      resp.warnings = [...(resp.warnings ?? []), `invalid HTTP response code override from partial_failure_response_code, reverting to ${code}`];
    } else {
      code = partialCode;
    }
  }
  return { ...resp, statusCode: code };
}

/** The framework's unknown-parameter warning, for paths that take raw input. */
export function unknownFieldsWarning(data: Readonly<Record<string, unknown>>, fields: FieldSchemas): string | undefined {
  const unknown = Object.keys(data)
    .filter((k) => k !== 'batch_input' && data[k] !== null && data[k] !== undefined && !Object.prototype.hasOwnProperty.call(fields, k))
    .sort();
  return unknown.length === 0 ? undefined : `Endpoint ignored these unrecognized parameters: [${unknown.join(' ')}]`;
}

export function withWarnings(resp: Response, warnings: readonly (string | undefined)[]): Response {
  const present = warnings.filter((w): w is string => w !== undefined);
  return present.length === 0 ? resp : { ...resp, warnings: [...(resp.warnings ?? []), ...present] };
}
