/**
 * How an HA node shares the cluster port (one TCP port per node, src/replication/cluster-tls.ts)
 * between its two users:
 *
 * - HA forwarding: connections whose ClientHello names HA_SERVER_NAME go to the forwarding
 *   server (which serves only on the active node).
 * - Replication: anything else. On the active node (or a sealed one) the replication listener
 *   handles it as before. A standby relays the raw bytes to the active node's cluster address:
 *   the TLS session stays end to end between the secondary and the active primary node, and a
 *   secondary whose `primary_cluster_addr` names any node of the primary cluster (or a load
 *   balancer in front of them) keeps streaming from whichever node is active after a failover.
 */
import * as net from 'node:net';
import { HA_SERVER_NAME, peekServerName } from './client-hello.js';
import type { HaForwardServer } from './forward-server.js';
import type { HaView } from './types.js';

/** Relayed connections at once: bounds what a confused peer (or a relay loop) can cost. */
const MAX_RELAYED = 256;

export interface ClusterPortDeps {
  readonly forwardServer: HaForwardServer;
  readonly view: () => HaView;
  readonly sealed: () => boolean;
}

/** "https://host:port" or "host:port" -> { host, port }, or undefined. */
export function clusterHostPort(addr: string): { host: string; port: number } | undefined {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(addr) ? addr : `https://${addr}`);
    const port = url.port === '' ? 443 : Number(url.port);
    if (url.hostname === '' || !Number.isInteger(port) || port <= 0) return undefined;
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

export interface ClusterPortDemux {
  /** The cluster listener's demux hook. */
  take(socket: net.Socket): Promise<boolean>;
  /** End every relayed connection (the listener closes only once they are gone). */
  closeAll(): void;
}

export function clusterPortDemux(deps: ClusterPortDeps): ClusterPortDemux {
  const relays = new Set<net.Socket>();
  const take = async (socket: net.Socket): Promise<boolean> => {
    const name = await peekServerName(socket);
    if (socket.destroyed) return true;
    if (name === HA_SERVER_NAME) {
      deps.forwardServer.take(socket);
      return true;
    }
    if (deps.sealed()) return false;
    const view = deps.view();
    if (view.role === 'active' || view.leader?.isSelf === true) return false;
    const target = view.leader === undefined ? undefined : clusterHostPort(view.leader.clusterAddr);
    if (target === undefined || relays.size >= MAX_RELAYED) {
      // A standby never answers replication itself (its services are not running).
      socket.destroy();
      return true;
    }
    const upstream = net.connect(target.port, target.host);
    relays.add(socket);
    const end = (): void => {
      relays.delete(socket);
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    upstream.on('close', end);
    socket.on('close', end);
    upstream.setNoDelay(true);
    socket.setNoDelay(true);
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.resume();
    return true;
  };
  return {
    take,
    closeAll: () => {
      for (const s of relays) s.destroy();
      relays.clear();
    },
  };
}
