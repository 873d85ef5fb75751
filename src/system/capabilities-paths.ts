/**
 * sys/ endpoints that report what a token may do, computed from the same compiled ACL the
 * pipeline enforces:
 *   sys/capabilities            a given token (or the caller's when none is given)
 *   sys/capabilities-self       the caller's token
 *   sys/capabilities-accessor   the token behind an accessor
 *   sys/internal/ui/resultant-acl  the caller's merged rules, for UIs
 * Each path's answer is what the ACL reports for a LIST-style lookup of it (Vault builds the
 * same probe), so "foo/" also finds rules written for "foo". The path's root-protection is not
 * folded in: like Vault, `sudo` shows only when a rule grants it.
 */
import { BadRequestError, PermissionDeniedError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { BackendRequest } from '../logical/backend.js';
import type { CallerAuth, Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import type { ResultantRule } from '../policy/index.js';
import { aclOf, callerOf } from '../core/caller-acl.js';
import { addressAllowed } from '../util/cidr.js';

/** `paths`, else the deprecated `path`; each trimmed of a leading "/" as the router would. */
function requestedPaths(paths: readonly string[], legacy: readonly string[]): string[] {
  const chosen = (paths.length > 0 ? paths : legacy).map((p) => p.replace(/^\/+/, ''));
  if (chosen.length === 0 || chosen.some((p) => p === '')) throw new BadRequestError('missing path');
  return chosen;
}

const pathsFields = {
  paths: { type: 'comma-string-slice', description: 'Paths on which capabilities are being queried.' },
  path: { type: 'comma-string-slice', description: 'Deprecated: use "paths".' },
} as const;

/** Keys a glob rule the way Vault's prefix tree does: without its trailing "*". */
function globKey(pattern: string): string {
  return pattern.endsWith('*') && !pattern.split('/').includes('+') ? pattern.slice(0, -1) : pattern;
}

function renderRule(rule: ResultantRule): Record<string, unknown> {
  const out: Record<string, unknown> = { capabilities: rule.capabilities };
  if (rule.requiredParameters !== undefined) out['required_parameters'] = rule.requiredParameters;
  if (rule.allowedParameters !== undefined) out['allowed_parameters'] = rule.allowedParameters;
  if (rule.deniedParameters !== undefined) out['denied_parameters'] = rule.deniedParameters;
  if (rule.minWrappingTTL !== undefined) out['min_wrapping_ttl'] = rule.minWrappingTTL;
  if (rule.maxWrappingTTL !== undefined) out['max_wrapping_ttl'] = rule.maxWrappingTTL;
  return out;
}

/** Own-property assignment so a rule for a path named "__proto__" stays data. */
function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function capabilitiesPaths(core: Core): PathDef[] {
  const capabilitiesOf = async (who: CallerAuth, paths: readonly string[]): Promise<Response> => {
    const acl = await aclOf(core, who);
    const data: Record<string, unknown> = {};
    for (const path of paths) {
      define(data, path, acl === undefined ? ['root'] : acl.allowed('list', path).capabilities);
    }
    // Kept for clients older than `paths`: one path also answers as `capabilities`.
    if (paths.length === 1) data['capabilities'] = data[paths[0]!];
    return { data, legacyTopLevel: true };
  };

  /** The caller as the token step established it. */
  const caller = (req: BackendRequest): CallerAuth => {
    if (req.auth === undefined) throw new PermissionDeniedError();
    return req.auth;
  };

  /** A token named in the body; an unknown (or disabled-entity) one is Vault's 400 "invalid token". */
  const tokenSubject = async (token: string): Promise<CallerAuth> => {
    const found = await core.tokens.lookup(token);
    const who = found === undefined ? undefined : callerOf(core, found.entry);
    if (who === undefined) throw new BadRequestError('invalid token');
    return who;
  };

  return [
    definePath({
      pattern: 'capabilities',
      fields: {
        ...pathsFields,
        token: { type: 'string', description: 'Token whose capabilities are queried; the caller\'s when empty.', sensitive: true },
      },
      operations: {
        update: async (req, f) => {
          const paths = requestedPaths(f.get('paths'), f.get('path'));
          const token = f.get('token');
          return capabilitiesOf(token === '' ? caller(req) : await tokenSubject(token), paths);
        },
      },
      synopsis: "Fetch the capabilities of a token on the given paths.",
      description: 'Returns, for each path, the capabilities the token\'s policies grant there.',
    }),
    definePath({
      pattern: 'capabilities-self',
      fields: pathsFields,
      operations: {
        update: async (req, f) => capabilitiesOf(caller(req), requestedPaths(f.get('paths'), f.get('path'))),
      },
      synopsis: 'Fetch the capabilities of the calling token on the given paths.',
      description: 'Returns, for each path, the capabilities the caller\'s policies grant there.',
    }),
    definePath({
      pattern: 'capabilities-accessor',
      fields: {
        ...pathsFields,
        accessor: { type: 'string', description: 'Accessor of the token whose capabilities are queried.' },
      },
      operations: {
        update: async (_req, f) => {
          const accessor = f.get('accessor');
          if (accessor === '') throw new BadRequestError('missing accessor');
          const paths = requestedPaths(f.get('paths'), f.get('path'));
          const found = await core.tokens.lookupAccessor(accessor);
          const who = found === undefined ? undefined : callerOf(core, found.entry);
          if (who === undefined) throw new BadRequestError('invalid accessor');
          return capabilitiesOf(who, paths);
        },
      },
      synopsis: 'Fetch the capabilities of the token behind an accessor on the given paths.',
      description: 'Returns, for each path, the capabilities the policies of the accessor\'s token grant there.',
    }),
    definePath({
      pattern: 'internal/ui/resultant-acl',
      fields: {},
      operations: {
        // Unauthenticated in the sys table, as Vault's: without a token there is nothing to
        // show (404); with one, the token is checked here, without spending one of its uses.
        read: async (req) => {
          if (req.clientToken === '') return undefined;
          const found = await core.tokens.lookup(req.clientToken);
          // numUses < 0 marks a token whose last use is being spent.
          if (found === undefined || found.entry.numUses < 0 || !addressAllowed(req.remoteAddr, found.entry.boundCidrs)) {
            throw new PermissionDeniedError();
          }
          const who = callerOf(core, found.entry);
          if (who === undefined) throw new PermissionDeniedError();
          const acl = await aclOf(core, who);
          if (acl === undefined || acl.root) return { data: { root: true } };
          const view = acl.resultant();
          const exact: Record<string, unknown> = {};
          const glob: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(view.exactPaths)) define(exact, k, renderRule(v));
          for (const [k, v] of Object.entries(view.globPaths)) define(glob, globKey(k), renderRule(v));
          return { data: { exact_paths: exact, glob_paths: glob, root: false } };
        },
      },
      synopsis: 'The ACL the calling token\'s policies add up to.',
      description: 'Every merged rule of the caller\'s policies, split into exact and glob paths. Used by UIs; the format may change.',
    }),
  ];
}
