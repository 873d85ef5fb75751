/**
 * The policy store: ACL policies persisted under POLICY_PREFIX (replicated), parsed once and
 * cached, and compiled ACLs cached per set of policy names. `root` and `response-wrapping`
 * are built in and never stored; `default` is stored at first unseal so operators can edit
 * it, and cannot be deleted. Any change clears the compiled-ACL cache; `invalidate` is the
 * hook for changes that arrive by replication.
 */
import type { Storage } from '../logical/storage.js';
import { StorageView } from '../logical/storage.js';
import { POLICY_PREFIX } from '../storage/keys.js';
import { ACL, compileACL } from './acl.js';
import { DEFAULT_POLICY_NAME, DEFAULT_POLICY_TEXT, RESPONSE_WRAPPING_POLICY, ROOT_POLICY, ROOT_POLICY_NAME } from './builtin.js';
import { checkDeletablePolicyName, checkWritablePolicyName, normalizePolicyName } from './names.js';
import { parsePolicy } from './parse.js';
import type { Policy } from './policy-types.js';
import type { IdentityTemplateContext } from './template.js';

/** The caller's entity, for templated policies; `context` is only built when compiling. */
export interface IdentityACLContext {
  readonly entityId: string;
  readonly context: () => IdentityTemplateContext;
}

const ACL_PREFIX = 'acl/';
/** Bound on distinct policy sets kept compiled; beyond it the oldest is recompiled on demand. */
const MAX_COMPILED = 1024;

interface StoredPolicy {
  readonly name: string;
  readonly raw: string;
}

export class PolicyStore {
  private readonly view: StorageView;
  private readonly parsed = new Map<string, Policy | null>();
  private readonly compiled = new Map<string, ACL>();
  /** ACLs of templated policy sets, keyed by names and entity id. */
  private readonly compiledIdentity = new Map<string, ACL>();

  constructor(storage: Storage) {
    this.view = new StorageView(storage, POLICY_PREFIX + ACL_PREFIX);
  }

  /** After unseal: make sure `default` exists. */
  async setup(): Promise<void> {
    this.clearCaches();
    if ((await this.view.get(DEFAULT_POLICY_NAME)) === undefined) {
      await this.put(DEFAULT_POLICY_NAME, DEFAULT_POLICY_TEXT);
    }
  }

  teardown(): void {
    this.clearCaches();
  }

  /** The policy, or undefined when there is none by that name. */
  async get(name: string): Promise<Policy | undefined> {
    const n = normalizePolicyName(name);
    if (n === RESPONSE_WRAPPING_POLICY.name) return RESPONSE_WRAPPING_POLICY;
    if (this.parsed.has(n)) return this.parsed.get(n) ?? undefined;
    const stored = await this.view.getJSON<StoredPolicy>(n);
    // A stored policy parsed when it was written; if it no longer parses, it grants nothing.
    let policy: Policy | null = null;
    if (stored !== undefined) {
      try {
        policy = parsePolicy(n, stored.raw);
      } catch {
        policy = null;
      }
    }
    this.parsed.set(n, policy);
    return policy ?? undefined;
  }

  /** Parse (throwing PolicyParseError with the line) and store. */
  async put(name: string, raw: string): Promise<Policy> {
    const n = checkWritablePolicyName(name);
    const policy = parsePolicy(n, raw);
    await this.view.putJSON(n, { name: n, raw } satisfies StoredPolicy);
    this.invalidate(n);
    return policy;
  }

  async delete(name: string): Promise<void> {
    const n = checkDeletablePolicyName(name);
    await this.view.delete(n);
    this.invalidate(n);
  }

  /** Stored policy names plus `root`, sorted, as sys/policy lists them. */
  async list(): Promise<string[]> {
    const names = (await this.view.list('')).filter((k) => !k.endsWith('/'));
    return [...new Set([...names, ROOT_POLICY_NAME])].sort();
  }

  /**
   * The compiled ACL for a set of policy names; unknown names grant nothing. With `identity`,
   * templated paths (`{{identity.entity.id}}`) are filled from the caller's entity; such ACLs
   * are cached per (names, entity) apart from the plain ones and dropped on any identity change.
   */
  async acl(names: readonly string[], identity?: IdentityACLContext): Promise<ACL> {
    const key = [...names].sort().join('\n');
    const hit = this.compiled.get(key);
    if (hit !== undefined) return hit;
    const identityKey = `${key}\0${identity?.entityId ?? ''}`;
    const templatedHit = this.compiledIdentity.get(identityKey);
    if (templatedHit !== undefined) return templatedHit;
    const policies: Policy[] = [];
    for (const name of names) {
      if (normalizePolicyName(name) === ROOT_POLICY_NAME) {
        policies.push(ROOT_POLICY);
        continue;
      }
      const p = await this.get(name);
      if (p !== undefined) policies.push(p);
    }
    const templated = policies.some((p) => p.templated);
    const acl = templated ? compileACL(policies, identity === undefined ? {} : { identity: identity.context() }) : compileACL(policies);
    const cache = templated ? this.compiledIdentity : this.compiled;
    if (cache.size >= MAX_COMPILED) cache.delete(cache.keys().next().value!);
    cache.set(templated ? identityKey : key, acl);
    return acl;
  }

  /** Identity data changed: ACLs compiled from identity templates are stale. */
  invalidateIdentity(): void {
    this.compiledIdentity.clear();
  }

  /** Forget cached state for one policy (local write or replicated change). */
  invalidate(name: string): void {
    this.parsed.delete(normalizePolicyName(name));
    this.compiled.clear();
    this.compiledIdentity.clear();
  }

  private clearCaches(): void {
    this.parsed.clear();
    this.compiled.clear();
    this.compiledIdentity.clear();
  }
}
