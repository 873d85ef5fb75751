/**
 * Policy names. Vault lower-cases and trims names everywhere a policy is named, and keeps
 * a few built-ins out of reach of sys/policy writes and deletes.
 */
import { BadRequestError } from '../errors.js';

/** Policies nobody may write: `root` has no rules to write, `response-wrapping` is fixed. */
const IMMUTABLE = new Set(['root', 'response-wrapping']);

export function normalizePolicyName(name: string): string {
  return name.trim().toLowerCase();
}

/** Throws Vault's error when `name` may not be created or updated; returns the normalised name. */
export function checkWritablePolicyName(name: string): string {
  const n = normalizePolicyName(name);
  if (n === '') throw new BadRequestError('policy name missing');
  if (IMMUTABLE.has(n)) throw new BadRequestError(`cannot update ${JSON.stringify(n)} policy`);
  return n;
}

/** Throws Vault's error when `name` may not be deleted; returns the normalised name. */
export function checkDeletablePolicyName(name: string): string {
  const n = normalizePolicyName(name);
  if (n === 'default') throw new BadRequestError('cannot delete default policy');
  if (IMMUTABLE.has(n)) throw new BadRequestError(`cannot delete ${JSON.stringify(n)} policy`);
  return n;
}
