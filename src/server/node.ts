/**
 * Assembles one running node from a ServerConfig: storage, core, pipeline, listeners.
 * Used by `arca server` and by tests that want a real server in-process.
 */
import type { ListenerConfig, ServerConfig } from '../config/server-config-types.js';
import { Core } from '../core/core.js';
import { Pipeline } from '../core/pipeline.js';
import { startListener } from '../http/listener.js';
import { openPhysical } from '../storage/open.js';
import type { Physical } from '../storage/physical.js';
import { createSysBackend } from '../system/sys-backend.js';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../clock.js';

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
  opts: { logger: Logger; clock?: Clock; physical?: Physical; dev?: DevOptions },
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
  });
  const sys = createSysBackend(core);
  core.registerBuiltin('system', () => sys);
  const pipeline = new Pipeline(core, sys);

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
        },
        pipeline,
        httpLog,
      );
      const address = started.address.includes(':') ? `[${started.address}]:${started.port}` : `${started.address}:${started.port}`;
      listeners.push({ config: l, url: started.url, address, close: () => started.close(), reloadTls: () => started.reloadTls() });
    }
  } catch (err) {
    for (const l of listeners) await l.close();
    await core.shutdown();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const node: RunningNode & { dev?: DevResult } = {
    core,
    pipeline,
    listeners,
    apiAddr: config.apiAddr ?? listeners[0]?.url ?? '',
    close() {
      closing ??= (async () => {
        await Promise.all(listeners.map((l) => l.close()));
        await core.shutdown();
      })();
      return closing;
    },
    ...(dev ? { dev } : {}),
  };
  return node;
}
