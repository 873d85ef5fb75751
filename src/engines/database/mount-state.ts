/**
 * The runtime state of one mounted database engine: its connection pools, the static-role
 * rotation timer and the per-name locks. Handlers receive only the mount's BackendContext, so
 * the state is keyed by that object (one per mounted backend instance: a remount or unseal
 * builds a new one, and the old one is stopped by `cleanup`).
 *
 * On a performance secondary the mount's storage follows the primary: `invalidate` drops a pool
 * whose config changed there and moves a static role's due time, and nothing here writes
 * storage in the background (the primary rotates; see `followsPrimary`).
 */
import { isArcaError } from '../../errors.js';
import { followsPrimary, type BackendContext } from '../../logical/backend.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { Connections } from './connections.js';
import { ROTATION_RETRY_MS, RotationScheduler } from './rotation-scheduler.js';
import { nextDue, roleLock, rotateStaticRole, type RotationDeps } from './static-rotation.js';
import { CONFIG_PREFIX, DatabaseStore, ROOT_ROTATION_PREFIX, STATIC_ROLE_PREFIX } from './store.js';

/** The name in `key` below `prefix` (names never contain '/'), or undefined. */
function nameUnder(key: string, prefix: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const name = key.slice(prefix.length);
  return name === '' || name.includes('/') ? undefined : name;
}

export class DatabaseMount implements RotationDeps {
  readonly store: DatabaseStore;
  readonly connections: Connections;
  readonly locks = new KeyedMutex();
  readonly scheduler: RotationScheduler;

  constructor(readonly ctx: BackendContext) {
    this.store = new DatabaseStore(ctx.storage);
    const follows = (): boolean => this.followsPrimary();
    this.connections = new Connections(this.store, follows);
    this.scheduler = new RotationScheduler(ctx.clock, (name) => rotateStaticRole(this, name), follows, (name, err) =>
      // Errors from the database come redacted (engine-errors.ts); anything else is named, not shown.
      ctx.logger?.warn(`database: rotating static role failed; retrying in ${ROTATION_RETRY_MS / 1000}s`, {
        role: name,
        error: isArcaError(err) ? err.message : `unexpected ${err instanceof Error ? err.name : typeof err}`,
      }),
    );
  }

  /**
   * Whether the mount's data is replicated from a primary: a performance secondary's mount
   * that is not local. Its storage is read-only here, so the primary owns rotations.
   */
  followsPrimary(): boolean {
    return followsPrimary(this.ctx);
  }

  get clock(): BackendContext['clock'] {
    return this.ctx.clock;
  }

  get passwordFromPolicy(): BackendContext['passwordFromPolicy'] {
    return this.ctx.passwordFromPolicy;
  }

  /** After mount or unseal: schedule every static role. */
  async start(): Promise<void> {
    const now = this.clock.now();
    for (const name of await this.store.listStaticRoles()) {
      const role = await this.store.getStaticRole(name);
      if (role !== undefined) this.scheduler.set(name, nextDue(role, now));
    }
  }

  /**
   * Replication changed `key` below us. A config (or its pending root password) changed or went:
   * close its pool, the next use opens one from what is stored now. A static role changed: its
   * due time follows the primary's rotations, so a promoted secondary rotates on time.
   */
  invalidate(key: string): void {
    const config = nameUnder(key, CONFIG_PREFIX) ?? nameUnder(key, ROOT_ROTATION_PREFIX);
    // replace() only fails if closing the old pool does; it is gone from the map either way.
    if (config !== undefined) void this.connections.replace(config, undefined).catch(() => undefined);
    const role = nameUnder(key, STATIC_ROLE_PREFIX);
    if (role !== undefined) void this.reschedule(role).catch(() => undefined);
  }

  /** Re-read a static role under its lock (so reads finish in the order changes came) and reschedule it. */
  private reschedule(name: string): Promise<void> {
    return this.locks.run(roleLock(name), async () => {
      const role = await this.store.getStaticRole(name);
      if (role === undefined) this.scheduler.remove(name);
      else this.scheduler.set(name, nextDue(role, this.clock.now()));
    });
  }

  /** On unmount or seal: no more rotations, every pool closed. */
  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.connections.closeAll();
  }
}

const mounts = new WeakMap<BackendContext, DatabaseMount>();

export function mountOf(ctx: BackendContext): DatabaseMount {
  let m = mounts.get(ctx);
  if (m === undefined) {
    m = new DatabaseMount(ctx);
    mounts.set(ctx, m);
  }
  return m;
}
