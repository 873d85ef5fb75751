/**
 * Turns HA on for a node whose storage offers a lock (PostgreSQL with `ha_enabled`): the lock
 * session, the coordinator (attached to the core, installed as the storage's write fence at the
 * first unseal), the request gate the listeners serve through, and request forwarding over the
 * cluster port (the active node serves it with the cluster's HA identity, created at its first
 * activation; standbys send through it).
 */
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { LogicalBackend } from '../logical/backend.js';
import type { Request, Response } from '../logical/request.js';
import { PgHaLock } from '../storage/pg-lock.js';
import type { Physical } from '../storage/physical.js';
import { PostgresPhysical } from '../storage/postgresql.js';
import type { Logger } from '../util/logger.js';
import { VERSION } from '../version.js';
import { renderError, renderResponse } from '../http/render.js';
import type { AesGcmBarrier } from '../barrier/aes-gcm-barrier.js';
import { ensureHaTls } from './cluster-identity.js';
import { clusterPortDemux } from './cluster-port.js';
import { HaCoordinator, type HaTimings } from './coordinator.js';
import { HaForwardServer, type RenderedAnswer } from './forward-server.js';
import { HaForwarder } from './forwarder.js';
import { HaGate } from './gate.js';
import { GenerationReader, GenerationSql } from './generation.js';
import { PerfStandby, type PerfCore } from './perf-standby.js';
import type { HaControl, HaHost } from './types.js';

export interface HaNode {
  readonly coordinator: HaCoordinator;
  /** The RequestHandler the listeners use instead of the bare pipeline. */
  readonly gate: HaGate;
  /**
   * The node's cluster port, once bound: HA forwarding shares it with replication. Undefined
   * detaches (and ends the HA connections, so the port can close).
   */
  attachCluster(listener: ClusterPort | undefined): void;
  /** After the core sealed: stop timers, close the lock session. */
  close(): Promise<void>;
}

/** What HA needs of the cluster listener (src/replication/cluster-tls.ts). */
export interface ClusterPort {
  setDemux(take: ((socket: Socket) => Promise<boolean>) | undefined): void;
}

export interface HaWiring {
  /** The physical store as opened (not a decorator around it). */
  readonly physical: Physical;
  readonly core: Omit<HaHost, 'enterStandby'> &
    PerfCore & { attachHa(control: HaControl): void; readonly sealed: boolean; readonly barrier: AesGcmBarrier; readonly replication: { readonly mode: string } };
  readonly pipeline: { handle(req: Request): Promise<Response | undefined> };
  readonly sys: LogicalBackend;
  readonly logger: Logger;
  readonly clock: Clock;
  /** api_addr and cluster_addr as clients should use them (known once the listeners run). */
  readonly addresses: () => { apiAddr: string; clusterAddr: string };
  readonly timings?: Partial<HaTimings>;
  /** The quoted data table (pg-options `table`): performance standbys need it for the generation triggers. */
  readonly dataTable?: string;
  /** Standbys serve reads locally (Vault's default; `disable_performance_standby` turns it off). */
  readonly performanceStandby?: boolean;
}

/** HA for this node, or undefined when its storage has no HA lock enabled. */
export function setupHa(w: HaWiring): HaNode | undefined {
  const physical = w.physical;
  if (!(physical instanceof PostgresPhysical) || !physical.haLock.enabled) return undefined;
  const lock = new PgHaLock(() => physical.newSession(), physical.haLock.table, (err) => physical.describeError(err));
  const host = hostname();
  const httpLog = {
    error: (obj: object, msg: string) => w.logger.error(msg, obj as Record<string, unknown>),
  };
  let gate: HaGate | undefined;
  const forwardServer = new HaForwardServer({
    logger: w.logger,
    run: async (req): Promise<RenderedAnswer> => {
      try {
        return renderResponse(req, await gate!.handleForwarded(req));
      } catch (err) {
        return renderError(err, httpLog, { requestId: req.id, operation: req.operation, path: req.path });
      }
    },
  });
  const forwarder = new HaForwarder({ store: w.core.barrier, clock: w.clock, logger: w.logger });
  const core = w.core;
  const generations = w.dataTable !== undefined ? new GenerationReader(new GenerationSql(w.dataTable, physical.haLock.table), () => physical.newSession()) : undefined;
  let coordinatorRef: HaCoordinator | undefined;
  const perf =
    generations !== undefined && w.performanceStandby !== false
      ? new PerfStandby({
          core,
          pipeline: w.pipeline,
          generation: generations,
          // A replication secondary's standbys forward everything (its consistency is the applier's).
          eligible: () => core.replication.mode !== 'secondary' && coordinatorRef?.view().role === 'standby',
          clock: w.clock,
          logger: w.logger,
        })
      : undefined;
  // Role changes also start and stop serving forwarded requests.
  const roles: HaHost = {
    activate: async () => {
      await perf?.stop();
      forwarder.reset();
      await core.activate();
      // Standbys follow this node's table changes through the generation row (generation.ts).
      await generations?.install().catch((err: unknown) =>
        w.logger.warn('ha: cannot install the generation triggers; standbys will forward every request', { error: err as Error }),
      );
      try {
        forwardServer.serve(await ensureHaTls(core.barrier, w.clock));
      } catch (err) {
        // Standbys then redirect instead of forwarding; the node still serves.
        w.logger.error('ha: cannot set up the cluster identity; standbys will redirect instead of forwarding', { error: err as Error });
      }
    },
    deactivate: async () => {
      forwardServer.serve(undefined);
      await core.deactivate();
      perf?.start();
    },
    enterStandby: async () => {
      await core.followActive();
      perf?.start();
    },
    followActive: () => core.followActive(),
  };
  const coordinator = new HaCoordinator({
    lock,
    host: roles,
    clock: w.clock,
    logger: w.logger,
    advert: () => ({ ...w.addresses(), hostname: host, version: VERSION }),
    fenceTarget: physical,
    ...(w.timings !== undefined ? { timings: w.timings } : {}),
  });
  coordinatorRef = coordinator;
  w.core.attachHa({
    unsealed: () => coordinator.unsealed(),
    sealing: async () => {
      await perf?.stop();
      await coordinator.sealing();
    },
    sealed: async () => {
      await coordinator.sealed();
      // No key material outlives the seal.
      forwardServer.serve(undefined);
      forwarder.reset();
    },
    view: () => ({ ...coordinator.view(), performanceStandby: perf?.active === true }),
    nodes: () => coordinator.nodes(),
    stepDown: () => coordinator.stepDown(),
  });
  gate = new HaGate({ coordinator, pipeline: w.pipeline, sys: w.sys, sealed: () => w.core.sealed, forwarder, ...(perf !== undefined ? { perf } : {}) });
  const demux = clusterPortDemux({ forwardServer, view: () => coordinator.view(), sealed: () => w.core.sealed });
  let port: ClusterPort | undefined;
  return {
    coordinator,
    gate,
    attachCluster: (listener) => {
      port?.setDemux(undefined);
      forwardServer.dropConnections();
      demux.closeAll();
      port = listener;
      port?.setDemux((socket) => demux.take(socket));
    },
    close: async () => {
      port?.setDemux(undefined);
      demux.closeAll();
      forwardServer.serve(undefined);
      forwarder.reset();
      await perf?.stop();
      await coordinator.close();
      await generations?.close();
    },
  };
}
