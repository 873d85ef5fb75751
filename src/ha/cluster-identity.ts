/**
 * The TLS identity HA nodes use on the cluster port, derived from what they share: storage and
 * the keyring. The first node to become active creates a CA and one server and one client
 * certificate and stores them through the barrier; every node unsealed with the same keys can
 * read them, and nothing else can. So a peer that completes the mutual TLS handshake has proven
 * it holds the unsealed barrier of this cluster: the standby knows it talks to a node of its own
 * cluster, the active node knows the request comes from one.
 *
 * Local storage (under CLUSTER_INFO): an HA cluster's identity must never reach replication
 * secondaries, which are other HA clusters.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ReplicationCa, serverUri, type CertAndKey } from '../replication/ca.js';
import { CLUSTER_INFO } from '../storage/keys.js';

/** Written once by the first active node; read by every node after unseal. Local class. */
export const HA_CLUSTER_TLS = `${CLUSTER_INFO}ha-tls`;

/** Client certificates carry this "secondary id" (the CA module's naming); any unsealed node holds it. */
const PEER_ID = 'ha-peer';

export interface HaTlsMaterial {
  /** Names this HA cluster's CA (the server certificate's SAN URI is built from it). */
  readonly id: string;
  readonly caPem: string;
  readonly server: CertAndKey;
  readonly client: CertAndKey;
}

/** What the identity needs from the barrier. */
export interface HaTlsStore {
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
}

/** The SAN URI an HA node's server certificate carries. */
export function haServerUri(material: HaTlsMaterial): string {
  return serverUri(material.id);
}

export async function readHaTls(store: HaTlsStore): Promise<HaTlsMaterial | undefined> {
  const raw = await store.get(HA_CLUSTER_TLS);
  if (raw === undefined) return undefined;
  const parsed = JSON.parse(raw.toString('utf8')) as Partial<HaTlsMaterial>;
  if (typeof parsed.id !== 'string' || typeof parsed.caPem !== 'string' || parsed.server === undefined || parsed.client === undefined) return undefined;
  return parsed as HaTlsMaterial;
}

/** The active node: the stored identity, created on first use. */
export async function ensureHaTls(store: HaTlsStore, clock: Clock): Promise<HaTlsMaterial> {
  const existing = await readHaTls(store);
  if (existing !== undefined) return existing;
  const id = `ha-${randomUUID()}`;
  const now = clock.now();
  const ca = await ReplicationCa.create(id, now);
  // Peers check the SAN URI, not the address they dialled, so no host names are needed.
  const server = await ca.issueServerCert(now);
  const client = await ca.issueClientCert(now, PEER_ID);
  const material: HaTlsMaterial = {
    id,
    caPem: ca.cert.certPem,
    server: { certPem: server.certPem, keyPem: server.keyPem },
    client: { certPem: client.certPem, keyPem: client.keyPem },
  };
  await store.put(HA_CLUSTER_TLS, Buffer.from(JSON.stringify(material), 'utf8'));
  return material;
}
