/**
 * Engine-wide settings of a transit mount, stored in the mount (so they replicate with it):
 *
 *   cache-config   `size` of the parsed-key cache: 0 = unlimited (the default), otherwise a
 *                  least-recently-used cache of at least MIN_CACHE_SIZE keys. Applied at once and
 *                  at every start of the mount (Vault applies it only at the next reload).
 *   config/keys    `disable_upsert`: encrypt/ stops creating keys that do not exist, so a
 *                  typo in a key name cannot make a new key even under a policy that allows
 *                  `create`.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, type PathDef } from '../../framework/index.js';
import type { StorageView } from '../../logical/storage.js';
import { storeOf } from './key-store.js';

export const CACHE_CONFIG_KEY = 'config/cache';
export const KEYS_CONFIG_KEY = 'config/keys';
export const MIN_CACHE_SIZE = 10;

export async function storedCacheSize(storage: StorageView): Promise<number> {
  return (await storage.getJSON<{ size?: number }>(CACHE_CONFIG_KEY))?.size ?? 0;
}

/** Whether encrypt/ may create a missing key (config/keys). */
export async function upsertDisabled(storage: StorageView): Promise<boolean> {
  return (await storage.getJSON<{ disableUpsert?: boolean }>(KEYS_CONFIG_KEY))?.disableUpsert === true;
}

export function mountConfigPaths(): PathDef[] {
  const cacheConfig = definePath({
    pattern: 'cache-config',
    fields: {
      size: { type: 'int', description: 'Keys kept parsed in memory: 0 for no limit, otherwise at least 10 (least recently used go first).' },
    },
    operations: {
      read: async (_req, _f, ctx) => ({ data: { size: await storedCacheSize(ctx.storage) } }),
      update: async (_req, f, ctx) => {
        const size = f.get('size');
        if (size < 0) throw new BadRequestError('size must be greater or equal to 0');
        if (size !== 0 && size < MIN_CACHE_SIZE) throw new BadRequestError(`size must be 0 or a value greater or equal to ${MIN_CACHE_SIZE}`);
        await ctx.storage.putJSON(CACHE_CONFIG_KEY, { size });
        storeOf(ctx).setCacheSize(size);
        return { data: { size } };
      },
    },
    synopsis: 'Configures a new cache of the specified size',
    description: 'The size of the cache of parsed keys: 0 (no limit) or at least 10.',
  });

  const keysConfig = definePath({
    pattern: 'config/keys',
    fields: {
      disable_upsert: { type: 'bool', description: 'Refuse to create keys on first use by encrypt/.' },
    },
    operations: {
      read: async (_req, _f, ctx) => ({ data: { disable_upsert: await upsertDisabled(ctx.storage) } }),
      update: async (_req, f, ctx) => {
        const current = await upsertDisabled(ctx.storage);
        const disableUpsert = f.getOk('disable_upsert') ?? current;
        await ctx.storage.putJSON(KEYS_CONFIG_KEY, { disableUpsert });
        return { data: { disable_upsert: disableUpsert } };
      },
    },
    synopsis: 'Configuration common across all keys',
    description: 'disable_upsert: whether encrypt/ may create a key that does not exist yet.',
  });

  return [cacheConfig, keysConfig];
}
