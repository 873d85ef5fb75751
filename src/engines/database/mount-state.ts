/**
 * The runtime state of one mounted database engine: its connection pools, the static-role
 * rotation timer and the per-name locks. Handlers receive only the mount's BackendContext, so
 * the state is keyed by that object (one per mounted backend instance: a remount or unseal
 * builds a new one, and the old one is stopped by `cleanup`).
 */
import type { BackendContext } from '../../logical/backend.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { Connections } from './connections.js';
import { RotationScheduler } from './rotation-scheduler.js';
import { nextDue, rotateStaticRole, type RotationDeps } from './static-rotation.js';
import { DatabaseStore } from './store.js';

export class DatabaseMount implements RotationDeps {
  readonly store: DatabaseStore;
  readonly connections: Connections;
  readonly locks = new KeyedMutex();
  readonly scheduler: RotationScheduler;

  constructor(readonly ctx: BackendContext) {
    this.store = new DatabaseStore(ctx.storage);
    this.connections = new Connections(this.store);
    this.scheduler = new RotationScheduler(ctx.clock, (name) => rotateStaticRole(this, name));
  }

  get clock(): BackendContext['clock'] {
    return this.ctx.clock;
  }

  /** After mount or unseal: schedule every static role. */
  async start(): Promise<void> {
    const now = this.clock.now();
    for (const name of await this.store.listStaticRoles()) {
      const role = await this.store.getStaticRole(name);
      if (role !== undefined) this.scheduler.set(name, nextDue(role, now));
    }
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
