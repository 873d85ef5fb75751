/**
 * Activation and the operator's transitions of performance replication, on top of the
 * ReplicationManager (part 1). The endpoints (src/system/replication-paths.ts) validate input
 * and call this; this checks the cluster's mode, and orders the steps of each transition. The
 * channel itself lives in primary-channel.ts (CA, peers, serving, admission) and
 * secondary-channel.ts (token redemption, adoption, reconnect).
 *
 * Invariants:
 * - Every refusal (wrong mode, bad token, unreachable primary, foreign cluster) happens before the
 *   first change on either side; a secondary is wiped only after the primary has answered
 *   `activate` over the mutually authenticated channel.
 * - Key material is kept through the barrier, local; a secondary's credentials arrive as the
 *   primary's ciphertext and become readable when it is unsealed with the primary's keys.
 * - The cluster port admits a secondary per request: known, not revoked, and presenting the
 *   certificate serial issued last for its id.
 * - Transitions are serialised per node.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError } from '../errors.js';
import type { Core } from '../core/core.js';
import type { BackendRequest } from '../logical/backend.js';
import type { WrapInfo } from '../logical/request.js';
import { renderEnvelope } from '../logical/envelope.js';
import { encodeActivationToken, PAYLOAD_KIND, SECONDARY_TOKEN_PATH, type ActivationPayload } from './activation-token.js';
import { isValidSecondaryId } from './ca.js';
import type { ClusterListener } from './cluster-tls.js';
import type { ReplicationManager } from './manager.js';
import { merkleCheck } from './merkle-check.js';
import type { PathsFilter } from './paths-filter.js';
import { PrimaryChannel } from './primary-channel.js';
import { adoptionOps, channelBoxOp, linkFromStorage, redeem, staleChannelOps, validateClusterAddr, type TokenInput } from './secondary-channel.js';
import type { ActivateResponse } from './transport.js';

export const DEFAULT_TOKEN_TTL = 30 * 60;

/** How long after its last answer a primary counts as still streaming (promote's safety check). */
const PRIMARY_ALIVE_MS = 15_000;

export class ReplicationActivation {
  private apiAddr = '';
  private readonly channel: PrimaryChannel;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly core: Core) {
    this.channel = new PrimaryChannel(core, () => this.isPrimary());
    const m = this.manager;
    m.registerMethod('activate', async () => this.channel.activateAnswer());
    m.setKeyFilter((id) => this.channel.keyFilter(id));
    m.setSecondaryLinkFactory(() => linkFromStorage(core));
  }

  private get manager(): ReplicationManager {
    return this.core.replication;
  }

  /** node.ts: the cluster port and the API address this node advertises. */
  attachNode(opts: { listener?: ClusterListener; apiAddr: string }): void {
    this.apiAddr = opts.apiAddr;
    this.channel.attach(opts.listener);
  }

  /** The address secondaries dial: primary_cluster_addr, else cluster_addr, else the bound cluster port. */
  effectiveClusterAddr(): string {
    const explicit = this.manager.persisted.primaryClusterAddr;
    if (explicit !== '') return explicit;
    if (this.core.clusterAddr !== '') return this.core.clusterAddr;
    const bound = this.channel.address;
    return bound === undefined ? '' : `https://${bound}`;
  }

  private effectiveApiAddr(): string {
    return this.core.apiAddr !== '' ? this.core.apiAddr : this.apiAddr;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private isPrimary(): boolean {
    const s = this.manager.persisted;
    return s.mode === 'primary' && !s.demoted;
  }

  private modeName(): string {
    const s = this.manager.persisted;
    return s.demoted ? `${s.mode}, demoted` : s.mode;
  }

  private mustBePrimary(): void {
    if (!this.isPrimary()) throw new BadRequestError(`this cluster is not a performance primary (mode: ${this.modeName()})`);
  }

  private mustBeSecondary(): void {
    if (this.manager.persisted.mode !== 'secondary') throw new BadRequestError(`this cluster is not a performance secondary (mode: ${this.modeName()})`);
  }

  /** A secondary id this primary knows and has not revoked. */
  private async mustKnow(id: string): Promise<void> {
    if (id === '') throw new BadRequestError('missing "id" value');
    const rec = this.manager.secondary(id);
    if (rec === undefined || rec.status === 'revoked' || !(await this.channel.known(id))) throw new BadRequestError(`no secondary with id "${id}" is known to this primary`);
  }

  // ---- primary -------------------------------------------------------------------------

  enablePrimary(primaryClusterAddr: string): Promise<void> {
    return this.serial(async () => {
      if (this.manager.persisted.mode !== 'disabled') throw new BadRequestError(`cannot enable performance primary: this cluster is already a performance ${this.modeName()}`);
      if (primaryClusterAddr !== '') validateClusterAddr(primaryClusterAddr);
      const clusterId = randomUUID();
      await this.channel.create(clusterId);
      try {
        await this.manager.enablePrimary({ clusterId, primaryClusterAddr });
      } catch (err) {
        await this.channel.clear();
        throw err;
      }
      this.channel.drop();
    });
  }

  /** Mint a secondary's certificate and wrap its activation payload; the wrap info carries the activation token. */
  secondaryToken(req: BackendRequest, id: string, ttl: number): Promise<WrapInfo> {
    return this.serial(async () => {
      this.mustBePrimary();
      if (id === '') throw new BadRequestError('missing "id" value');
      if (!isValidSecondaryId(id)) throw new BadRequestError(`invalid secondary id "${id}": use letters, digits, "-", "_" and "." (at most 128)`);
      if (!Number.isInteger(ttl) || ttl <= 0) throw new BadRequestError('"ttl" must be a positive duration');
      if (this.manager.secondary(id)?.status === 'active') throw new BadRequestError(`a secondary with id "${id}" is already activated; revoke it first`);
      // Registered (with its certificate's serial) before the token exists.
      const minted = await this.channel.mint(id);
      if (minted === undefined) throw new BadRequestError('the replication CA of this primary is missing; disable and enable the primary again');
      await this.manager.addSecondary(id);
      const payload: ActivationPayload = {
        kind: PAYLOAD_KIND,
        cluster_id: minted.clusterId,
        secondary_id: id,
        primary_cluster_addr: this.effectiveClusterAddr(),
        primary_api_addr: this.effectiveApiAddr(),
        ca_cert: minted.caCert,
        client_cert: minted.issued.certPem,
        client_key: minted.issued.keyPem,
        channel_box: minted.channelBox.toString('base64'),
        channel_key: minted.channelKey,
      };
      const info = await this.core.wrapping.wrap({ ttl, creationPath: SECONDARY_TOKEN_PATH, response: JSON.stringify(renderEnvelope(req, { data: { ...payload } })) });
      return { ...info, token: encodeActivationToken(this.effectiveApiAddr(), info.token) };
    });
  }

  revokeSecondary(id: string): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      await this.mustKnow(id);
      await this.manager.revokeSecondary(id);
      await this.channel.forget(id);
      this.core.logger.info('replication: secondary revoked', { secondary_id: id });
    });
  }

  async readFilter(id: string): Promise<PathsFilter | undefined> {
    this.mustBePrimary();
    return this.channel.filter(id);
  }

  writeFilter(id: string, filter: PathsFilter | undefined): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      await this.mustKnow(id);
      await this.channel.setFilter(id, filter);
      // Newly denied data must leave the secondary: its next fetch starts a Merkle diff.
      this.manager.resyncSecondary(id);
    });
  }

  demote(): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      await this.manager.demote();
      this.channel.drop();
    });
  }

  disablePrimary(): Promise<void> {
    return this.serial(async () => {
      this.mustBePrimary();
      await this.manager.disable();
      await this.channel.clear();
    });
  }

  merkleCheck(): Promise<Record<string, unknown>> {
    return merkleCheck(this.manager, this.core.clock.now());
  }

  // ---- secondary -----------------------------------------------------------------------

  /**
   * Redeem an activation token, wipe this cluster's replicated state, adopt the primary's seal
   * and keyring, and follow the primary. The node is sealed afterwards: the primary's unseal
   * keys unseal it, and streaming starts then.
   */
  enableSecondary(input: TokenInput): Promise<void> {
    return this.serial(async () => {
      const s = this.manager.persisted;
      if (s.mode === 'primary' && !s.demoted) throw new BadRequestError('cannot enable performance secondary: this cluster is a performance primary; disable it first');
      if (s.mode === 'secondary') throw new BadRequestError('cannot enable performance secondary: this cluster is already a performance secondary; use update-primary to change its primary');
      const { payload, link } = await redeem(this.core, input);
      let adopted: ActivateResponse;
      try {
        adopted = await link.call('activate', {});
        if (adopted.clusterId !== payload.cluster_id) throw new Error('it belongs to a different replication set than the activation token');
      } catch (err) {
        link.close();
        throw new BadRequestError(`error activating with the primary at ${payload.primary_cluster_addr}: ${(err as Error).message}`);
      }
      // Point of no return: everything was checked against the live primary.
      await this.manager.wipeForSecondary();
      const inner = this.manager.physical.inner;
      await inner.batch([...(await staleChannelOps(inner, true)), ...adoptionOps(adopted, payload)]);
      this.channel.drop();
      // The keys in memory open nothing stored any more; the primary's unseal keys open it all.
      await this.core.sealNode();
      await this.manager.startSecondary(link, { clusterId: payload.cluster_id, secondaryId: payload.secondary_id, primaryApiAddr: payload.primary_api_addr, primaryClusterAddr: payload.primary_cluster_addr });
      this.core.logger.info("replication: enabled as performance secondary; unseal with the primary's keys", { secondary_id: payload.secondary_id, primary: payload.primary_cluster_addr });
    });
  }

  /** Follow another primary of the same replication set, keeping this cluster's data. */
  updatePrimary(input: TokenInput): Promise<void> {
    return this.serial(async () => {
      this.mustBeSecondary();
      // Vault: an empty token keeps the cluster a secondary that follows no one.
      if (input.token.trim() === '') return this.manager.stopSecondary();
      const { payload, link } = await redeem(this.core, input);
      if (payload.cluster_id !== this.manager.clusterId) {
        link.close();
        throw new BadRequestError('the activation token belongs to a different replication set; use performance/secondary/enable (which wipes this cluster) instead');
      }
      const inner = this.manager.physical.inner;
      await inner.batch([...(await staleChannelOps(inner, false)), channelBoxOp(payload)]);
      this.core.barrier.invalidate([payload.channel_key]);
      await this.manager.startSecondary(link, { clusterId: payload.cluster_id, secondaryId: payload.secondary_id, primaryApiAddr: payload.primary_api_addr, primaryClusterAddr: payload.primary_cluster_addr });
    });
  }

  /** Become the primary of the set (a new CA; the other secondaries need new tokens). */
  promote(opts: { primaryClusterAddr: string; force: boolean }): Promise<void> {
    return this.serial(async () => {
      this.mustBeSecondary();
      if (opts.primaryClusterAddr !== '') validateClusterAddr(opts.primaryClusterAddr);
      const client = this.manager.secondaryClient;
      // Two primaries accepting writes for one set must never happen: a primary still answering is not replaced silently.
      if (!opts.force && client !== undefined && client.state === 'stream-wals' && this.core.clock.now() - client.primary.lastHeartbeat < PRIMARY_ALIVE_MS) {
        throw new BadRequestError('the primary is still reachable and streaming to this secondary; demote it first, or promote with force=true');
      }
      await this.manager.promote({ primaryClusterAddr: opts.primaryClusterAddr });
      await this.channel.create(this.manager.clusterId);
      await this.dropChannelCredentials();
      this.channel.drop();
    });
  }

  disableSecondary(): Promise<void> {
    return this.serial(async () => {
      this.mustBeSecondary();
      await this.manager.disable();
      await this.dropChannelCredentials();
    });
  }

  private async dropChannelCredentials(): Promise<void> {
    const inner = this.manager.physical.inner;
    const ops = await staleChannelOps(inner, false);
    if (ops.length > 0) await inner.batch(ops);
    this.core.barrier.invalidate(ops.map((o) => o.key));
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
