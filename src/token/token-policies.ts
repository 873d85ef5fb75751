/**
 * Which policies a token created through auth/token/create gets, by Vault's rules:
 *  - with a role that restricts policies (allowed/disallowed, exact or glob), the role decides,
 *    independently of the parent's policies;
 *  - otherwise a caller without sudo may only hand out a subset of its own policies, and no
 *    policies asked for means the parent's;
 *  - `default` is added unless opted out (for a non-sudo caller only if the parent has it);
 *  - `root` only from a root parent; internal policies are never assignable.
 */
import { BadRequestError } from '../errors.js';
import { DEFAULT_POLICY_NAME, RESPONSE_WRAPPING_POLICY_NAME, ROOT_POLICY_NAME } from '../policy/builtin.js';

/** Policies the system attaches itself; a create request cannot ask for them. */
const NON_ASSIGNABLE = [RESPONSE_WRAPPING_POLICY_NAME, 'control-group'];

/** The policy rules of a token role (already sanitised when the role was written). */
export interface RolePolicyRules {
  readonly allowedPolicies: readonly string[];
  readonly disallowedPolicies: readonly string[];
  readonly allowedPoliciesGlob: readonly string[];
  readonly disallowedPoliciesGlob: readonly string[];
}

export interface PolicyRequest {
  /** As sent; empty = not specified. */
  readonly requested: readonly string[];
  readonly noDefaultPolicy: boolean;
  readonly parentPolicies: readonly string[];
  readonly sudo: boolean;
  readonly role?: RolePolicyRules;
}

/**
 * Vault's SanitizePolicies: trimmed, lower-cased, no empties, sorted and unique; `root`
 * stands alone; `default` added when asked and absent.
 */
export function sanitizeTokenPolicies(names: readonly string[], addDefault: boolean): string[] {
  const set = new Set<string>();
  for (const n of names) {
    const v = n.trim().toLowerCase();
    if (v === ROOT_POLICY_NAME) return [ROOT_POLICY_NAME];
    if (v !== '') set.add(v);
  }
  if (addDefault) set.add(DEFAULT_POLICY_NAME);
  return [...set].sort();
}

/** Glob match where every `*` stands for any run of characters (Vault's go-glob). */
export function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false;
  let pos = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = value.indexOf(parts[i]!, pos);
    if (at === -1 || at + parts[i]!.length > end) return false;
    pos = at + parts[i]!.length;
  }
  return true;
}

export function anyGlobMatches(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => globMatches(p, value));
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoted(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

function restrictsPolicies(role: RolePolicyRules | undefined): role is RolePolicyRules {
  return (
    role !== undefined &&
    (role.allowedPolicies.length > 0 || role.disallowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0 || role.disallowedPoliciesGlob.length > 0)
  );
}

function policiesFromRole(req: PolicyRequest, role: RolePolicyRules): string[] {
  const withDefault =
    !req.noDefaultPolicy && !role.disallowedPolicies.includes(DEFAULT_POLICY_NAME) && !anyGlobMatches(role.disallowedPoliciesGlob, DEFAULT_POLICY_NAME);
  let chosen = req.requested.length > 0 ? sanitizeTokenPolicies(req.requested, withDefault) : [];
  if (role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0) {
    const allowed = sanitizeTokenPolicies(role.allowedPolicies, withDefault);
    if (chosen.length === 0) {
      // Globs are a filter, not a list to hand out: only the exact names are the default set.
      chosen = allowed;
    } else {
      const outside = chosen.filter((p) => !allowed.includes(p) && !anyGlobMatches(role.allowedPoliciesGlob, p));
      if (outside.length > 0) {
        const globs = role.allowedPoliciesGlob.length > 0 ? ` or glob policies (${goQuoted(role.allowedPoliciesGlob)})` : '';
        throw new BadRequestError(`token policies (${goQuoted(chosen)}) must be subset of the role's allowed policies (${goQuoted(allowed)})${globs}`);
      }
    }
  } else if (chosen.length === 0) {
    chosen = sanitizeTokenPolicies(req.parentPolicies, withDefault);
  }
  for (const p of chosen) {
    if (role.disallowedPolicies.includes(p) || anyGlobMatches(role.disallowedPoliciesGlob, p)) {
      throw new BadRequestError(`token policy ${JSON.stringify(p)} is disallowed by this role`);
    }
  }
  return chosen;
}

/** The final, sanitised policy set of a new token; throws Vault's 400s. */
export function choosePolicies(req: PolicyRequest): string[] {
  let names: readonly string[];
  let addDefault = false;
  if (restrictsPolicies(req.role)) {
    names = policiesFromRole(req, req.role);
  } else if (req.requested.length === 0) {
    // Inherit the parent's set; `default` only if the parent has it.
    names = sanitizeTokenPolicies(req.parentPolicies, false);
  } else if (!req.sudo) {
    const parent = sanitizeTokenPolicies(req.parentPolicies, false);
    if (!sanitizeTokenPolicies(req.requested, false).every((p) => parent.includes(p))) {
      throw new BadRequestError('child policies must be subset of parent');
    }
    names = req.requested;
    addDefault = !req.noDefaultPolicy && req.parentPolicies.includes(DEFAULT_POLICY_NAME);
  } else {
    names = req.requested;
    addDefault = !req.noDefaultPolicy;
  }
  let out = sanitizeTokenPolicies(names, addDefault);
  if (req.noDefaultPolicy) out = out.filter((p) => p !== DEFAULT_POLICY_NAME);
  for (const p of out) {
    if (NON_ASSIGNABLE.includes(p)) throw new BadRequestError(`cannot assign policy ${JSON.stringify(p)}`);
  }
  if (out.includes(ROOT_POLICY_NAME) && !req.parentPolicies.includes(ROOT_POLICY_NAME)) {
    throw new BadRequestError('root tokens may not be created without parent token being root');
  }
  return out;
}
