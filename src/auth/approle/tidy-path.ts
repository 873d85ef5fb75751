/**
 * tidy/secret-id: remove expired secret IDs, secret IDs left behind by deleted roles, and
 * accessor entries whose secret ID is gone. Runs to completion before answering (no
 * background job to track); one tidy per mount at a time.
 */
import { definePath } from '../../framework/index.js';
import type { StorageView } from '../../logical/storage.js';
import { LOCAL_AREA, saltOf, SHARED_AREA, type Salt } from './layout.js';
import { getRole, listRoles, type RoleEntry } from './role-store.js';
import { tidyArea } from './secret-id-store.js';

const running = new Set<string>();

async function liveRoles(storage: StorageView, salt: Salt): Promise<Map<string, RoleEntry>> {
  const roles = new Map<string, RoleEntry>();
  for (const name of await listRoles(storage)) {
    const role = await getRole(storage, name);
    if (role !== undefined) roles.set(salt.hmac('role-name', role.name), role);
  }
  return roles;
}

export const tidyPath = definePath({
  pattern: 'tidy/secret-id',
  fields: {},
  operations: {
    update: async (_req, _f, ctx) => {
      const key = ctx.storage.prefix;
      if (running.has(key)) {
        return { warnings: ['SecretID tidy operation already in progress.'], statusCode: 202 };
      }
      running.add(key);
      try {
        const salt = await saltOf(ctx.storage);
        const roles = await liveRoles(ctx.storage, salt);
        const now = ctx.clock.now();
        let expired = 0;
        let dangling = 0;
        for (const area of [SHARED_AREA, LOCAL_AREA]) {
          const counts = await tidyArea(ctx.storage, salt, area, roles, now);
          expired += counts.expired;
          dangling += counts.dangling;
        }
        return {
          warnings: [
            `Tidy operation completed: removed ${expired} expired secret ID(s) and ${dangling} dangling secret ID or accessor entries.`,
          ],
          statusCode: 202,
        };
      } finally {
        running.delete(key);
      }
    },
  },
  synopsis: 'Trigger the clean-up of expired secret IDs.',
  description: `
Removes expired secret IDs and their accessors, secret IDs of roles that no longer exist, and
accessor entries that point at nothing. This may do a lot of storage I/O.
`,
});
