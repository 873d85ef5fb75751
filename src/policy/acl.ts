/**
 * A compiled ACL: the policies of one caller merged into one lookup structure, answering
 * "may this operation run on this path with this data?" with Vault's semantics:
 *  - rules for the same pattern across policies are merged (see permissions.ts);
 *  - an exact rule beats every wildcard; otherwise the highest-priority matching glob or
 *    "+" pattern wins (priority.ts); only the winning rule is consulted, so a deny there
 *    denies everything and a grant on a lower-priority pattern does not leak through;
 *  - a LIST of "foo/" also matches rules written for "foo" (Vault strips the slash);
 *  - the `root` policy allows everything.
 * Compile once per set of policies (and identity, for templated paths); evaluation does a
 * constant number of map lookups plus one segment-trie walk.
 */
import type { Operation } from '../logical/request.js';
import { CAP, capabilityBits, capabilityNames, checksParameters, operationCapability } from './capabilities.js';
import { parametersAllowed } from './params.js';
import { PathIndex } from './path-index.js';
import { mergePermissions, permissionsOf, type Permissions } from './permissions.js';
import type { ParameterConstraints, Policy } from './policy-types.js';
import { resolveTemplate, type IdentityTemplateContext } from './template.js';

export interface AclDecision {
  readonly allowed: boolean;
  /** The winning rule grants `sudo` (needed for root-protected paths). */
  readonly sudo: boolean;
  /** What capabilities(path) reports for the rule consulted (["root"] for root). */
  readonly capabilities: string[];
  readonly root: boolean;
  /** The winning rule's wrapping TTL bounds in seconds (0 = none), already enforced. */
  readonly minWrappingTTL: number;
  readonly maxWrappingTTL: number;
}

export interface CompileOptions {
  /** Fills `{{identity...}}` path templates; templated paths without a value are dropped. */
  readonly identity?: IdentityTemplateContext;
}

/** One merged rule as the resultant-ACL view shows it. */
export interface ResultantRule {
  readonly capabilities: string[];
  readonly requiredParameters?: string[];
  readonly allowedParameters?: Record<string, unknown[]>;
  readonly deniedParameters?: Record<string, unknown[]>;
  readonly minWrappingTTL?: number;
  readonly maxWrappingTTL?: number;
}

export interface ResultantAcl {
  readonly root: boolean;
  readonly exactPaths: Record<string, ResultantRule>;
  /** Keyed by the pattern as written, trailing "*" included. */
  readonly globPaths: Record<string, ResultantRule>;
}

export class ACL {
  private constructor(
    readonly root: boolean,
    private readonly index: PathIndex,
  ) {}

  static compile(policies: readonly Policy[], options: CompileOptions = {}): ACL {
    if (policies.some((p) => p.name === 'root')) return new ACL(true, new PathIndex(new Map()));
    const merged = new Map<string, Permissions>();
    for (const policy of policies) {
      for (const rule of policy.paths) {
        const pattern = rule.templated ? resolveTemplate(rule.path, options.identity) : rule.path;
        if (pattern === undefined) continue;
        const perms = permissionsOf({ ...rule, bits: capabilityBits(rule.capabilities) });
        const prev = merged.get(pattern);
        merged.set(pattern, prev === undefined ? perms : mergePermissions(prev, perms));
      }
    }
    return new ACL(false, new PathIndex(merged));
  }

  /**
   * Whether `op` on `path` is allowed. `data` is checked against parameter constraints for
   * create/update/patch; `wrapTTL` (seconds, 0 = not wrapped) against the rule's wrapping
   * TTL bounds: a rule with a bound requires a wrapped response within it.
   */
  allowed(op: Operation, path: string, data: Readonly<Record<string, unknown>> = {}, wrapTTL = 0): AclDecision {
    if (this.root) return ROOT_DECISION;
    const perms = this.find(op, path);
    if (perms === undefined) return denied(['deny']);
    const capabilities = capabilityNames(perms.bits);
    if (perms.bits & CAP.deny) return denied(capabilities);
    const sudo = (perms.bits & CAP.sudo) !== 0;
    const decide = (allowed: boolean): AclDecision => ({
      allowed,
      sudo,
      capabilities,
      root: false,
      minWrappingTTL: perms.minWrappingTTL,
      maxWrappingTTL: perms.maxWrappingTTL,
    });
    if ((perms.bits & operationCapability(op)) === 0) return decide(false);
    if (perms.maxWrappingTTL > 0 && (wrapTTL <= 0 || wrapTTL > perms.maxWrappingTTL)) return decide(false);
    if (perms.minWrappingTTL > 0 && (wrapTTL <= 0 || wrapTTL < perms.minWrappingTTL)) return decide(false);
    if (checksParameters(op) && !parametersAllowed(perms, data)) return decide(false);
    return decide(true);
  }

  /** What sys/capabilities answers for `path`: sorted names, ["deny"], or ["root"]. */
  capabilities(path: string): string[] {
    if (this.root) return ['root'];
    const perms = this.index.exactMatch(path) ?? this.index.bestWildcard(path)?.perms;
    return perms === undefined ? ['deny'] : capabilityNames(perms.bits);
  }

  /** Every merged rule, for sys/internal/ui/resultant-acl. */
  resultant(): ResultantAcl {
    const exactPaths: Record<string, ResultantRule> = {};
    const globPaths: Record<string, ResultantRule> = {};
    for (const { pattern, exact, perms } of this.index.entries()) {
      define(exact ? exactPaths : globPaths, pattern, view(perms));
    }
    return { root: this.root, exactPaths, globPaths };
  }

  private find(op: Operation, path: string): Permissions | undefined {
    const list = op === 'list' && path.endsWith('/');
    const trimmed = list ? path.slice(0, -1) : path;
    return (
      this.index.exactMatch(path) ??
      (list ? this.index.exactMatch(trimmed) : undefined) ??
      this.index.bestWildcard(path)?.perms ??
      (list ? this.index.bestWildcard(trimmed)?.perms : undefined)
    );
  }
}

/** Shorthand for ACL.compile. */
export function compileACL(policies: readonly Policy[], options?: CompileOptions): ACL {
  return ACL.compile(policies, options);
}

const ROOT_DECISION: AclDecision = Object.freeze({
  allowed: true,
  sudo: true,
  capabilities: ['root'],
  root: true,
  minWrappingTTL: 0,
  maxWrappingTTL: 0,
});

function denied(capabilities: string[]): AclDecision {
  return { allowed: false, sudo: false, capabilities, root: false, minWrappingTTL: 0, maxWrappingTTL: 0 };
}

function view(perms: Permissions): ResultantRule {
  const out: {
    capabilities: string[];
    requiredParameters?: string[];
    allowedParameters?: Record<string, unknown[]>;
    deniedParameters?: Record<string, unknown[]>;
    minWrappingTTL?: number;
    maxWrappingTTL?: number;
  } = { capabilities: capabilityNames(perms.bits) };
  if (perms.required.size > 0) out.requiredParameters = [...perms.required].sort();
  if (perms.allowed !== undefined) out.allowedParameters = plain(perms.allowed);
  if (perms.denied !== undefined) out.deniedParameters = plain(perms.denied);
  if (perms.minWrappingTTL > 0) out.minWrappingTTL = perms.minWrappingTTL;
  if (perms.maxWrappingTTL > 0) out.maxWrappingTTL = perms.maxWrappingTTL;
  return out;
}

function plain(c: ParameterConstraints): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of c) define(out, k, [...v]);
  return out;
}

/** Own-property assignment so a path or parameter named "__proto__" stays data. */
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
