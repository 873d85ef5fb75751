/**
 * Rotating a static role's password. The role is marked pending before the database changes
 * and stored with the new password after, so a crash in between leaves a role that the
 * scheduler rotates again at once (the root connection sets a fresh password whatever the
 * old one was).
 */
import type { Clock } from '../../clock.js';
import { BadRequestError } from '../../errors.js';
import type { KeyedMutex } from '../../util/keyed-mutex.js';
import type { Connections } from './connections.js';
import { passwordFor } from './credentials.js';
import { databaseFailure } from './engine-errors.js';
import type { DatabaseStore, StaticRoleEntry } from './store.js';

export interface RotationDeps {
  readonly store: DatabaseStore;
  readonly connections: Connections;
  readonly locks: KeyedMutex;
  readonly clock: Clock;
  /** BackendContext.passwordFromPolicy of the mount. */
  readonly passwordFromPolicy?: ((name: string) => Promise<string | undefined>) | undefined;
}

/**
 * The lock key every change of one role name runs under, dynamic or static (the two share a
 * namespace), rotations included.
 */
export function roleLock(name: string): string {
  return `role/${name}`;
}

/** When a stored role is next due (ms): now if a rotation was interrupted. */
export function nextDue(role: StaticRoleEntry, now: number): number {
  return role.pendingSince !== undefined ? now : role.lastVaultRotation + role.rotationPeriod * 1000;
}

/** Rotate a stored role under its lock; returns when it is next due, undefined if it is gone. */
export function rotateStaticRole(deps: RotationDeps, name: string): Promise<number | undefined> {
  return deps.locks.run(roleLock(name), async () => {
    const role = await deps.store.getStaticRole(name);
    if (role === undefined) return undefined;
    return rotateLocked(deps, name, role);
  });
}

/** Rotate `role` (the caller holds its lock); persists the result and returns the next due time. */
export async function rotateLocked(deps: RotationDeps, name: string, role: StaticRoleEntry): Promise<number> {
  const config = await deps.store.getConfig(role.dbName);
  if (config === undefined) throw new BadRequestError(`could not find database with name: ${role.dbName}`);
  const plugin = await deps.connections.get(role.dbName).catch((err: unknown) => {
    throw databaseFailure(err, 'unable to rotate static role');
  });
  const password = await passwordFor(config, deps.passwordFromPolicy);
  await deps.store.putStaticRole(name, { ...role, pendingSince: deps.clock.now() });
  try {
    await plugin.setPassword({ username: role.username, password, statements: role.rotationStatements });
  } catch (err) {
    throw databaseFailure(err, 'unable to rotate static role');
  }
  const now = deps.clock.now();
  const { pendingSince: _dropped, ...rest } = role;
  await deps.store.putStaticRole(name, { ...rest, password, lastVaultRotation: now });
  return now + role.rotationPeriod * 1000;
}
