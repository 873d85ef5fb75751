/**
 * sys/internal/specs/openapi: the OpenAPI document of what this server serves (openapi.ts).
 * Unauthenticated, as Vault's; the mounts described depend on the caller: all of them for a
 * root token, those the caller's policies grant anything under for another token, and for a
 * request without a token only the unauthenticated paths.
 */
import { addressAllowed } from '../util/cidr.js';
import { aclOf, callerOf } from '../core/caller-acl.js';
import type { Core } from '../core/core.js';
import { PermissionDeniedError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { LogicalBackend } from '../logical/backend.js';
import type { ResultantAcl } from '../policy/index.js';
import { type DocumentedMount, openApiDocument } from './openapi.js';

/** Whether any rule of the ACL grants something at or below `prefix` (or above it, by a glob). */
function grantsUnder(view: ResultantAcl, prefix: string): boolean {
  const granting = (caps: readonly string[]): boolean => caps.some((c) => c !== 'deny');
  for (const [path, rule] of Object.entries(view.exactPaths)) if (granting(rule.capabilities) && path.startsWith(prefix)) return true;
  for (const [pattern, rule] of Object.entries(view.globPaths)) {
    if (!granting(rule.capabilities)) continue;
    // Up to the first wildcard segment; what follows may match anything.
    const fixed = pattern.replace(/\*$/, '').split('+')[0] ?? '';
    if (prefix.startsWith(fixed) || fixed.startsWith(prefix)) return true;
  }
  return false;
}

/** A backend that describes only its unauthenticated paths. */
function unauthenticatedOnly(backend: LogicalBackend): LogicalBackend {
  const globs = backend.specialPaths.unauthenticated ?? [];
  const open = (pattern: string): boolean =>
    globs.some((g) => (g.endsWith('*') ? pattern.startsWith(g.slice(0, -1).replace(/\./g, '\\.')) || pattern.startsWith(g.slice(0, -1)) : pattern === g || pattern === g.replace(/\./g, '\\.')));
  return { ...backend, describePaths: () => (backend.describePaths?.() ?? []).filter((d) => open(d.pattern)) };
}

export function openApiPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: 'internal/specs/openapi',
      fields: {
        generic_mount_paths: { type: 'bool', description: 'Use generic mount paths: each mount path becomes a {<mount>_mount_path} parameter.' },
      },
      operations: {
        read: async (req, f) => {
          const routes = core.router.all();
          let mounts: DocumentedMount[];
          if (req.clientToken === '') {
            mounts = routes.map((r) => ({ prefix: r.prefix, type: r.entry.type, backend: unauthenticatedOnly(r.backend) }));
          } else {
            // Checked here, as sys/internal/ui/resultant-acl does: the path itself is unauthenticated.
            const found = await core.tokens.lookup(req.clientToken);
            if (found === undefined || found.entry.numUses < 0 || !addressAllowed(req.remoteAddr, found.entry.boundCidrs)) throw new PermissionDeniedError();
            const who = callerOf(core, found.entry);
            if (who === undefined) throw new PermissionDeniedError();
            const acl = await aclOf(core, who);
            const view = acl === undefined || acl.root ? undefined : acl.resultant();
            mounts = routes
              .filter((r) => view === undefined || grantsUnder(view, r.prefix))
              .map((r) => ({ prefix: r.prefix, type: r.entry.type, backend: r.backend }));
          }
          const doc = openApiDocument(mounts, { genericMountPaths: f.get('generic_mount_paths') });
          return { raw: { status: 200, body: doc, contentType: 'application/json' } };
        },
      },
      synopsis: 'The OpenAPI document of the mounted backends.',
      description: 'OpenAPI 3.0.2, generated from the path tables of the mounts the caller can reach.',
    }),
  ];
}
