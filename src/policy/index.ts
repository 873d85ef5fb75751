/** Public surface of the policy library: parse, compile, built-ins, name rules. */
export { ACL, compileACL, type AclDecision, type CompileOptions, type ResultantAcl, type ResultantRule } from './acl.js';
export {
  DEFAULT_POLICY,
  DEFAULT_POLICY_NAME,
  DEFAULT_POLICY_TEXT,
  RESPONSE_WRAPPING_POLICY,
  RESPONSE_WRAPPING_POLICY_NAME,
  RESPONSE_WRAPPING_POLICY_TEXT,
  ROOT_POLICY,
  ROOT_POLICY_NAME,
} from './builtin.js';
export { CAPABILITY_NAMES, type Capability } from './capabilities.js';
export { checkDeletablePolicyName, checkWritablePolicyName, normalizePolicyName } from './names.js';
export { PolicyParseError, parsePolicy } from './parse.js';
export type { ParameterConstraints, PathRule, Policy } from './policy-types.js';
export type { IdentityTemplateContext, TemplateAlias, TemplateGroup } from './template.js';
