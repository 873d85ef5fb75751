/**
 * Vault's JSON response envelope for an internal Response: pure data shaping, shared by the
 * HTTP shell (which sends it) and response wrapping (which stores it for a later unwrap), so a
 * wrapped answer comes back exactly as it would have been sent.
 *  - every envelope field is present; absent values are "" / 0 / false / null, never omitted;
 *  - auth.token_policies and auth.identity_policies are left out when empty (Go omitempty);
 *  - auth.metadata with no keys is null (a nil Go map);
 *  - a response-wrapped answer carries only wrap_info (request_id "", data/auth/warnings null).
 */
import type { AuthBlock, Request, Response, WrapInfo } from './request.js';

export function renderAuth(auth: AuthBlock): Record<string, unknown> {
  const out: Record<string, unknown> = {
    client_token: auth.clientToken,
    accessor: auth.accessor,
    policies: auth.policies,
  };
  if (auth.tokenPolicies.length > 0) out['token_policies'] = auth.tokenPolicies;
  if (auth.identityPolicies !== undefined && auth.identityPolicies.length > 0) {
    out['identity_policies'] = auth.identityPolicies;
  }
  out['metadata'] = Object.keys(auth.metadata).length > 0 ? auth.metadata : null;
  out['lease_duration'] = auth.leaseDuration;
  out['renewable'] = auth.renewable;
  out['entity_id'] = auth.entityId;
  out['token_type'] = auth.tokenType;
  out['orphan'] = auth.orphan;
  out['mfa_requirement'] = auth.mfaRequirement ?? null;
  out['num_uses'] = auth.numUses ?? 0;
  return out;
}

export function renderWrapInfo(wrap: WrapInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    token: wrap.token,
    accessor: wrap.accessor,
    ttl: wrap.ttl,
    creation_time: wrap.creationTime,
    creation_path: wrap.creationPath,
  };
  if (wrap.wrappedAccessor !== undefined && wrap.wrappedAccessor !== '') out['wrapped_accessor'] = wrap.wrappedAccessor;
  return out;
}

/** Vault's response envelope, fields in Vault's order. */
export function renderEnvelope(req: Request, resp: Response): Record<string, unknown> {
  if (resp.wrapInfo !== undefined) {
    return {
      request_id: '',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: renderWrapInfo(resp.wrapInfo),
      warnings: null,
      auth: null,
      mount_type: '',
    };
  }
  const secret = resp.secret;
  return {
    request_id: req.id,
    lease_id: secret?.leaseId ?? '',
    renewable: secret?.renewable ?? false,
    lease_duration: secret?.ttl ?? 0,
    data: resp.data ?? null,
    wrap_info: null,
    warnings: resp.warnings !== undefined && resp.warnings.length > 0 ? resp.warnings : null,
    auth: resp.auth !== undefined ? renderAuth(resp.auth) : null,
    mount_type: req.mountType ?? '',
  };
}
