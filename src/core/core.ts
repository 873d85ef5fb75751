/**
 * Wiring and lifecycle of one Arca node: builds the services over a physical store, runs the
 * post-unseal setup and the pre-seal teardown. Request handling lives in pipeline.ts and the
 * sys/ endpoints in src/system/; this file only connects them.
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { AesGcmBarrier } from '../barrier/aes-gcm-barrier.js';
import { ShamirSeal } from '../barrier/seal.js';
import { GenerateRoot } from '../barrier/generate-root.js';
import type { Physical } from '../storage/physical.js';
import { AUTH_TABLE, KeyClassifier, LOCAL_AUTH_TABLE, LOCAL_MOUNT_TABLE, MOUNT_TABLE } from '../storage/keys.js';
import { createTokenBackend } from '../token/token-backend.js';
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
import { entityForLogin } from '../identity/alias-ops.js';

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
}

export interface ClusterInfo {
  readonly name: string;
  readonly id: string;
}

export class Core {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly physical: Physical;
  readonly barrier: AesGcmBarrier;
  readonly seal: ShamirSeal;
  readonly generateRoot: GenerateRoot;
  readonly tokens: TokenStore;
  readonly policies: PolicyStore;
  /** Leases and token expiries. */
  readonly expiration: ExpirationManager;
  /** Response-wrapping tokens (sys/wrapping/*, X-Vault-Wrap-TTL); their contents live in cubbyholes. */
  readonly wrapping: ResponseWrapping;
  /** Entities, aliases and groups (identity/); loaded at unseal, consulted by the token and login steps. */
  readonly identity: IdentityStore;
  readonly router = new Router();
  readonly classifier = new KeyClassifier();
  readonly mounts: MountTable;
  /** Auth methods, routed under auth/. */
  readonly authMounts: MountTable;
  readonly ttls: SystemTTLs;
  readonly storageType: string;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  private cluster: ClusterInfo | undefined;
  private readonly configuredClusterName: string | undefined;
  /** Extra mount types provided by the core itself (the system backend). */
  private readonly builtins = new Map<string, BackendFactory>();
  private activeSince: Date | undefined;

  constructor(opts: CoreOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.physical = opts.physical;
    this.ttls = opts.ttls;
    this.storageType = opts.storageType;
    this.apiAddr = opts.apiAddr ?? '';
    this.clusterAddr = opts.clusterAddr ?? '';
    this.configuredClusterName = opts.clusterName;
    this.barrier = new AesGcmBarrier(opts.physical);
    this.seal = new ShamirSeal(opts.physical, this.barrier);
    this.tokens = new TokenStore(this.barrier, this.clock);
    this.policies = new PolicyStore(this.barrier);
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
    this.identity = new IdentityStore({ storage: this.barrier, clock: this.clock, mounts: (accessor) => this.mountByAccessor(accessor) });
    // Templated ACLs (and the entity's policy set) follow identity changes without re-login.
    this.identity.onChange(() => this.policies.invalidateIdentity());
    this.registerBuiltin(IDENTITY_TYPE, (ctx) => createIdentityBackend(this.identity, ctx));
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
              }) : builtinFactory('auth', type)),
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
        await this.postUnseal();
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
    await this.expiration.stop();
    await this.authMounts.unload();
    await this.mounts.unload();
    this.tokens.teardown();
    this.policies.teardown();
    this.identity.teardown();
    this.generateRoot.cancel();
    this.activeSince = undefined;
    await this.seal.seal();
    this.logger.info('core: vault is sealed');
  }

  private async postUnseal(): Promise<void> {
    await this.tokens.setup();
    await this.policies.setup();
    await this.identity.setup();
    this.cluster = await this.loadClusterInfo();
    await this.mounts.load();
    await this.authMounts.load();
    // Restores in the background: the node serves while leases are re-queued.
    this.expiration.start();
    this.activeSince = new Date(this.clock.now());
    this.logger.info('core: vault is unsealed');
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
