/**
 * The permissions one compiled path carries after every policy's rule for that same path
 * has been merged. Merging follows Vault: capabilities are unioned and deny absorbs
 * everything; a rule without allowed_parameters makes the merge unrestricted, otherwise the
 * allowed lists are joined; denied and required parameters are joined; each wrapping TTL
 * bound keeps the lowest value set.
 */
import { CAP } from './capabilities.js';
import type { ParameterRules } from './params.js';
import type { ParameterConstraints } from './policy-types.js';

export interface Permissions extends ParameterRules {
  readonly bits: number;
  readonly minWrappingTTL: number;
  readonly maxWrappingTTL: number;
}

export interface RuleInput {
  readonly bits: number;
  readonly requiredParameters: readonly string[];
  readonly allowedParameters: ParameterConstraints | undefined;
  readonly deniedParameters: ParameterConstraints | undefined;
  readonly minWrappingTTL: number;
  readonly maxWrappingTTL: number;
}

export function permissionsOf(rule: RuleInput): Permissions {
  if (rule.bits & CAP.deny) return DENY;
  return {
    bits: rule.bits,
    required: new Set(rule.requiredParameters),
    allowed: rule.allowedParameters,
    denied: rule.deniedParameters,
    minWrappingTTL: rule.minWrappingTTL,
    maxWrappingTTL: rule.maxWrappingTTL,
  };
}

const DENY: Permissions = Object.freeze({
  bits: CAP.deny,
  required: new Set<string>(),
  allowed: undefined,
  denied: undefined,
  minWrappingTTL: 0,
  maxWrappingTTL: 0,
});

export function mergePermissions(a: Permissions, b: Permissions): Permissions {
  if (a.bits & CAP.deny || b.bits & CAP.deny) return DENY;
  return {
    bits: a.bits | b.bits,
    required: new Set([...a.required, ...b.required]),
    allowed: a.allowed === undefined || b.allowed === undefined ? undefined : joinLists(a.allowed, b.allowed),
    denied: a.denied === undefined ? b.denied : b.denied === undefined ? a.denied : joinLists(a.denied, b.denied),
    minWrappingTTL: lowestSet(a.minWrappingTTL, b.minWrappingTTL),
    maxWrappingTTL: lowestSet(a.maxWrappingTTL, b.maxWrappingTTL),
  };
}

/** Per name: an empty list (any value) on either side wins, else the values are concatenated. */
function joinLists(a: ParameterConstraints, b: ParameterConstraints): ParameterConstraints {
  const out = new Map<string, readonly unknown[]>(a);
  for (const [name, values] of b) {
    const prev = out.get(name);
    out.set(name, prev === undefined ? values : prev.length === 0 || values.length === 0 ? [] : [...prev, ...values]);
  }
  return out;
}

function lowestSet(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}
