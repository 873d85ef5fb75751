/**
 * The transit secrets engine: cryptography as a service with named keys that never leave
 * the server unless made exportable. One KeyStore (storage + parsed-key cache) per mount;
 * the path tables are built around it once per mount.
 */
import { followsPrimary, type BackendContext, type LogicalBackend } from '../../logical/backend.js';
import { createBackend, type PathDef } from '../../framework/index.js';
import { encryptPaths } from './encrypt-paths.js';
import { exportBackupPaths } from './export-backup-paths.js';
import { rotatePolicy, rotationDue } from './key-policy.js';
import { storeOf, type KeyStore } from './key-store.js';
import { keysPaths } from './keys-paths.js';
import { signPaths } from './sign-paths.js';
import { utilityPaths } from './utility-paths.js';
import { forgetWrappingKey, importPaths } from './import-paths.js';
import { CACHE_CONFIG_KEY, mountConfigPaths, storedCacheSize } from './mount-config-paths.js';

/** How often keys with an auto_rotate_period are checked (Vault checks about this often). */
export const AUTO_ROTATE_CHECK_MS = 60_000;

/** Every path of the engine; one table shared by all mounts (handlers find their KeyStore via storeOf). */
export const TRANSIT_PATHS: readonly PathDef[] = [
  ...keysPaths(),
  ...exportBackupPaths(),
  ...encryptPaths(),
  ...signPaths(),
  ...utilityPaths(),
  ...importPaths(),
  ...mountConfigPaths(),
];

export const TRANSIT_HELP = `
The transit backend is used to encrypt and decrypt data in transit: it holds named
keys, and encrypts, decrypts, signs, verifies, HMACs and rewraps data with them
without ever storing the data. It can also hash data and generate random bytes.`;

/** Rotate every key whose auto_rotate_period has elapsed since its latest version. */
export async function rotateDueKeys(store: KeyStore, nowMs: () => number): Promise<number> {
  let rotated = 0;
  for (const name of await store.list()) {
    const key = await store.get(name);
    if (key === undefined || !rotationDue(key.policy, nowMs())) continue;
    await store.change(name, (current) => {
      // Re-check under the lock: a manual rotation may have happened meanwhile.
      if (current === undefined || !rotationDue(current.policy, nowMs())) return { result: undefined };
      rotated++;
      return { next: rotatePolicy(current.policy, nowMs()), result: undefined };
    });
  }
  return rotated;
}

export function transitFactory(ctx: BackendContext): LogicalBackend {
  const store = storeOf(ctx);
  let cancel: (() => void) | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const schedule = (): void => {
    cancel = ctx.clock.setTimer(AUTO_ROTATE_CHECK_MS, () => {
      // Asked at every tick, so a promoted secondary starts rotating at its next one.
      const pass = followsPrimary(ctx) ? Promise.resolve(0) : rotateDueKeys(store, () => ctx.clock.now());
      running = pass
        // A failed pass (e.g. a storage error) is retried at the next tick; backends get no logger.
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) schedule();
        });
    });
  };

  return createBackend(
    {
      paths: TRANSIT_PATHS,
      help: TRANSIT_HELP,
      initialize: async () => {
        store.setCacheSize(await storedCacheSize(ctx.storage));
        stopped = false;
        schedule();
      },
      cleanup: async () => {
        stopped = true;
        cancel?.();
        await running;
        store.clear();
        forgetWrappingKey(ctx);
      },
      // Replication (or an HA standby) changed a record below us: the cached key goes, and a
      // new cache size applies (a failed read keeps the old size until the next change or start).
      invalidate: (key) => {
        if (key === CACHE_CONFIG_KEY) {
          storedCacheSize(ctx.storage).then(
            (size) => store.setCacheSize(size),
            () => undefined,
          );
        }
        store.invalidate(key);
      },
    },
    ctx,
  );
}
