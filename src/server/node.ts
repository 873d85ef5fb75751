/**
 * Assembles one running node from a ServerConfig: storage, core, pipeline, listeners.
 * Used by `arca server` and by tests that want a real server in-process.
 */
import { sanitizedConfig } from '../config/sanitized.js';
import type { ListenerConfig, ServerConfig } from '../config/server-config-types.js';
import { Core } from '../core/core.js';
import { Pipeline } from '../core/pipeline.js';
import { startListener } from '../http/listener.js';
import { openPhysical } from '../storage/open.js';
import type { Physical } from '../storage/physical.js';
import { createSysBackend } from '../system/sys-backend.js';
import type { Logger } from '../util/logger.js';
import { systemClock, type Clock } from '../clock.js';
import type { HaTimings } from '../ha/coordinator.js';
import { setupHa, type HaNode } from '../ha/wire.js';
import { DEFAULT_TABLE, quoteTableName } from '../storage/pg-options.js';
import { activationFor } from '../replication/activation.js';
import { BadRequestError } from '../errors.js';
import { ensureAliasHandler, forwardHandler } from '../replication/forwarding.js';
import { entityForLogin } from '../identity/alias-ops.js';
import { ClusterListener } from '../replication/cluster-tls.js';

export interface RunningListener {
  readonly config: ListenerConfig;
  readonly url: string;
  readonly address: string;
  close(): Promise<void>;
  reloadTls(): Promise<void>;
}

export interface RunningNode {
  readonly core: Core;
  readonly pipeline: Pipeline;
  readonly listeners: readonly RunningListener[];
  /** The address clients should use: api_addr, else the first listener's URL. */
  readonly apiAddr: string;
  /** High availability, when the storage has an HA lock (PostgreSQL with ha_enabled). */
  readonly ha?: HaNode;
  /** Stop listening, seal, close storage. Idempotent. */
  close(): Promise<void>;
}

export interface DevOptions {
  readonly rootTokenId?: string;
}

export interface DevResult {
  readonly unsealKey: Buffer;
  readonly rootToken: string;
}

export async function startNode(
  config: ServerConfig,
  opts: { logger: Logger; clock?: Clock; physical?: Physical; dev?: DevOptions; haTimings?: Partial<HaTimings> },
): Promise<RunningNode & { dev?: DevResult }> {
  const physical = opts.physical ?? (await openPhysical(config.storage));
  const core = new Core({
    physical,
    storageType: config.storage.type,
    logger: opts.logger,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ttls: { defaultLeaseTTL: config.defaultLeaseTTL, maxLeaseTTL: config.maxLeaseTTL },
    ...(config.clusterName !== undefined ? { clusterName: config.clusterName } : {}),
    ...(config.apiAddr !== undefined ? { apiAddr: config.apiAddr } : {}),
    ...(config.clusterAddr !== undefined ? { clusterAddr: config.clusterAddr } : {}),
    telemetry: config.telemetry,
    replication: config.replication,
    sanitizedConfig: sanitizedConfig(config),
    ...(config.cacheSize !== undefined ? { cacheSize: config.cacheSize } : {}),
    ...(config.disableCache !== undefined ? { disableCache: config.disableCache } : {}),
    ...(config.rawStorageEndpoint !== undefined ? { rawStorageEndpoint: config.rawStorageEndpoint } : {}),
  });
  // The replication mode is known while sealed (status, health) and in force before any write.
  await core.replication.load();
  const sys = createSysBackend(core);
  core.registerBuiltin('system', () => sys);
  const pipeline = new Pipeline(core, sys);
  // Forwarding: a primary runs requests its secondaries forward; a secondary sends them.
  core.replication.registerMethod(
    'forward',
    forwardHandler((req, auth) => pipeline.handleForwarded(req, auth), () => core.replication.writeIndex()),
  );
  core.replication.registerMethod(
    'identity.ensure-alias',
    ensureAliasHandler(async ({ mountAccessor, name, metadata }) => {
      const mount = core.mountByAccessor(mountAccessor);
      if (mount === undefined) throw new BadRequestError(`unknown auth mount accessor ${JSON.stringify(mountAccessor)}`);
      const resolved = await entityForLogin(core.identity, mount, { name, metadata });
      return { entityId: resolved.entity.id, aliasId: '' };
    }, () => core.replication.lastIndex()),
  );
  pipeline.forwarder = {
    link: () => (core.replication.mode === 'secondary' ? core.replication.secondaryClient?.link : undefined),
    waitForIndex: (index, timeoutMs) => core.replication.waitForIndex(index, timeoutMs),
    viaHeader: config.replication.allowForwardingViaHeader,
  };
  // Before any unseal: a restarted secondary reconnects through it, a primary serves the activate RPC.
  const replication = activationFor(core);
  // Known once the listeners run (port 0); the HA lock row advertises it.
  let apiAddr = config.apiAddr ?? '';
  const firstCluster = config.listeners[0]?.clusterAddress;
  // The bound cluster port once known (cluster_address may say port 0).
  let boundCluster: string | undefined;
  const ha = setupHa({
    physical,
    core,
    pipeline,
    sys,
    logger: opts.logger,
    clock: opts.clock ?? systemClock,
    addresses: () => ({ apiAddr, clusterAddr: config.clusterAddr ?? clusterUrl(boundCluster ?? firstCluster) }),
    ...(opts.haTimings !== undefined ? { timings: opts.haTimings } : {}),
    ...(config.storage.type === 'postgresql' ? { dataTable: quoteTableName(config.storage.options['table'] ?? DEFAULT_TABLE) } : {}),
    performanceStandby: config.disablePerformanceStandby !== true,
  });

  let dev: DevResult | undefined;
  if (opts.dev !== undefined) {
    const { shares, rootToken } = await core.initialize(
      { secretShares: 1, secretThreshold: 1 },
      { keepUnsealed: true, ...(opts.dev.rootTokenId ? { rootTokenId: opts.dev.rootTokenId } : {}) },
    );
    await core.mounts.mount({ path: 'secret/', type: 'kv', description: 'key/value secret storage', options: { version: '2' } });
    dev = { unsealKey: shares[0]!, rootToken };
  }

  const httpLog = {
    error: (obj: object, msg: string) => opts.logger.error(msg, obj as Record<string, unknown>),
    info: (obj: object, msg: string) => opts.logger.info(msg, obj as Record<string, unknown>),
  };
  const listeners: RunningListener[] = [];
  try {
    for (const l of config.listeners) {
      const started = await startListener(
        {
          address: l.address,
          tlsDisable: !l.tls.enabled,
          ...(l.tls.enabled
            ? {
                tlsCertFile: l.tls.certFile,
                tlsKeyFile: l.tls.keyFile,
                ...(l.tls.clientCaFile !== undefined ? { tlsClientCaFile: l.tls.clientCaFile } : {}),
                tlsMinVersion: l.tls.minVersion,
                tlsRequireAndVerifyClientCert: l.tls.requireAndVerifyClientCert,
              }
            : {}),
          maxRequestSize: l.maxRequestSize,
          ...(l.forwardedFor !== undefined ? { forwardedFor: l.forwardedFor } : {}),
        },
        ha?.gate ?? pipeline,
        httpLog,
      );
      const address = started.address.includes(':') ? `[${started.address}]:${started.port}` : `${started.address}:${started.port}`;
      listeners.push({ config: l, url: started.url, address, close: () => started.close(), reloadTls: () => started.reloadTls() });
    }
  } catch (err) {
    for (const l of listeners) await l.close();
    await core.shutdown();
    await ha?.close();
    throw err;
  }

  apiAddr = config.apiAddr ?? listeners[0]?.url ?? '';
  core.apiAddr = apiAddr;
  const cluster = await bindClusterPort(config, opts.logger);
  replication.attachNode({ ...(cluster !== undefined ? { listener: cluster } : {}), apiAddr });
  boundCluster = cluster?.address;
  ha?.attachCluster(cluster);
  let closing: Promise<void> | undefined;
  const node: RunningNode & { dev?: DevResult } = {
    core,
    pipeline,
    listeners,
    apiAddr,
    ...(ha !== undefined ? { ha } : {}),
    close() {
      closing ??= (async () => {
        await Promise.all(listeners.map((l) => l.close()));
        // HA's connections on the cluster port end first: the port closes only once they are gone.
        ha?.attachCluster(undefined);
        await cluster?.close();
        await core.shutdown();
        await ha?.close();
      })();
      return closing;
    },
    ...(dev ? { dev } : {}),
  };
  return node;
}

function clusterUrl(hostPort: string | undefined): string {
  return hostPort === undefined ? '' : `https://${hostPort}`;
}

/**
 * The replication cluster port (the first listener's cluster_address). It refuses everything
 * until this node is an unsealed primary. A port that cannot be bound costs replication only,
 * never the API: the failure is logged and the node runs without it.
 */
async function bindClusterPort(config: ServerConfig, logger: Logger): Promise<ClusterListener | undefined> {
  const address = config.listeners[0]?.clusterAddress;
  if (address === undefined) return undefined;
  try {
    const listener = await ClusterListener.listen(address, logger);
    logger.info('cluster listener started', { address: listener.address });
    return listener;
  } catch (err) {
    logger.error('cannot listen on the cluster address; performance replication is unavailable on this node', { address, error: err as Error });
    return undefined;
  }
}
