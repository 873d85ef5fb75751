/**
 * The built-in policies. `default` is attached to tokens unless they opt out; its rules are
 * the ones Vault ships (a token may inspect, renew and revoke itself, use its cubbyhole and
 * the wrapping and hashing tools, and read its own entity). It is stored like any policy
 * so operators may edit it. `response-wrapping` is what a wrapping token carries: reading
 * its cubbyhole response and unwrapping. `root` has no rules: compileACL treats the name
 * as "allow everything".
 */
import { parsePolicy } from './parse.js';
import type { Policy } from './policy-types.js';

export const DEFAULT_POLICY_NAME = 'default';
export const ROOT_POLICY_NAME = 'root';
export const RESPONSE_WRAPPING_POLICY_NAME = 'response-wrapping';

export const DEFAULT_POLICY_TEXT = `# Let a token look up its own properties.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Let a token renew itself.
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Let a token revoke itself.
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Let a token ask which capabilities it has on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Let a token read its own identity entity, by id or by name.
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# Let a token see the ACL that all its policies add up to (used by UIs; the format is
# internal and may change).
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Let a token renew a lease whose ID it holds (old and new endpoints).
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Let a token look up a lease whose ID it already knows.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Let a token manage its own cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Let a token wrap arbitrary data in a response-wrapping token.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Let a token look up the creation time and TTL of a wrapping token.
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Let a token unwrap without swapping its client token (the wrapping token's own policy
# allows this too).
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# General purpose hashing.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Let a token holding a control group request's accessor check its status.
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Let a token call the authorization endpoint of OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`;

export const RESPONSE_WRAPPING_POLICY_TEXT = `path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;

export const DEFAULT_POLICY: Policy = parsePolicy(DEFAULT_POLICY_NAME, DEFAULT_POLICY_TEXT);
export const RESPONSE_WRAPPING_POLICY: Policy = parsePolicy(RESPONSE_WRAPPING_POLICY_NAME, RESPONSE_WRAPPING_POLICY_TEXT);
/** Allows everything once compiled; has no text and cannot be written or deleted. */
export const ROOT_POLICY: Policy = Object.freeze({ name: ROOT_POLICY_NAME, raw: '', paths: Object.freeze([]), templated: false });
