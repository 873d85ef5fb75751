/**
 * A primary's side of the cluster channel: its replication CA and listener certificate, what it
 * knows per secondary (the serial of the certificate issued last, the paths filter), the material
 * the cluster listener serves with, and the per-request admission check.
 *
 * Everything is kept through the barrier (local keys under REPLICATION_PREFIX) and cached in
 * memory while unsealed. The CA signing key is read only to mint a certificate, never cached.
 */
import type { Core } from '../core/core.js';
import { BARRIER_CANARY, BARRIER_KEYRING, REPLICATION_CA, REPLICATION_PEERS_PREFIX, SEAL_CONFIG, SEAL_ROOT_KEY } from '../storage/keys.js';
import { ReplicationCa, type IssuedCert, type StoredCa } from './ca.js';
import type { Admission, ClusterListener, ClusterServeMaterial } from './cluster-tls.js';
import { peerKeyFilter, type PathsFilter } from './paths-filter.js';
import { channelKey, hostOnly, type ChannelRecord } from './secondary-channel.js';
import { RpcError, type ActivateResponse } from './transport.js';
import type { KeyFilter } from './wal-server.js';

/** What the primary keeps per secondary. */
interface PeerRecord {
  readonly serial: string;
  readonly filter?: PathsFilter;
}

/** A freshly minted secondary credential, and the same as the primary's barrier ciphertext. */
export interface MintedSecondary {
  readonly clusterId: string;
  readonly caCert: string;
  readonly issued: IssuedCert;
  readonly channelBox: Buffer;
  readonly channelKey: string;
}

const enc = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

export class PrimaryChannel {
  private listener: ClusterListener | undefined;
  private served: ClusterServeMaterial | undefined;
  private loading: Promise<ClusterServeMaterial | undefined> | undefined;
  private peers = new Map<string, PeerRecord>();

  constructor(
    private readonly core: Core,
    /** An unsealed-or-not, non-demoted primary: the only state in which the port serves. */
    private readonly isPrimary: () => boolean,
  ) {}

  attach(listener: ClusterListener | undefined): void {
    this.listener = listener;
    listener?.setProvider(() => this.material());
  }

  get address(): string | undefined {
    return this.listener?.address;
  }

  /** A new CA and listener certificate for `clusterId`; forgets every secondary's channel facts. */
  async create(clusterId: string): Promise<void> {
    const now = this.core.clock.now();
    const ca = await ReplicationCa.create(clusterId, now);
    const hosts = [this.listener?.address, this.core.clusterAddr].filter((a): a is string => a !== undefined && a !== '').map(hostOnly);
    const stored: StoredCa = { clusterId, ca: ca.cert, server: await ca.issueServerCert(now, hosts) };
    await this.clear();
    await this.core.barrier.put(REPLICATION_CA, enc(stored));
  }

  /** Delete the CA and every peer record (disable, or before a new CA). */
  async clear(): Promise<void> {
    await this.core.barrier.delete(REPLICATION_CA);
    for (const name of await this.core.barrier.list(REPLICATION_PEERS_PREFIX)) await this.core.barrier.delete(REPLICATION_PEERS_PREFIX + name);
    this.peers.clear();
    this.drop();
  }

  /** Issue a client certificate for `id` (superseding any earlier one) and seal it for the secondary. */
  async mint(id: string): Promise<MintedSecondary | undefined> {
    const stored = await this.readCa();
    if (stored === undefined) return undefined;
    await this.load();
    const ca = await ReplicationCa.load(stored.clusterId, stored.ca);
    const issued = await ca.issueClientCert(this.core.clock.now(), id);
    const channel: ChannelRecord = { caCert: stored.ca.certPem, clientCert: issued.certPem, clientKey: issued.keyPem };
    const key = channelKey(id);
    const channelBox = await this.ciphertextOf(key, enc(channel));
    const filter = this.peers.get(id)?.filter;
    await this.putPeer(id, filter === undefined ? { serial: issued.serial } : { serial: issued.serial, filter });
    this.listener?.dropSecondary(id);
    return { clusterId: stored.clusterId, caCert: stored.ca.certPem, issued, channelBox, channelKey: key };
  }

  /**
   * The barrier ciphertext of `plain` at `key`: written and read back below the barrier, then
   * deleted (the key is local, so nothing of it reaches the WAL).
   */
  private async ciphertextOf(key: string, plain: Buffer): Promise<Buffer> {
    await this.core.barrier.put(key, plain);
    try {
      const raw = await this.core.replication.physical.inner.get(key);
      if (raw === undefined) throw new Error('channel box vanished');
      return raw;
    } finally {
      await this.core.barrier.delete(key);
    }
  }

  /** Revocation: the peer record goes and its sessions end now. */
  async forget(id: string): Promise<void> {
    await this.load();
    this.peers.delete(id);
    await this.core.barrier.delete(REPLICATION_PEERS_PREFIX + id);
    this.listener?.dropSecondary(id);
  }

  async known(id: string): Promise<boolean> {
    await this.load();
    return this.peers.has(id);
  }

  async filter(id: string): Promise<PathsFilter | undefined> {
    await this.load();
    return this.peers.get(id)?.filter;
  }

  async setFilter(id: string, filter: PathsFilter | undefined): Promise<void> {
    await this.load();
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    await this.putPeer(id, filter === undefined ? { serial: peer.serial } : { serial: peer.serial, filter });
    // Ending its sessions cuts short the long poll in flight, so its next fetch (a resync) comes now.
    this.listener?.dropSecondary(id);
  }

  /** The WAL server's key predicate for a secondary (undefined: no filter). */
  keyFilter(id: string): KeyFilter | undefined {
    const filter = this.peers.get(id)?.filter;
    return filter === undefined ? undefined : peerKeyFilter(this.core, filter);
  }

  private async putPeer(id: string, rec: PeerRecord): Promise<void> {
    await this.core.barrier.put(REPLICATION_PEERS_PREFIX + id, enc(rec));
    this.peers.set(id, rec);
  }

  /** The `activate` RPC: the primary's stored seal and keyring boxes, as bytes. */
  async activateAnswer(): Promise<ActivateResponse> {
    if (!this.isPrimary()) throw new RpcError('forbidden', 'this cluster is not a performance primary');
    const inner = this.core.replication.physical.inner;
    const [sealConfig, rootKey, keyring, canary] = await Promise.all([inner.get(SEAL_CONFIG), inner.get(SEAL_ROOT_KEY), inner.get(BARRIER_KEYRING), inner.get(BARRIER_CANARY)]);
    if (sealConfig === undefined || rootKey === undefined || keyring === undefined || canary === undefined) throw new RpcError('unavailable', 'the primary is not initialized');
    return {
      sealConfig: sealConfig.toString('utf8'),
      sealRootKey: rootKey.toString('base64'),
      keyring: keyring.toString('base64'),
      canary: canary.toString('base64'),
      clusterId: this.core.replication.clusterId,
    };
  }

  /** Stop serving what is cached (a transition, or seal); the next connection loads afresh. */
  drop(): void {
    this.served = undefined;
    this.loading = undefined;
    this.listener?.refresh();
  }

  /** The listener's provider: serve only as an unsealed, non-demoted primary. */
  private async material(): Promise<ClusterServeMaterial | undefined> {
    if (this.core.sealed || !this.isPrimary()) {
      this.served = undefined;
      return undefined;
    }
    return this.load();
  }

  private load(): Promise<ClusterServeMaterial | undefined> {
    if (this.served !== undefined && !this.core.sealed) return Promise.resolve(this.served);
    this.loading ??= this.read().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async readCa(): Promise<StoredCa | undefined> {
    const raw = await this.core.barrier.get(REPLICATION_CA);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as StoredCa);
  }

  private async read(): Promise<ClusterServeMaterial | undefined> {
    if (this.core.sealed) return undefined;
    const stored = await this.readCa();
    if (stored === undefined) return undefined;
    const peers = new Map<string, PeerRecord>();
    for (const name of await this.core.barrier.list(REPLICATION_PEERS_PREFIX)) {
      const rec = await this.core.barrier.get(REPLICATION_PEERS_PREFIX + name);
      if (rec !== undefined) peers.set(name, JSON.parse(rec.toString('utf8')) as PeerRecord);
    }
    this.peers = peers;
    this.served = {
      clusterId: stored.clusterId,
      caPem: stored.ca.certPem,
      server: stored.server,
      handler: this.core.replication.rpcHandler(),
      admit: (id, serial) => this.admit(id, serial),
    };
    return this.served;
  }

  private admit(id: string, serial: string): Admission {
    if (this.core.sealed) {
      // Sealed: stop serving (and let go of the listener key) once this refusal is answered.
      setImmediate(() => this.drop());
      return { ok: false, reason: 'the primary is sealed' };
    }
    if (!this.isPrimary()) return { ok: false, reason: 'this cluster is no longer a performance primary' };
    if (!this.core.replication.isSecondaryAllowed(id)) return { ok: false, reason: `secondary "${id}" is not known or has been revoked` };
    const peer = this.peers.get(id);
    if (peer === undefined || peer.serial !== serial) return { ok: false, reason: `the certificate of secondary "${id}" has been superseded` };
    return { ok: true, peer: { secondaryId: id } };
  }
}
