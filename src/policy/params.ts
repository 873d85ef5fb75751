/**
 * Parameter constraints (`required_parameters`, `allowed_parameters`, `denied_parameters`)
 * checked against the data of create/update/patch requests, in Vault's order: required
 * first, then denied (which beats allowed), then allowed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ParameterConstraints } from './policy-types.js';

export interface ParameterRules {
  readonly required: ReadonlySet<string>;
  /** Undefined: any parameter is allowed. */
  readonly allowed: ParameterConstraints | undefined;
  /** Undefined: nothing is denied. */
  readonly denied: ParameterConstraints | undefined;
}

export function parametersAllowed(rules: ParameterRules, data: Readonly<Record<string, unknown>>): boolean {
  for (const name of rules.required) {
    // Vault looks the lower-cased name up as is; data keys are not folded for this check.
    if (!Object.prototype.hasOwnProperty.call(data, name.toLowerCase())) return false;
  }
  const keys = Object.keys(data);
  if (keys.length === 0) return true;

  const denied = rules.denied;
  if (denied !== undefined) {
    if (denied.has('*')) return false;
    for (const key of keys) {
      const values = denied.get(key.toLowerCase());
      if (values !== undefined && anyValueListed(data[key], values)) return false;
    }
  }

  const allowed = rules.allowed;
  if (allowed === undefined) return true;
  const allowAll = allowed.has('*');
  if (allowAll && allowed.size === 1) return true;
  for (const key of keys) {
    const values = allowed.get(key.toLowerCase());
    if (values === undefined) {
      if (!allowAll) return false;
    } else if (!everyValueListed(data[key], values)) {
      return false;
    }
  }
  return true;
}

/**
 * A request value that is a list is judged element by element: every element must be
 * allowed, and one denied element denies the request. (Comparing the whole list to each
 * listed value would let `["zip"]` slip past a denial of "zip".)
 */
function everyValueListed(value: unknown, list: readonly unknown[]): boolean {
  if (list.length === 0) return true;
  if (Array.isArray(value)) return value.every((v) => valueListed(v, list));
  return valueListed(value, list);
}

function anyValueListed(value: unknown, list: readonly unknown[]): boolean {
  if (list.length === 0) return true;
  if (Array.isArray(value)) return value.some((v) => valueListed(v, list));
  return valueListed(value, list);
}

function valueListed(value: unknown, list: readonly unknown[]): boolean {
  for (const el of list) {
    if (typeof el === 'string' && typeof value === 'string') {
      if (globbedValueMatches(el, value)) return true;
    } else if (isDeepStrictEqual(el, value)) {
      return true;
    }
  }
  return false;
}

/**
 * Value globs: "foo-*" is a prefix, "*-foo" a suffix, "*foo*" a substring; anything else,
 * including a lone "*", must be equal.
 */
export function globbedValueMatches(pattern: string, value: string): boolean {
  if (pattern.length < 2) return pattern === value;
  const lead = pattern.startsWith('*');
  const trail = pattern.endsWith('*');
  if (lead && trail) return value.includes(pattern.slice(1, -1));
  if (lead) return value.endsWith(pattern.slice(1));
  if (trail) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}
