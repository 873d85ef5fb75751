/**
 * Wiring and lifecycle of one Arca node: builds the services over a physical store, runs the
 * post-unseal setup and the pre-seal teardown. Request handling lives in pipeline.ts and the
 * sys/ endpoints in src/system/; this file only connects them.
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { AesGcmBarrier } from '../barrier/aes-gcm-barrier.js';
import { readCacheLimits } from '../barrier/read-cache.js';
import { ShamirSeal } from '../barrier/seal.js';
import { GenerateRoot } from '../barrier/generate-root.js';
import { Rekey } from '../barrier/rekey.js';
import type { Physical } from '../storage/physical.js';
import { AUDIT_TABLE, AUTH_TABLE, KeyClassifier, LOCAL_AUTH_TABLE, LOCAL_MOUNT_TABLE, MOUNT_TABLE } from '../storage/keys.js';
import { createTokenBackend } from '../token/token-backend.js';
import { loginRenewalOf } from '../token/token-deps.js';
import { Router } from '../router/router.js';
import { MountTable, type SystemTTLs } from '../router/mount-table.js';
import { defaultMountConfig } from '../router/mount-entry.js';
import { TokenStore } from '../token/token-store.js';
import { PolicyStore } from '../policy/policy-store.js';
import type { Logger } from '../util/logger.js';
import { builtinFactory } from '../engines/index.js';
import type { BackendFactory } from '../logical/backend.js';
import { randomBase62, uuid } from '../util/random.js';
import { CLUSTER_INFO, LEASE_PREFIX } from '../storage/keys.js';
import { ExpirationManager } from '../expiration/expiration-manager.js';
import { StorageView } from '../logical/storage.js';
import { CUBBYHOLE_DESCRIPTION, CUBBYHOLE_MOUNT_PATH, CUBBYHOLE_TYPE, destroyCubbyhole, mountedCubbyholeStorage } from '../engines/cubbyhole/backend.js';
import { ResponseWrapping } from '../wrapping/response-wrapping.js';
import { IdentityStore } from '../identity/identity-store.js';
import { createIdentityBackend, IDENTITY_DESCRIPTION, IDENTITY_MOUNT_PATH, IDENTITY_TYPE } from '../identity/backend.js';
import type { MountInfo } from '../identity/types.js';
import { AuditBroker } from '../audit/broker.js';
import { DEFAULT_TELEMETRY, type TelemetryConfig } from '../config/server-config-types.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { MeteredPhysical, meterBarrier } from '../telemetry/metered-storage.js';
import type { HaControl, HaHost } from '../ha/types.js';
import { entityForLogin } from '../identity/alias-ops.js';
import { DEFAULT_REPLICATION, type ReplicationConfig } from '../config/server-config-types.js';
import { ReadOnlyError } from '../errors.js';
import { ReplicatedPhysical } from '../replication/wal-physical.js';
import { ReplicationManager } from '../replication/manager.js';
import type { InvalidationHooks } from '../replication/applier.js';
import { PasswordPolicyStore } from '../passwords/store.js';
import { QuotaStore } from '../quotas/store.js';
import { VERSION } from '../version.js';
import { CorsConfig } from './cors-config.js';
import { BarrierRotation } from './barrier-rotation.js';
import { LoginLockout } from './login-lockout.js';

export interface CoreOptions {
  readonly physical: Physical;
  /** Storage type name for status output ("inmem", "sqlite", ...). */
  readonly storageType: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly ttls: SystemTTLs;
  readonly clusterName?: string;
  readonly apiAddr?: string;
  readonly clusterAddr?: string;
  /** The `telemetry` stanza; defaults when absent (tests). */
  readonly telemetry?: TelemetryConfig;
  /** The `replication` stanza (WAL retention); defaults when absent (tests). */
  readonly replication?: ReplicationConfig;
  /** The configuration as sys/config/state/sanitized shows it (src/config/sanitized.ts); absent in tests. */
  readonly sanitizedConfig?: Readonly<Record<string, unknown>>;
  /** Vault's `cache_size`: entries in the barrier's read cache (0 or absent: 65,536). */
  readonly cacheSize?: number;
  /** Vault's `disable_cache`: no read cache. */
  readonly disableCache?: boolean;
  /** Vault's `raw_storage_endpoint`: serve sys/raw. */
  readonly rawStorageEndpoint?: boolean;
}

export interface ClusterInfo {
  readonly name: string;
  readonly id: string;
}

/** Where the versions this cluster ran are recorded (local: below the cluster identity). */
const VERSION_HISTORY_PREFIX = `${CLUSTER_INFO}versions/`;

/** One entry of sys/version-history. */
export interface VersionRecord {
  readonly version: string;
  /** RFC 3339, the first unseal by this version. */
  readonly timestamp_installed: string;
  readonly build_date: string;
  readonly previous_version: string | null;
}

export class Core implements Omit<HaHost, 'enterStandby'> {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly physical: Physical;
  /** sys/config/state/sanitized; {} when the core was built without a configuration (tests). */
  readonly sanitizedConfig: Readonly<Record<string, unknown>>;
  /** sys/raw is served (`raw_storage_endpoint`). */
  readonly rawStorageEndpoint: boolean;
  readonly barrier: AesGcmBarrier;
  readonly seal: ShamirSeal;
  readonly generateRoot: GenerateRoot;
  /** sys/rekey: new unseal key shares from a quorum of today's. */
  readonly rekey: Rekey;
  /** Failed-login counting and user lockout for userpass and approle. */
  readonly lockout: LoginLockout;
  /** Rate limit quotas: the rules (stored, replicated) and this node's enforcement. */
  readonly quotas: QuotaStore;
  /** sys/config/cors: the browser origins the HTTP shell admits. */
  readonly cors: CorsConfig;
  /** sys/rotate/config: automatic barrier key rotation, and the encryption count it goes by. */
  readonly barrierRotation: BarrierRotation;
  readonly tokens: TokenStore;
  readonly policies: PolicyStore;
  /** sys/policies/password: named rules for generated passwords (the database engine uses them). */
  readonly passwordPolicies: PasswordPolicyStore;
  /** Leases and token expiries. */
  readonly expiration: ExpirationManager;
  /** Response-wrapping tokens (sys/wrapping/*, X-Vault-Wrap-TTL); their contents live in cubbyholes. */
  readonly wrapping: ResponseWrapping;
  /** Entities, aliases and groups (identity/); loaded at unseal, consulted by the token and login steps. */
  readonly identity: IdentityStore;
  /** Audit devices (local); restored at unseal, closed at seal. */
  readonly audit: AuditBroker;
  /** This node's metrics registry (sys/metrics). */
  readonly metrics: Telemetry;
  /** Performance replication (src/replication/): mode, WAL, Merkle tree, primary and secondary sides. */
  readonly replication: ReplicationManager;
  readonly router = new Router();
  readonly classifier = new KeyClassifier();
  readonly mounts: MountTable;
  /** Auth methods, routed under auth/. */
  readonly authMounts: MountTable;
  readonly ttls: SystemTTLs;
  readonly storageType: string;
  /**
   * The address clients use: api_addr, else (set by the node once its listeners are bound) the
   * first listener's URL. Identity tokens name their issuer after it.
   */
  apiAddr: string;
  readonly clusterAddr: string;
  private cluster: ClusterInfo | undefined;
  private readonly configuredClusterName: string | undefined;
  /** Extra mount types provided by the core itself (the system backend). */
  private readonly builtins = new Map<string, BackendFactory>();
  private activeSince: Date | undefined;
  /** High availability (src/ha/), attached by the node when its storage holds an HA lock. */
  private haControl: HaControl | undefined;
  /**
   * An HA performance standby (src/ha/README.md): tables loaded read-only, backends passive,
   * and the barrier read cache off, so every read sees storage as the active node left it.
   */
  private perfStandby = false;
  /** The audit table as last loaded by a performance standby (its devices reopen only when it changed). */
  private perfAuditTable: Buffer | undefined;

  constructor(opts: CoreOptions) {
    this.sanitizedConfig = opts.sanitizedConfig ?? {};
    this.rawStorageEndpoint = opts.rawStorageEndpoint === true;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.physical = opts.physical;
    this.ttls = opts.ttls;
    this.storageType = opts.storageType;
    this.apiAddr = opts.apiAddr ?? '';
    this.clusterAddr = opts.clusterAddr ?? '';
    this.configuredClusterName = opts.clusterName;
    this.metrics = new Telemetry({ config: opts.telemetry ?? DEFAULT_TELEMETRY, storageType: opts.storageType, clock: this.clock });
    const metered = new MeteredPhysical(opts.physical, this.metrics.storageTimers);
    // The replication layer sits right under the barrier: it sees ciphertext and classifies every key.
    const replicationConfig = opts.replication ?? DEFAULT_REPLICATION;
    const replicated = new ReplicatedPhysical(metered, {
      classifier: this.classifier,
      clock: this.clock,
      logger: this.logger,
      retention: { entries: replicationConfig.walRetentionEntries, bytes: replicationConfig.walRetentionBytes },
    });
    this.barrier = meterBarrier(new AesGcmBarrier(replicated, this.clock, { ...readCacheLimits(opts.cacheSize, opts.disableCache), enabled: () => !this.perfStandby }), this.metrics.barrierTimers);
    const barrier = this.barrier;
    this.metrics.readCacheCounters(() => barrier.cacheStats);
    this.seal = new ShamirSeal(replicated, this.barrier);
    this.replication = new ReplicationManager({ physical: replicated, barrier: this.barrier, clock: this.clock, logger: this.logger, hooks: this.replicationHooks() });
    this.audit = new AuditBroker({ storage: this.barrier, clock: this.clock, logger: this.logger, onFailure: (type) => this.metrics.auditFailed(type) });
    this.tokens = new TokenStore(this.barrier, this.clock);
    this.policies = new PolicyStore(this.barrier);
    this.passwordPolicies = new PasswordPolicyStore(this.barrier);
    this.expiration = new ExpirationManager({
      storage: new StorageView(this.barrier, LEASE_PREFIX),
      clock: this.clock,
      logger: this.logger,
      resolve: (path) => {
        const match = this.router.match(path);
        return match === undefined ? undefined : { backend: match.route.backend, settings: match.route.settings };
      },
      tokenExpiry: (idHash) => this.tokens.expiryOf(idHash),
      revokeToken: (idHash) => this.tokens.revokeTree(idHash),
      tokenExpiries: () => this.tokens.expiries(),
    });
    // A token's leases go before the token; its expiry is tracked by the same queue.
    this.tokens.onRevoke((_entry, idHash) => this.expiration.revokeByToken(idHash));
    this.tokens.onExpiryChange((idHash, at) => this.expiration.scheduleToken(idHash, at));
    const cubbyholes = () => mountedCubbyholeStorage(this.router, this.barrier);
    this.wrapping = new ResponseWrapping(this.tokens, cubbyholes);
    // A token's cubbyhole (and so any response it wraps) dies with the token.
    this.tokens.onRevoke((entry) => destroyCubbyhole(cubbyholes(), entry.cubbyholeId));
    this.generateRoot = new GenerateRoot(this.seal, async () => (await this.tokens.createRoot()).token);
    this.rekey = new Rekey(this.seal);
    this.lockout = new LoginLockout(this.clock, process.env, this.barrier);
    this.quotas = new QuotaStore(this.barrier, this.clock);
    this.cors = new CorsConfig(this.barrier);
    this.barrierRotation = new BarrierRotation({
      storage: this.barrier,
      keyStatus: () => this.barrier.keyStatus(),
      rotate: () => this.barrier.rotate(),
      clock: this.clock,
      logger: this.logger,
      // A performance secondary's keyring is its primary's.
      mayRotate: () => this.replication.mode !== 'secondary',
    });
    this.identity = new IdentityStore({ storage: this.barrier, clock: this.clock, mounts: (accessor) => this.mountByAccessor(accessor) });
    // Templated ACLs (and the entity's policy set) follow identity changes without re-login.
    this.identity.onChange(() => this.policies.invalidateIdentity());
    this.registerBuiltin(IDENTITY_TYPE, (ctx) => createIdentityBackend(this.identity, ctx, { apiAddr: () => this.apiAddr }));
    this.mounts = new MountTable({
      kind: 'secret',
      tableKey: MOUNT_TABLE,
      localTableKey: LOCAL_MOUNT_TABLE,
      routePrefix: '',
      dataPrefix: 'logical/',
      required: [
        {
          path: 'sys/',
          type: 'system',
          description: 'system endpoints used for control, policy and debugging',
          local: false,
          seal_wrap: false,
          external_entropy_access: false,
          options: {},
          config: defaultMountConfig(),
        },
        {
          // Per-token storage is local by nature: tokens are local, so their cubbyholes are too.
          path: CUBBYHOLE_MOUNT_PATH,
          type: CUBBYHOLE_TYPE,
          description: CUBBYHOLE_DESCRIPTION,
          local: true,
          seal_wrap: false,
          external_entropy_access: false,
          options: {},
          config: defaultMountConfig(),
        },
        {
          path: IDENTITY_MOUNT_PATH,
          type: IDENTITY_TYPE,
          description: IDENTITY_DESCRIPTION,
          local: false,
          seal_wrap: false,
          external_entropy_access: false,
          options: {},
          config: defaultMountConfig(),
        },
      ],
      protectedPaths: ['sys/', 'auth/', 'cubbyhole/', 'identity/', 'audit/'],
      storage: this.barrier,
      router: this.router,
      classifier: this.classifier,
      clock: this.clock,
      ttls: this.ttls,
      factoryFor: (type) => this.builtins.get(type) ?? builtinFactory('secret', type),
      passive: () => this.perfStandby,
      perfSecondary: () => this.replication.mode === 'secondary',
      passwordFromPolicy: (name) => this.passwordPolicies.generate(name),
      logger: this.logger,
    });
    this.authMounts = new MountTable({
      kind: 'auth',
      tableKey: AUTH_TABLE,
      localTableKey: LOCAL_AUTH_TABLE,
      routePrefix: 'auth/',
      dataPrefix: 'auth/',
      required: [
        {
          path: 'token/',
          type: 'token',
          description: 'token based credentials',
          local: false,
          seal_wrap: false,
          external_entropy_access: false,
          options: {},
          config: defaultMountConfig(),
        },
      ],
      protectedPaths: [],
      storage: this.barrier,
      router: this.router,
      classifier: this.classifier,
      clock: this.clock,
      ttls: this.ttls,
      factoryFor: (type) => (type === 'token' ? (ctx) =>
              createTokenBackend(this.tokens, ctx, this.policies, {
                entityForAlias: async (accessor, alias) => {
                  const mount = this.mountByAccessor(accessor);
                  if (mount === undefined) return '';
                  return (await entityForLogin(this.identity, mount, { name: alias })).entity.id;
                },
                identityPolicies: (entityId) => this.identity.resolve(entityId)?.policies ?? [],
                renewWithMethod: async (entry) => {
                  const route = this.router.all().find((r) => r.kind === 'auth' && r.entry.accessor === entry.mountAccessor);
                  if (route?.backend.renewLogin === undefined) return undefined;
                  const result = await route.backend.renewLogin(loginRenewalOf(entry, route.prefix, this.clock.now()));
                  return { result, mountMaxTTL: route.settings.maxLeaseTTL() };
                },
              }) : builtinFactory('auth', type)),
      passive: () => this.perfStandby,
      perfSecondary: () => this.replication.mode === 'secondary',
      passwordFromPolicy: (name) => this.passwordPolicies.generate(name),
      logger: this.logger,
    });
  }

  /** A mount (auth method first, then secrets engine) by accessor, for identity aliases. */
  mountByAccessor(accessor: string): MountInfo | undefined {
    const auth = this.authMounts.list().find((e) => e.accessor === accessor);
    if (auth !== undefined) return { accessor, type: auth.type, path: `auth/${auth.path}`, local: auth.local };
    const secret = this.mounts.list().find((e) => e.accessor === accessor);
    return secret === undefined ? undefined : { accessor, type: secret.type, path: secret.path, local: secret.local };
  }

  /** Register a mount type implemented by the core (e.g. "system"). */
  registerBuiltin(type: string, factory: BackendFactory): void {
    this.builtins.set(type, factory);
  }

  get sealed(): boolean {
    return this.barrier.sealed;
  }

  get clusterInfo(): ClusterInfo | undefined {
    return this.cluster;
  }

  get activeTime(): Date | undefined {
    return this.activeSince;
  }

  /** With HA, unsealing makes this node a standby; the coordinator activates it when it wins the lock. */
  attachHa(control: HaControl): void {
    this.haControl = control;
  }

  get ha(): HaControl | undefined {
    return this.haControl;
  }

  /** sys/init: create keys, the root token, and leave the node sealed (as Vault does). */
  async initialize(params: { secretShares: number; secretThreshold: number }, opts: { rootTokenId?: string; keepUnsealed?: boolean } = {}): Promise<{ shares: Buffer[]; rootToken: string }> {
    const { shares } = await this.seal.initialize(params);
    try {
      await this.tokens.setup();
      const { token } = await this.tokens.createRoot(opts.rootTokenId === undefined ? {} : { id: opts.rootTokenId });
      if (opts.keepUnsealed) {
        await this.postUnseal();
      } else {
        this.tokens.teardown();
        await this.seal.seal();
      }
      return { shares, rootToken: token };
    } catch (err) {
      this.tokens.teardown();
      if (!this.barrier.sealed) await this.seal.seal();
      throw err;
    }
  }

  /** sys/unseal: submit one share; runs post-unseal setup when the barrier opens. */
  async submitUnsealKey(key: Buffer): ReturnType<ShamirSeal['submitUnsealKey']> {
    const wasSealed = this.barrier.sealed;
    const status = await this.seal.submitUnsealKey(key);
    if (wasSealed && !status.sealed) {
      try {
        if (this.haControl !== undefined) await this.haControl.unsealed();
        else await this.postUnseal();
      } catch (err) {
        this.logger.error('post-unseal setup failed; sealing again', { error: err as Error });
        await this.sealNode();
        throw err;
      }
    }
    return status;
  }

  /** Seal: stop backends, drop key material. */
  async sealNode(): Promise<void> {
    if (this.barrier.sealed) return;
    await this.haControl?.sealing();
    await this.stopServices();
    await this.haControl?.sealed();
    await this.seal.seal();
    this.logger.info('core: vault is sealed');
  }

  /** Stop backends and background work and forget loaded state (seal, or HA step-down). */
  private async stopServices(): Promise<void> {
    // First, while the barrier is open: it stores the encryption count one last time.
    await this.barrierRotation.stop();
    await this.replication.stop();
    await this.expiration.stop();
    await this.audit.teardown();
    this.metrics.activity.reset();
    await this.authMounts.unload();
    await this.mounts.unload();
    this.tokens.teardown();
    this.policies.teardown();
    this.identity.teardown();
    this.generateRoot.cancel();
    this.rekey.cancel();
    this.lockout.clear();
    this.quotas.teardown();
    this.cors.clear();
    this.activeSince = undefined;
    this.perfStandby = false;
    this.perfAuditTable = undefined;
  }

  /** HA: this node holds the lock now. Everything is read afresh: the previous active node wrote it. */
  async activate(): Promise<void> {
    if (this.perfStandby) await this.unloadPerfStandby();
    this.barrier.clearCache();
    await this.barrier.reloadKeyring();
    await this.postUnseal();
  }

  /** HA: the lock is lost or given up. Background work stops and no cached state survives. */
  async deactivate(): Promise<void> {
    await this.stopServices();
    this.barrier.clearCache();
  }

  /**
   * HA standby: read what a standby shows without loading any table: the cluster's name and id
   * (status answers) and the CORS policy (the HTTP shell asks it for every request, forwarded or
   * not). Read only (the active node writes). Called on becoming a standby and at every lock
   * check after, so the active node's changes reach a standby within a retry interval. The
   * keyring is re-read first: entries the active node wrote after a rotation use the new term.
   */
  async followActive(): Promise<void> {
    try {
      await this.barrier.reloadKeyring();
      const raw = await this.barrier.get(`${CLUSTER_INFO}info`);
      if (raw !== undefined) this.cluster = JSON.parse(raw.toString('utf8')) as ClusterInfo;
      await this.cors.load();
    } finally {
      // A plain standby keeps no cache: the next read must see what the active node wrote since.
      this.barrier.clearCache();
    }
  }

  /**
   * HA performance standby: load what request handling needs (token keys, identity, mount and
   * auth tables with passive backends, audit devices), read only, with the barrier cache off.
   * No expiration queue, no replication, no backend background work. A write attempted here is
   * refused by the HA fence (NotActiveError), and the load fails rather than half-loading.
   */
  async loadPerfStandby(): Promise<void> {
    this.perfStandby = true;
    this.barrier.clearCache();
    try {
      // The keyring first (followActive re-reads it), then what is encrypted under it.
      await this.followActive();
      await this.tokens.setup();
      this.policies.teardown();
      await this.identity.setup();
      await this.mounts.load();
      await this.authMounts.load();
      this.perfAuditTable = await this.barrier.get(AUDIT_TABLE);
      await this.audit.setup();
      await this.quotas.setup();
    } catch (err) {
      await this.unloadPerfStandby();
      throw err;
    }
  }

  /** Follow the active node's changes (src/ha/generation.ts says which kind changed). */
  async refreshPerfStandby(changed: { tables: boolean; policy: boolean; identity: boolean }): Promise<void> {
    if (!this.perfStandby) return;
    if (changed.tables) {
      // The keyring first (followActive re-reads it), then what is encrypted under it.
      await this.followActive();
      await this.mounts.reload();
      await this.authMounts.reload();
      const audit = await this.barrier.get(AUDIT_TABLE);
      const same = audit === undefined ? this.perfAuditTable === undefined : this.perfAuditTable?.equals(audit) === true;
      if (!same) {
        await this.audit.teardown();
        this.perfAuditTable = audit;
        await this.audit.setup();
      }
    }
    if (changed.policy) this.policies.teardown();
    // Identity changes also drop templated ACLs (the store's change listener).
    if (changed.identity) await this.identity.setup();
  }

  /** Leave performance-standby mode: forget everything it loaded (plain standby, activation, seal). */
  async unloadPerfStandby(): Promise<void> {
    await this.audit.teardown();
    await this.authMounts.unload();
    await this.mounts.unload();
    this.tokens.teardown();
    this.policies.teardown();
    this.identity.teardown();
    this.quotas.teardown();
    this.cors.clear();
    this.perfStandby = false;
    this.perfAuditTable = undefined;
    this.barrier.clearCache();
  }

  private async postUnseal(): Promise<void> {
    // The storage mode (primary/secondary) must be in force before the first write below.
    await this.replication.load();
    await this.tokens.setup();
    // A secondary that has not synced yet cannot store the default policy; it arrives by replication.
    await this.policies.setup().catch((err: unknown) => {
      if (!(err instanceof ReadOnlyError)) throw err;
    });
    await this.identity.setup();
    this.cluster = await this.loadClusterInfo();
    await this.recordVersion();
    await this.mounts.load();
    await this.authMounts.load();
    await this.audit.setup();
    await this.quotas.setup();
    await this.cors.load();
    await this.barrierRotation.start();
    await this.lockout.load();
    // Restores in the background: the node serves while leases are re-queued.
    this.expiration.start();
    this.activeSince = new Date(this.clock.now());
    // Last: indexing needs the mount tables, and applied changes need loaded caches to invalidate.
    await this.replication.start();
    this.logger.info('core: vault is unsealed');
  }

  /** How replicated changes applied below the barrier reach the caches above it. */
  private replicationHooks(): InvalidationHooks {
    return {
      ready: () => !this.barrier.sealed && this.activeSince !== undefined,
      reloadKeyring: () => this.barrier.reloadKeyring(),
      reloadMounts: async () => {
        await this.mounts.reload();
        await this.authMounts.reload();
      },
      invalidatePolicy: (name) => this.policies.invalidate(name),
      invalidateIdentity: (key) => this.identity.invalidate(key),
      invalidateMountData: (key) => {
        const route = this.router.all().find((r) => key.startsWith(r.storagePrefix));
        route?.backend.invalidate?.(key.slice(route.storagePrefix.length));
      },
    };
  }

  /**
   * sys/version-history: the first unseal by each server version records when it was
   * installed and which version ran before it (local storage, one key per version).
   */
  private async recordVersion(): Promise<void> {
    const key = `${VERSION_HISTORY_PREFIX}${VERSION}`;
    if ((await this.barrier.get(key)) !== undefined) return;
    const history = await this.versionHistory();
    const previous = history.length === 0 ? null : history[history.length - 1]!.version;
    const entry: VersionRecord = { version: VERSION, timestamp_installed: new Date(this.clock.now()).toISOString(), build_date: '', previous_version: previous };
    await this.barrier.put(key, Buffer.from(JSON.stringify(entry), 'utf8'));
  }

  /** Every version this cluster has run, oldest first. */
  async versionHistory(): Promise<VersionRecord[]> {
    const names = await this.barrier.list(VERSION_HISTORY_PREFIX);
    const records: VersionRecord[] = [];
    for (const name of names) {
      const raw = await this.barrier.get(VERSION_HISTORY_PREFIX + name);
      if (raw !== undefined) records.push(JSON.parse(raw.toString('utf8')) as VersionRecord);
    }
    return records.sort((a, b) => a.timestamp_installed.localeCompare(b.timestamp_installed));
  }

  private async loadClusterInfo(): Promise<ClusterInfo> {
    const key = `${CLUSTER_INFO}info`;
    const raw = await this.barrier.get(key);
    let info = raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as ClusterInfo);
    const wantName = this.configuredClusterName;
    if (info === undefined || (wantName !== undefined && wantName !== '' && info.name !== wantName)) {
      info = {
        name: wantName || info?.name || `vault-cluster-${randomBase62(8).toLowerCase()}`,
        id: info?.id ?? uuid(),
      };
      await this.barrier.put(key, Buffer.from(JSON.stringify(info)));
    }
    return info;
  }

  /** Release everything (process shutdown). */
  async shutdown(): Promise<void> {
    await this.sealNode();
    await this.physical.close();
  }
}
