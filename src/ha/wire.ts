/**
 * Turns HA on for a node whose storage offers a lock (PostgreSQL with `ha_enabled`): the lock
 * session, the coordinator (attached to the core, installed as the storage's write fence at the
 * first unseal) and the request gate the listeners serve through.
 */
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { LogicalBackend } from '../logical/backend.js';
import type { Request, Response } from '../logical/request.js';
import { PgHaLock } from '../storage/pg-lock.js';
import type { Physical } from '../storage/physical.js';
import { PostgresPhysical } from '../storage/postgresql.js';
import type { Logger } from '../util/logger.js';
import { VERSION } from '../version.js';
import { HaCoordinator, type HaTimings } from './coordinator.js';
import { HaGate } from './gate.js';
import type { HaControl, HaHost } from './types.js';

export interface HaNode {
  readonly coordinator: HaCoordinator;
  /** The RequestHandler the listeners use instead of the bare pipeline. */
  readonly gate: HaGate;
  /** After the core sealed: stop timers, close the lock session. */
  close(): Promise<void>;
}

export interface HaWiring {
  /** The physical store as opened (not a decorator around it). */
  readonly physical: Physical;
  readonly core: HaHost & { attachHa(control: HaControl): void; readonly sealed: boolean };
  readonly pipeline: { handle(req: Request): Promise<Response | undefined> };
  readonly sys: LogicalBackend;
  readonly logger: Logger;
  readonly clock: Clock;
  /** api_addr and cluster_addr as clients should use them (known once the listeners run). */
  readonly addresses: () => { apiAddr: string; clusterAddr: string };
  readonly timings?: Partial<HaTimings>;
}

/** HA for this node, or undefined when its storage has no HA lock enabled. */
export function setupHa(w: HaWiring): HaNode | undefined {
  const physical = w.physical;
  if (!(physical instanceof PostgresPhysical) || !physical.haLock.enabled) return undefined;
  const lock = new PgHaLock(() => physical.newSession(), physical.haLock.table, (err) => physical.describeError(err));
  const host = hostname();
  const coordinator = new HaCoordinator({
    lock,
    host: w.core,
    clock: w.clock,
    logger: w.logger,
    advert: () => ({ ...w.addresses(), hostname: host, version: VERSION }),
    fenceTarget: physical,
    ...(w.timings !== undefined ? { timings: w.timings } : {}),
  });
  w.core.attachHa(coordinator);
  const gate = new HaGate({ coordinator, pipeline: w.pipeline, sys: w.sys, sealed: () => w.core.sealed });
  return { coordinator, gate, close: () => coordinator.close() };
}
