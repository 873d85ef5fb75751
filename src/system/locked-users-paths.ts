/**
 * sys/locked-users (read, optionally for one mount_accessor) and
 * sys/locked-users/:mount_accessor/unlock/:alias_identifier over the core's LoginLockout.
 * There are no namespaces here: everything is listed under the root namespace.
 */
import { definePath, type PathDef } from '../framework/index.js';
import type { Core } from '../core/core.js';

export function lockedUsersPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: 'locked-users/?',
      fields: { mount_accessor: { type: 'string', description: 'Only the users locked on this auth mount.' } },
      operations: {
        read: async (_req, f) => {
          const accessor = f.get('mount_accessor');
          const byMount = [...core.lockout.locked(accessor === '' ? undefined : accessor)]
            .map(([mount, aliases]) => ({ mount_accessor: mount, counts: aliases.length, alias_identifiers: aliases.sort() }))
            .sort((a, b) => b.counts - a.counts || a.mount_accessor.localeCompare(b.mount_accessor));
          const total = byMount.reduce((n, m) => n + m.counts, 0);
          const byNamespace = total === 0 ? [] : [{ namespace_id: 'root', namespace_path: '', counts: total, mount_accessors: byMount }];
          return { data: { by_namespace: byNamespace, total } };
        },
      },
      synopsis: 'List locked users.',
      description: 'Users (aliases) locked out of userpass and approle mounts after repeated failed logins.',
    }),
    definePath({
      pattern: 'locked-users/(?<mount_accessor>[^/]+)/unlock/(?<alias_identifier>.+)',
      fields: {
        mount_accessor: { type: 'string', description: 'Accessor of the auth mount.' },
        alias_identifier: { type: 'string', description: 'The username (userpass) or role ID (approle).' },
      },
      operations: {
        update: async (_req, f) => {
          await core.lockout.unlock(f.get('mount_accessor'), f.get('alias_identifier'));
          return undefined;
        },
      },
      synopsis: 'Unlock a locked user.',
      description: 'Lifts the lock and forgets the failed logins; succeeds whether or not the user was locked.',
    }),
  ];
}
