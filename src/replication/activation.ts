/**
 * Activation and the operator's transitions of performance replication, on top of the
 * ReplicationManager (part 1): the replication CA and cluster listener of a primary, activation
 * tokens, revocation, paths filters, and on a secondary the redemption of a token, the wipe and
 * adoption of the primary's seal, and the mTLS link. The endpoints (src/system/replication-paths.ts)
 * only validate input and call this.
 *
 * Invariants:
 * - Every refusal (wrong mode, bad token, unreachable primary, foreign cluster) happens before the
 *   first change on either side; the secondary's wipe comes only after the primary has answered
 *   `activate` over the mutually authenticated channel.
 * - Key material (CA key, client keys) is kept through the barrier, local. A secondary's client
 *   credentials arrive as the primary's own barrier ciphertext (the activation payload's
 *   channel box) and are stored as is, so they become readable exactly when the node is
 *   unsealed with the primary's keys.
 * - The cluster port admits a secondary per request: known, not revoked, and presenting the
 *   certificate serial issued last for its id.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError } from '../errors.js';
import type { Core } from '../core/core.js';
import type { BackendRequest } from '../logical/backend.js';
import type { WrapInfo } from '../logical/request.js';
import { renderEnvelope } from '../logical/envelope.js';
import { BARRIER_CANARY, BARRIER_KEYRING, REPLICATION_CA, REPLICATION_CHANNEL_PREFIX, REPLICATION_PEERS_PREFIX, SEAL_CONFIG, SEAL_ROOT_KEY } from '../storage/keys.js';
import type { BatchOp } from '../storage/physical.js';
import { decodeActivationToken, encodeActivationToken, loadApiCa, PAYLOAD_KIND, redeemActivationToken, SECONDARY_TOKEN_PATH, type ActivationPayload } from './activation-token.js';
import { isValidSecondaryId, parseCertificate, ReplicationCa, secondaryUri, type StoredCa } from './ca.js';
import { ClusterClient, type Admission, type ClusterListener, type ClusterServeMaterial } from './cluster-tls.js';
import { scanReplicated } from './key-walk.js';
import type { ReplicationManager } from './manager.js';
import { MerkleTree } from './merkle.js';
import { filterPredicate, type PathsFilter } from './paths-filter.js';
import { RpcError, type ActivateResponse, type PrimaryLink } from './transport.js';

/** What the primary keeps per secondary (through the barrier). */
interface PeerRecord {
  readonly serial: string;
  readonly filter?: PathsFilter;
}

/** A secondary's channel credentials (through the barrier, as the primary encrypted them). */
interface ChannelRecord {
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** What a primary serves with while unsealed: loaded once, dropped at seal or on any transition. */
interface Served {
  readonly stored: StoredCa;
  readonly ca: ReplicationCa;
  readonly material: ClusterServeMaterial;
}

export const DEFAULT_TOKEN_TTL = 30 * 60;

const enc = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

function channelKey(secondaryId: string): string {
  return `${REPLICATION_CHANNEL_PREFIX}${secondaryId}`;
}

/** "https://host:port", "host:port" -> "host:port". */
export function hostPort(addr: string): string {
  const a = addr.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) {
    const u = new URL(a);
    return u.port === '' ? `${u.hostname}:${u.protocol === 'https:' ? 443 : 80}` : `${u.hostname.includes(':') ? `[${u.hostname.replace(/^\[|\]$/g, '')}]` : u.hostname}:${u.port}`;
  }
  return a;
}

export class ReplicationActivation {
  private listener: ClusterListener | undefined;
  private apiAddr = '';
  private served: Served | undefined;
  private loading: Promise<Served | undefined> | undefined;
  private peers = new Map<string, PeerRecord>();
  /** Transitions are serialised: two operators racing enable/disable must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly core: Core) {
    const m = this.manager;
    m.registerMethod('activate', async () => this.activateAnswer());
    m.setKeyFilter((id) => {
      const filter = this.peers.get(id)?.filter;
      return filter === undefined ? undefined : filterPredicate(filter, core.mounts.list(), core.authMounts.list());
    });
    m.setSecondaryLinkFactory(() => this.linkFromStorage());
  }

  private get manager(): ReplicationManager {
    return this.core.replication;
  }

  /** node.ts: the cluster port and the API address this node advertises. */
  attachNode(opts: { listener?: ClusterListener; apiAddr: string }): void {
    this.apiAddr = opts.apiAddr;
    this.listener = opts.listener;
    this.listener?.setProvider(() => this.serveMaterial());
  }

  /** The address secondaries dial: primary_cluster_addr, else cluster_addr, else the bound cluster port. */
  effectiveClusterAddr(): string {
    const explicit = this.manager.persisted.primaryClusterAddr;
    if (explicit !== '') return explicit;
    if (this.core.clusterAddr !== '') return this.core.clusterAddr;
    return this.listener === undefined ? '' : `https://${this.listener.address}`;
  }

  private effectiveApiAddr(): string {
    return this.core.apiAddr !== '' ? this.core.apiAddr : this.apiAddr;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- primary -------------------------------------------------------------------------

  private isPrimary(): boolean {
    const s = this.manager.persisted;
    return s.mode === 'primary' && !s.demoted;
  }

  private mustBePrimary(): void {
    if (!this.isPrimary()) throw new BadRequestError(`this cluster is not a performance primary (mode: ${this.modeName()})`);
  }

  private mustBeSecondary(): void {
    if (this.manager.persisted.mode !== 'secondary') throw new BadRequestError(`this cluster is not a performance secondary (mode: ${this.modeName()})`);
  }

  private modeName(): string {
    const s = this.manager.persisted;
    return s.demoted ? `${s.mode}, demoted` : s.mode;
  }

  enablePrimary(primaryClusterAddr: string): Promise<void> {
    return this.serial(async () => {
      if (this.manager.persisted.mode !== 'disabled') {
        throw new BadRequestError(`cannot enable performance primary: this cluster is already a performance ${this.modeName()}`);
      }
      if (primaryClusterAddr !== '') validateClusterAddr(primaryClusterAddr);
      const clusterId = randomUUID();
      await this.writeCa(clusterId);
      try {
        await this.manager.enablePrimary({ clusterId, primaryClusterAddr });
      } catch (err) {
        await this.clearPrimaryMaterial();
        throw err;
      }
      this.dropServed();
    });
  }

  /** A new CA and listener certificate for `clusterId`; forgets every secondary's channel facts. */
  private async writeCa(clusterId: string): Promise<void> {
    const now = this.core.clock.now();
    const ca = await ReplicationCa.create(clusterId, now);
    const hosts = [this.listener?.address, this.core.clusterAddr === '' ? undefined : this.core.clusterAddr]
      .filter((a): a is string => a !== undefined && a !== '')
      .map((a) => hostPort(a).replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));
    const server = await ca.issueServerCert(now, hosts);
    const stored: StoredCa = { clusterId, ca: ca.cert, server };
    await this.clearPrimaryMaterial();
    await this.core.barrier.put(REPLICATION_CA, enc(stored));
  }

  private async clearPrimaryMaterial(): Promise<void> {
    await this.core.barrier.delete(REPLICATION_CA);
    for (const name of await this.core.barrier.list(REPLICATION_PEERS_PREFIX)) await this.core.barrier.delete(REPLICATION_PEERS_PREFIX + name);
    this.peers.clear();
    this.dropServed();
  }

  /** Mint a secondary's certificate and wrap its activation payload; returns the wrap info to answer with. */
  secondaryToken(req: BackendRequest, id: string, ttl: number): Promise<WrapInfo> {
    return this.serial(async () => {
      this.mustBePrimary();
      if (id === '') throw new BadRequestError('missing "id" value');
      if (!isValidSecondaryId(id)) throw new BadRequestError(`invalid secondary id "${id}": use letters, digits, "-", "_" and "." (at most 128)`);
      if (!Number.isInteger(ttl) || ttl <= 0) throw new BadRequestError('"ttl" must be a positive duration');
      const existing = this.manager.secondary(id);
      if (existing?.status === 'active') throw new BadRequestError(`a secondary with id "${id}" is already activated; revoke it first`);
      const served = await this.loadServed();
      if (served === undefined) throw new BadRequestError('the replication CA of this primary is missing; disable and enable the primary again');
      const issued = await served.ca.issueClientCert(this.core.clock.now(), id);
      const channel: ChannelRecord = { caCert: served.stored.ca.certPem, clientCert: issued.certPem, clientKey: issued.keyPem };
      const channelBox = await this.encryptForSecondary(channelKey(id), enc(channel));
      const payload: ActivationPayload = {
        kind: PAYLOAD_KIND,
        cluster_id: served.stored.clusterId,
        secondary_id: id,
        primary_cluster_addr: this.effectiveClusterAddr(),
        primary_api_addr: this.effectiveApiAddr(),
        ca_cert: served.stored.ca.certPem,
        client_cert: issued.certPem,
        client_key: issued.keyPem,
        channel_box: channelBox.toString('base64'),
        channel_key: channelKey(id),
      };
      // Registered before the token exists: a token is never valid for an unknown id.
      const previous = this.peers.get(id)?.filter;
      await this.putPeer(id, previous === undefined ? { serial: issued.serial } : { serial: issued.serial, filter: previous });
      await this.manager.addSecondary(id);
      const info = await this.core.wrapping.wrap({ ttl, creationPath: SECONDARY_TOKEN_PATH, response: JSON.stringify(renderEnvelope(req, { data: { ...payload } })) });
      this.listener?.dropSecondary(id);
      return { ...info, token: encodeActivationToken(this.effectiveApiAddr(), info.token) };
    });
  }

  /**
   * The barrier ciphertext of `plain` at `key`: written and read back below the barrier, then
   * deleted (the key is local, so nothing of it reaches the WAL).
   */
  private async encryptForSecondary(key: string, plain: Buffer): Promise<Buffer> {
    await this.core.barrier.put(key, plain);
    try {
      const raw = await this.manager.physical.inner.get(key);
      if (raw === undefined) throw new Error('channel box vanished');
      return raw;
    } finally {
      await this.core.barrier.delete(key);
    }
  }

  revokeSecondary(id: string): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      if (id === '') throw new BadRequestError('missing "id" value');
      const rec = this.manager.secondary(id);
      if (rec === undefined || rec.status === 'revoked') throw new BadRequestError(`no secondary with id "${id}" is known to this primary`);
      await this.loadServed();
      await this.manager.revokeSecondary(id);
      this.peers.delete(id);
      await this.core.barrier.delete(REPLICATION_PEERS_PREFIX + id);
      this.listener?.dropSecondary(id);
      this.core.logger.info('replication: secondary revoked', { secondary_id: id });
    });
  }

  async readFilter(id: string): Promise<PathsFilter | undefined> {
    this.mustBePrimary();
    await this.loadServed();
    return this.peers.get(id)?.filter;
  }

  writeFilter(id: string, filter: PathsFilter | undefined): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      await this.loadServed();
      const peer = this.peers.get(id);
      const rec = this.manager.secondary(id);
      if (peer === undefined || rec === undefined || rec.status === 'revoked') throw new BadRequestError(`no secondary with id "${id}" is known to this primary`);
      const { filter: _old, ...rest } = peer;
      await this.putPeer(id, filter === undefined ? rest : { ...rest, filter });
      // Newly denied data must leave the secondary: its next fetch starts a Merkle diff. Ending its
      // session cuts short the long poll in flight, so that next fetch comes now.
      this.manager.resyncSecondary(id);
      this.listener?.dropSecondary(id);
    });
  }

  demote(): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      await this.manager.demote();
      this.dropServed();
    });
  }

  disablePrimary(): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      await this.manager.disable();
      await this.clearPrimaryMaterial();
    });
  }

  private async putPeer(id: string, rec: PeerRecord): Promise<void> {
    await this.core.barrier.put(REPLICATION_PEERS_PREFIX + id, enc(rec));
    this.peers.set(id, rec);
  }

  /** What a newly activated secondary adopts (the `activate` RPC): the stored seal, as bytes. */
  private async activateAnswer(): Promise<ActivateResponse> {
    if (!this.isPrimary()) throw new RpcError('forbidden', 'this cluster is not a performance primary');
    const inner = this.manager.physical.inner;
    const [sealConfig, rootKey, keyring, canary] = await Promise.all([inner.get(SEAL_CONFIG), inner.get(SEAL_ROOT_KEY), inner.get(BARRIER_KEYRING), inner.get(BARRIER_CANARY)]);
    if (sealConfig === undefined || rootKey === undefined || keyring === undefined || canary === undefined) throw new RpcError('unavailable', 'the primary is not initialized');
    return {
      sealConfig: sealConfig.toString('utf8'),
      sealRootKey: rootKey.toString('base64'),
      keyring: keyring.toString('base64'),
      canary: canary.toString('base64'),
      clusterId: this.manager.clusterId,
    };
  }

  // ---- the cluster port ----------------------------------------------------------------

  private dropServed(): void {
    this.served = undefined;
    this.loading = undefined;
    this.listener?.refresh();
  }

  /** The listener's provider: serve only as an unsealed, non-demoted primary. */
  private async serveMaterial(): Promise<ClusterServeMaterial | undefined> {
    if (this.core.sealed || !this.isPrimary()) {
      this.served = undefined;
      return undefined;
    }
    return (await this.loadServed())?.material;
  }

  private loadServed(): Promise<Served | undefined> {
    if (this.served !== undefined && !this.core.sealed) return Promise.resolve(this.served);
    this.loading ??= this.readServed().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async readServed(): Promise<Served | undefined> {
    if (this.core.sealed) return undefined;
    const raw = await this.core.barrier.get(REPLICATION_CA);
    if (raw === undefined) return undefined;
    const stored = JSON.parse(raw.toString('utf8')) as StoredCa;
    const ca = await ReplicationCa.load(stored.clusterId, stored.ca);
    const peers = new Map<string, PeerRecord>();
    for (const name of await this.core.barrier.list(REPLICATION_PEERS_PREFIX)) {
      const rec = await this.core.barrier.get(REPLICATION_PEERS_PREFIX + name);
      if (rec !== undefined) peers.set(name, JSON.parse(rec.toString('utf8')) as PeerRecord);
    }
    this.peers = peers;
    const material: ClusterServeMaterial = {
      clusterId: stored.clusterId,
      caPem: stored.ca.certPem,
      server: stored.server,
      handler: this.manager.rpcHandler(),
      admit: (id, serial) => this.admit(id, serial),
    };
    this.served = { stored, ca, material };
    return this.served;
  }

  private admit(id: string, serial: string): Admission {
    if (this.core.sealed) return { ok: false, reason: 'the primary is sealed' };
    if (!this.isPrimary()) return { ok: false, reason: 'this cluster is no longer a performance primary' };
    if (!this.manager.isSecondaryAllowed(id)) return { ok: false, reason: `secondary "${id}" is not known or has been revoked` };
    const peer = this.peers.get(id);
    if (peer === undefined || peer.serial !== serial) return { ok: false, reason: `the certificate of secondary "${id}" has been superseded` };
    return { ok: true, peer: { secondaryId: id } };
  }

  /**
   * sys/replication/merkle-check: rebuild the tree from storage and compare it with the live one,
   * page by page and subpage by subpage (Vault's report shape, one replicated tree).
   */
  async merkleCheck(): Promise<Record<string, unknown>> {
    const m = this.manager;
    if (m.persisted.mode === 'disabled') throw new BadRequestError('replication is not enabled');
    const live = m.physical.merkle;
    const fresh = new MerkleTree();
    await scanReplicated(m.physical.inner, (k) => m.physical.isReplicated(k), (k, v) => fresh.set(k, v));
    const corruptedTreeMap: Record<string, unknown> = {};
    const tuples: Record<string, unknown> = {};
    const livePages = live?.pageHashes() ?? [];
    const freshPages = fresh.pageHashes();
    freshPages.forEach((hash, page) => {
      if (livePages[page] === hash) return;
      const liveSubs = live?.subpageHashes(page) ?? [];
      const subpages = fresh.subpageHashes(page).flatMap((h, i) => (liveSubs[i] === h ? [] : [i]));
      tuples[String(page)] = { corrupted: true, subpages };
    });
    const corruptedRoot = live === undefined || live.root() !== fresh.root();
    corruptedTreeMap['1'] = {
      corrupted_index_tuples_map: Object.keys(tuples).length === 0 ? null : tuples,
      corrupted_subtree_root: corruptedRoot,
      root_hash: fresh.root(),
      tree_type: 'replicated',
    };
    return { corrupted_root: corruptedRoot, corrupted_tree_map: corruptedTreeMap, last_corruption_check_epoch: new Date(this.core.clock.now()).toISOString() };
  }

  // ---- secondary -----------------------------------------------------------------------

  /**
   * Redeem an activation token, wipe this cluster's replicated state, adopt the primary's seal
   * and keyring, and follow the primary. The node is sealed afterwards: the primary's unseal
   * keys unseal it, and streaming starts then.
   */
  enableSecondary(opts: { token: string; primaryApiAddr: string; caFile: string; caPath: string }): Promise<void> {
    return this.serial(async () => {
      const s = this.manager.persisted;
      if (s.mode === 'primary' && !s.demoted) throw new BadRequestError('cannot enable performance secondary: this cluster is a performance primary; disable it first');
      if (s.mode === 'secondary') throw new BadRequestError('cannot enable performance secondary: this cluster is already a performance secondary; use update-primary to change its primary');
      const { payload, link } = await this.redeem(opts);
      let adopted: ActivateResponse;
      try {
        adopted = await link.call('activate', {});
      } catch (err) {
        link.close();
        throw new BadRequestError(`error activating with the primary at ${payload.primary_cluster_addr}: ${(err as Error).message}`);
      }
      if (adopted.clusterId !== payload.cluster_id) {
        link.close();
        throw new BadRequestError('the primary answering on the cluster port belongs to a different replication set than the activation token');
      }
      // Point of no return: everything was checked against the live primary.
      await this.manager.wipeForSecondary();
      const inner = this.manager.physical.inner;
      const stale = [...(await inner.list(REPLICATION_CHANNEL_PREFIX)).map((n) => REPLICATION_CHANNEL_PREFIX + n), ...(await inner.list(REPLICATION_PEERS_PREFIX)).map((n) => REPLICATION_PEERS_PREFIX + n), REPLICATION_CA];
      const ops: BatchOp[] = [
        ...stale.map((key) => ({ type: 'delete' as const, key })),
        { type: 'put', key: SEAL_CONFIG, value: Buffer.from(adopted.sealConfig, 'utf8') },
        { type: 'put', key: SEAL_ROOT_KEY, value: Buffer.from(adopted.sealRootKey, 'base64') },
        { type: 'put', key: BARRIER_KEYRING, value: Buffer.from(adopted.keyring, 'base64') },
        { type: 'put', key: BARRIER_CANARY, value: Buffer.from(adopted.canary, 'base64') },
        { type: 'put', key: payload.channel_key, value: Buffer.from(payload.channel_box, 'base64') },
      ];
      await inner.batch(ops);
      this.peers.clear();
      this.dropServed();
      // The keys in memory open nothing stored any more; the primary's unseal keys open it all.
      await this.core.sealNode();
      await this.manager.startSecondary(link, {
        clusterId: payload.cluster_id,
        secondaryId: payload.secondary_id,
        primaryApiAddr: payload.primary_api_addr,
        primaryClusterAddr: payload.primary_cluster_addr,
      });
      this.core.logger.info('replication: enabled as performance secondary; unseal with the primary\'s keys', { secondary_id: payload.secondary_id, primary: payload.primary_cluster_addr });
    });
  }

  /** Follow another primary of the same replication set, keeping this cluster's data. */
  updatePrimary(opts: { token: string; primaryApiAddr: string; caFile: string; caPath: string }): Promise<void> {
    return this.serial(async () => {
      this.mustBeSecondary();
      if (opts.token.trim() === '') {
        // Vault: an empty token keeps the cluster a secondary but stops it following anyone.
        await this.manager.stopSecondary();
        return;
      }
      const { payload, link } = await this.redeem(opts);
      if (payload.cluster_id !== this.manager.clusterId) {
        link.close();
        throw new BadRequestError('the activation token belongs to a different replication set; use performance/secondary/enable (which wipes this cluster) instead');
      }
      const inner = this.manager.physical.inner;
      await inner.batch([
        ...(await inner.list(REPLICATION_CHANNEL_PREFIX)).map((n) => ({ type: 'delete' as const, key: REPLICATION_CHANNEL_PREFIX + n })),
        { type: 'put', key: payload.channel_key, value: Buffer.from(payload.channel_box, 'base64') },
      ]);
      this.core.barrier.invalidate([payload.channel_key]);
      await this.manager.startSecondary(link, {
        clusterId: payload.cluster_id,
        secondaryId: payload.secondary_id,
        primaryApiAddr: payload.primary_api_addr,
        primaryClusterAddr: payload.primary_cluster_addr,
      });
    });
  }

  /** Become the primary of the set (new CA; other secondaries need new tokens). */
  promote(opts: { primaryClusterAddr: string; force: boolean }): Promise<void> {
    return this.serial(async () => {
      this.mustBeSecondary();
      if (opts.primaryClusterAddr !== '') validateClusterAddr(opts.primaryClusterAddr);
      const client = this.manager.secondaryClient;
      const heard = client?.primary.lastHeartbeat ?? 0;
      // Two primaries accepting writes for one set must never happen: a primary still answering is not replaced silently.
      if (!opts.force && client !== undefined && client.state === 'stream-wals' && this.core.clock.now() - heard < 15_000) {
        throw new BadRequestError('the primary is still reachable and streaming to this secondary; demote it first, or promote with force=true');
      }
      await this.manager.promote({ primaryClusterAddr: opts.primaryClusterAddr });
      await this.writeCa(this.manager.clusterId);
      await this.deleteChannels();
      this.dropServed();
    });
  }

  disableSecondary(): Promise<void> {
    return this.serial(async () => {
      this.mustBeSecondary();
      await this.manager.disable();
      await this.deleteChannels();
      if (!this.core.sealed) await this.clearPrimaryMaterial();
    });
  }

  private async deleteChannels(): Promise<void> {
    const inner = this.manager.physical.inner;
    const keys = (await inner.list(REPLICATION_CHANNEL_PREFIX)).map((n) => REPLICATION_CHANNEL_PREFIX + n);
    if (keys.length > 0) await inner.batch(keys.map((key) => ({ type: 'delete' as const, key })));
    this.core.barrier.invalidate(keys);
  }

  /** Token -> payload (checked at the primary's API) -> a link to its cluster port. Changes nothing. */
  private async redeem(opts: { token: string; primaryApiAddr: string; caFile: string; caPath: string }): Promise<{ payload: ActivationPayload; link: ClusterClient }> {
    const decoded = decodeActivationToken(opts.token);
    const apiAddr = opts.primaryApiAddr !== '' ? opts.primaryApiAddr : decoded.addr;
    if (apiAddr === '') throw new BadRequestError('the activation token names no primary API address; set primary_api_addr');
    const ca = await loadApiCa(opts.caFile, opts.caPath);
    const payload = await redeemActivationToken(apiAddr, decoded.token, ca);
    const caCert = parseCertificate(payload.ca_cert);
    const clientCert = parseCertificate(payload.client_cert);
    if (caCert === undefined || clientCert === undefined || !clientCert.checkIssued(caCert) || !(clientCert.subjectAltName ?? '').includes(secondaryUri(payload.cluster_id, payload.secondary_id))) {
      throw new BadRequestError('invalid secondary activation token: its certificates do not match');
    }
    if (!payload.channel_key.startsWith(REPLICATION_CHANNEL_PREFIX) || payload.channel_key !== channelKey(payload.secondary_id)) {
      throw new BadRequestError('invalid secondary activation token: malformed channel credentials');
    }
    const link = new ClusterClient({
      address: hostPort(payload.primary_cluster_addr),
      caPem: payload.ca_cert,
      client: { certPem: payload.client_cert, keyPem: payload.client_key },
      clusterId: payload.cluster_id,
      clock: this.core.clock,
    });
    return { payload, link };
  }

  /** After unseal on a secondary: the link from the stored channel credentials. */
  private async linkFromStorage(): Promise<PrimaryLink> {
    const s = this.manager.persisted;
    const raw = s.secondaryId === '' ? undefined : await this.core.barrier.get(channelKey(s.secondaryId));
    if (raw === undefined || s.primaryClusterAddr === '') return deadLink('this secondary has no channel credentials; run update-primary with a new activation token');
    const rec = JSON.parse(raw.toString('utf8')) as ChannelRecord;
    return new ClusterClient({
      address: hostPort(s.primaryClusterAddr),
      caPem: rec.caCert,
      client: { certPem: rec.clientCert, keyPem: rec.clientKey },
      clusterId: s.clusterId,
      clock: this.core.clock,
    });
  }
}

/** A link that refuses every call (the client keeps retrying with backoff, and status shows it). */
function deadLink(reason: string): PrimaryLink {
  return {
    call: () => Promise.reject(new RpcError('unavailable', reason)),
    close: () => undefined,
  };
}

function validateClusterAddr(addr: string): void {
  try {
    const hp = hostPort(addr);
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}$/.test(hp)) throw new Error('shape');
  } catch {
    throw new BadRequestError(`invalid primary_cluster_addr "${addr}": expected an address such as "https://10.0.0.1:8201"`);
  }
}

const registry = new WeakMap<Core, ReplicationActivation>();

/** The one activation service of a core (the sys/ endpoints and node.ts share it). */
export function activationFor(core: Core): ReplicationActivation {
  let a = registry.get(core);
  if (a === undefined) {
    a = new ReplicationActivation(core);
    registry.set(core, a);
  }
  return a;
}
