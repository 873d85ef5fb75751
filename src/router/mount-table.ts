/**
 * The mount table: which backends are mounted where, persisted through the barrier in two
 * tables (replicated and local, ARCHITECTURE.md §2), and mirrored into the Router and the
 * KeyClassifier. Secrets engines and auth methods each have one MountTable instance.
 */
import type { Clock } from '../clock.js';
import { BadRequestError, PermissionDeniedError, ReadOnlyError } from '../errors.js';
import { NotActiveError } from '../ha/errors.js';
import type { BackendFactory, LogicalBackend, MountSettings } from '../logical/backend.js';
import type { Storage } from '../logical/storage.js';
import { StorageView } from '../logical/storage.js';
import type { KeyClassifier } from '../storage/keys.js';
import type { Logger } from '../util/logger.js';
import { uuid, randomHex } from '../util/random.js';
import { SerialQueue } from '../util/serial-queue.js';
import { defaultMountConfig, normalizeMountPath, type MountConfig, type MountEntry, type MountKind } from './mount-entry.js';
import type { RouteEntry, Router } from './router.js';

export interface SystemTTLs {
  /** Seconds. */
  readonly defaultLeaseTTL: number;
  readonly maxLeaseTTL: number;
}

export interface MountTableOptions {
  readonly kind: MountKind;
  /** Where the replicated and the local tables are stored. */
  readonly tableKey: string;
  readonly localTableKey: string;
  /** Routing prefix for this kind: '' for secrets engines, 'auth/' for auth methods. */
  readonly routePrefix: string;
  /** Physical data prefix: 'logical/' or 'auth/'. */
  readonly dataPrefix: string;
  /** Mounts that always exist and cannot be disabled or moved (e.g. sys/). */
  readonly required: readonly Omit<MountEntry, 'uuid' | 'accessor'>[];
  /** Paths (with trailing slash) no user mount may take or nest under. */
  readonly protectedPaths: readonly string[];
  readonly storage: Storage;
  readonly router: Router;
  readonly classifier: KeyClassifier;
  readonly clock: Clock;
  readonly ttls: SystemTTLs;
  /** Factory for a mount type, or undefined when the type is unknown. */
  readonly factoryFor: (type: string, options: Readonly<Record<string, string>>) => BackendFactory | undefined;
  /**
   * True while the node is an HA performance standby: backends are not initialised (no
   * background work: rotations, upgrades) and only PASSIVE_TYPES are built at all; any other
   * mount gets a route whose backend refuses every request, so the standby forwards it.
   */
  readonly passive?: () => boolean;
  /** Handed to backends as BackendContext.isPerfSecondary. */
  readonly perfSecondary?: () => boolean;
  /** Handed to backends as BackendContext.passwordFromPolicy. */
  readonly passwordFromPolicy?: (name: string) => Promise<string | undefined>;
  /** Handed to backends as BackendContext.logger, with the mount's path and type. */
  readonly logger?: Logger;
}

/** Mount types a performance standby builds: their construction starts nothing. */
export const PASSIVE_TYPES: ReadonlySet<string> = new Set(['kv', 'cubbyhole', 'system', 'identity', 'token']);

/** A passive standby's stand-in for a mount it does not build: every request is the active node's. */
function passiveStub(): LogicalBackend {
  return {
    specialPaths: {},
    handleRequest: () => Promise.reject(new NotActiveError()),
    existenceCheck: () => Promise.reject(new NotActiveError()),
  };
}

interface StoredTable {
  type: 'mounts';
  entries: readonly MountEntry[];
}

export class MountTable {
  private entries: MountEntry[] = [];
  /** The table bytes last read or written, per key: persist() skips unchanged tables. */
  private readonly written = new Map<string, Buffer>();
  /** Table changes read, change and persist `entries` across awaits: one at a time. */
  private readonly changes = new SerialQueue();

  constructor(private readonly opts: MountTableOptions) {}

  /** Load both tables after unseal, add missing required mounts, and start every backend. */
  load(): Promise<void> {
    return this.changes.run(() => this.loadNow());
  }

  /** Stop every backend of this table (on seal). */
  unload(): Promise<void> {
    return this.changes.run(() => this.unloadNow());
  }

  mount(input: Parameters<MountTable['mountNow']>[0]): Promise<MountEntry> {
    return this.changes.run(() => this.mountNow(input));
  }

  /** Disable a mount and delete all of its data. Missing mounts are not an error (as Vault). */
  unmount(path: string): Promise<void> {
    return this.changes.run(() => this.unmountNow(path));
  }

  /** Move a mount; its data keeps its uuid-based storage, so nothing is copied. */
  remount(from: string, to: string): Promise<MountEntry> {
    return this.changes.run(() => this.remountNow(from, to));
  }

  tune(path: string, change: Parameters<MountTable['tuneNow']>[1]): Promise<MountEntry> {
    return this.changes.run(() => this.tuneNow(path, change));
  }

  /**
   * Re-read both tables after they changed underneath (replication applied them on a
   * secondary) and make routes follow: start new mounts, stop removed ones (their data is not
   * touched: its deletion arrives by replication too), move renamed ones, restart ones whose
   * type or options changed, and adopt tuning in place.
   */
  reload(): Promise<void> {
    return this.changes.run(() => this.reloadNow());
  }

  list(): readonly MountEntry[] {
    return this.entries;
  }

  find(path: string): MountEntry | undefined {
    const p = normalizeMountPath(path);
    return this.entries.find((e) => e.path === p);
  }

  private async loadNow(): Promise<void> {
    const stored = [...(await this.readTable(this.opts.tableKey)), ...(await this.readTable(this.opts.localTableKey))];
    let changed = false;
    for (const req of this.opts.required) {
      if (!stored.some((e) => e.path === req.path)) {
        stored.push(this.newEntry(req));
        changed = true;
      }
    }
    this.entries = stored;
    if (changed) {
      try {
        await this.persist();
      } catch (err) {
        // A secondary not yet synced may not write the replicated table: the required mounts
        // live in memory until the primary's table arrives (reload()).
        if (!(err instanceof ReadOnlyError)) throw err;
      }
    }
    for (const entry of this.entries) await this.start(entry);
  }

  private async reloadNow(): Promise<void> {
    const stored = [...(await this.readTable(this.opts.tableKey)), ...(await this.readTable(this.opts.localTableKey))];
    const byUuid = new Map(stored.map((e) => [e.uuid, e]));
    const kept: MountEntry[] = [];
    for (const current of this.entries) {
      const fresh = byUuid.get(current.uuid);
      // A required mount made in memory before the table arrived stays until the table has one.
      const placeholder = fresh === undefined && this.isRequired(current.path) && !stored.some((e) => e.path === current.path);
      if (fresh !== undefined || placeholder) {
        kept.push(current);
        continue;
      }
      const route = this.opts.router.remove(this.routePath(current));
      this.opts.classifier.removeMount(this.dataPath(current));
      await route?.backend.cleanup?.();
    }
    // Two passes for moves, so two mounts swapping paths never collide in the router.
    const moved: RouteEntry[] = [];
    const restart: MountEntry[] = [];
    for (const current of kept) {
      const fresh = byUuid.get(current.uuid);
      if (fresh === undefined) continue;
      const oldPrefix = this.routePath(current);
      const reshaped = fresh.type !== current.type || JSON.stringify(fresh.options) !== JSON.stringify(current.options);
      Object.assign(current, { ...fresh, options: { ...fresh.options }, config: { ...fresh.config } });
      if (this.routePath(current) !== oldPrefix) {
        const route = this.opts.router.remove(oldPrefix);
        if (route !== undefined) moved.push({ ...route, prefix: this.routePath(current), entry: current });
      }
      if (reshaped) restart.push(current);
    }
    for (const route of moved) this.opts.router.add(route);
    for (const entry of restart) await this.restart(entry);
    const known = new Set(kept.map((e) => e.uuid));
    const added = stored.filter((e) => !known.has(e.uuid));
    this.entries = [...kept, ...added];
    for (const entry of added) await this.start(entry);
  }

  private async unloadNow(): Promise<void> {
    for (const entry of this.entries) {
      const route = this.opts.router.remove(this.routePath(entry));
      this.opts.classifier.removeMount(this.dataPath(entry));
      await route?.backend.cleanup?.();
    }
    this.entries = [];
  }

  private async mountNow(input: {
    path: string;
    type: string;
    description?: string;
    local?: boolean;
    sealWrap?: boolean;
    config?: Partial<MountConfig>;
    options?: Record<string, string>;
  }): Promise<MountEntry> {
    const path = normalizeMountPath(input.path);
    this.checkPathFree(path);
    let type = input.type;
    const options = { ...(input.options ?? {}) };
    if (type === 'kv-v2') {
      type = 'kv';
      options['version'] = '2';
    }
    if (type === 'kv' && options['version'] === undefined) options['version'] = '1';
    if (this.opts.factoryFor(type, options) === undefined) {
      throw new BadRequestError(`plugin not found in the catalog: ${input.type}`);
    }
    // The core's own mounts (sys, cubbyhole, identity, token) exist once, at their fixed paths.
    if (this.opts.required.some((r) => r.type === type)) {
      throw new PermissionDeniedError(`mount type of "${type}" is not mountable`);
    }
    const entry = this.newEntry({
      path,
      type,
      description: input.description ?? '',
      local: input.local ?? false,
      seal_wrap: input.sealWrap ?? false,
      external_entropy_access: false,
      options,
      config: { ...defaultMountConfig(), ...(input.config ?? {}) },
    });
    this.entries.push(entry);
    try {
      await this.start(entry);
      await this.persist();
    } catch (err) {
      this.entries = this.entries.filter((e) => e !== entry);
      const route = this.opts.router.remove(this.routePath(entry));
      this.opts.classifier.removeMount(this.dataPath(entry));
      await route?.backend.cleanup?.();
      throw err;
    }
    return entry;
  }

  private async unmountNow(pathIn: string): Promise<void> {
    const path = normalizeMountPath(pathIn);
    const entry = this.entries.find((e) => e.path === path);
    if (entry === undefined) return;
    if (this.isRequired(path)) throw new BadRequestError(`cannot unmount "${path}"`);
    // The table is written first: if that fails (e.g. read-only on a secondary), nothing changed.
    const remaining = this.entries.filter((e) => e !== entry);
    await this.persist(remaining);
    this.entries = remaining;
    const route = this.opts.router.remove(this.routePath(entry));
    await route?.backend.cleanup?.();
    // Data goes after the table: a crash in between leaves unreachable data, never a dangling mount.
    const view = new StorageView(this.opts.storage, this.dataPath(entry));
    const keys = await view.listRecursive();
    for (let i = 0; i < keys.length; i += 500) {
      await view.batch(keys.slice(i, i + 500).map((key) => ({ type: 'delete' as const, key })));
    }
    this.opts.classifier.removeMount(this.dataPath(entry));
  }

  private async remountNow(fromIn: string, toIn: string): Promise<MountEntry> {
    const from = normalizeMountPath(fromIn);
    const to = normalizeMountPath(toIn);
    const entry = this.entries.find((e) => e.path === from);
    if (entry === undefined) throw new BadRequestError(`no matching mount at "${from}"`);
    if (this.isRequired(from)) throw new BadRequestError(`cannot remount "${from}"`);
    this.checkPathFree(to);
    await this.persist(this.entries.map((e) => (e === entry ? { ...e, path: to } : e)));
    const route = this.opts.router.remove(this.routePath(entry));
    entry.path = to;
    if (route !== undefined) this.opts.router.add({ ...route, prefix: this.routePath(entry), entry });
    return entry;
  }

  private async tuneNow(pathIn: string, change: { config?: Partial<MountConfig>; description?: string; options?: Record<string, string> }): Promise<MountEntry> {
    const entry = this.find(pathIn);
    if (entry === undefined) throw new BadRequestError(`cannot fetch mount entry for "${normalizeMountPath(pathIn)}"`);
    const next: MountConfig = { ...entry.config, ...(change.config ?? {}) };
    const sysMax = this.opts.ttls.maxLeaseTTL;
    const max = next.max_lease_ttl || sysMax;
    const def = next.default_lease_ttl || Math.min(this.opts.ttls.defaultLeaseTTL, max);
    if (next.max_lease_ttl > sysMax) throw new BadRequestError('tuning of max_lease_ttl is greater than the system max_lease_ttl');
    if (def > max) throw new BadRequestError('tuning of default_lease_ttl is greater than the max_lease_ttl');
    // Written before memory changes, so a refused write (read-only secondary) changes nothing.
    const description = change.description ?? entry.description;
    const options = change.options !== undefined ? { ...entry.options, ...change.options } : entry.options;
    await this.persist(this.entries.map((e) => (e === entry ? { ...e, config: next, description, options } : e)));
    entry.config = next;
    entry.description = description;
    if (change.options !== undefined) {
      if (entry.type === 'kv' && change.options['version'] !== undefined && change.options['version'] !== entry.options['version']) {
        if (!(entry.options['version'] === '1' && change.options['version'] === '2')) {
          throw new BadRequestError('cannot downgrade mount from KV v2 to KV v1');
        }
        entry.options = { ...entry.options, ...change.options };
        // Persist v2 before the backend starts converting data: after a crash the table must
        // already say v2, so the restarted v2 backend finishes the conversion.
        await this.persist();
        await this.restart(entry);
      } else {
        entry.options = { ...entry.options, ...change.options };
      }
    }
    await this.persist();
    return entry;
  }

  settingsFor(entry: MountEntry): MountSettings {
    const ttls = this.opts.ttls;
    return {
      get path() {
        return entry.path;
      },
      type: entry.type,
      accessor: entry.accessor,
      uuid: entry.uuid,
      local: entry.local,
      get options() {
        return entry.options;
      },
      defaultLeaseTTL: () => {
        const max = entry.config.max_lease_ttl || ttls.maxLeaseTTL;
        return Math.min(entry.config.default_lease_ttl || ttls.defaultLeaseTTL, max);
      },
      maxLeaseTTL: () => entry.config.max_lease_ttl || ttls.maxLeaseTTL,
    };
  }

  private routePath(entry: MountEntry): string {
    return this.opts.routePrefix + entry.path;
  }

  private dataPath(entry: MountEntry): string {
    return `${this.opts.dataPrefix}${entry.uuid}/`;
  }

  private isRequired(path: string): boolean {
    return this.opts.required.some((r) => r.path === path);
  }

  private checkPathFree(path: string): void {
    if (path === '/' || path.split('/').slice(0, -1).some((s) => s === '' || s === '.' || s === '..')) {
      throw new BadRequestError(`invalid mount path "${path}"`);
    }
    for (const p of this.opts.protectedPaths) {
      if (path.startsWith(p) || p.startsWith(path)) throw new BadRequestError(`cannot mount under protected path "${p}"`);
    }
    const clash = this.entries.find((e) => e.path.startsWith(path) || path.startsWith(e.path));
    if (clash !== undefined) {
      throw new BadRequestError(
        clash.path === path ? `path is already in use at ${path}` : `existing mount at ${clash.path}`,
      );
    }
  }

  private newEntry(base: Omit<MountEntry, 'uuid' | 'accessor'>): MountEntry {
    // Vault's accessor shapes: "kv_1a2b3c4d" for engines, "auth_userpass_1a2b3c4d" for auth methods.
    const kind = this.opts.kind === 'auth' ? 'auth_' : '';
    return { ...base, options: { ...base.options }, config: { ...base.config }, uuid: uuid(), accessor: `${kind}${base.type}_${randomHex(8)}` };
  }

  private async start(entry: MountEntry): Promise<void> {
    const factory = this.opts.factoryFor(entry.type, entry.options);
    if (factory === undefined) throw new Error(`unknown mount type ${entry.type} at ${entry.path}`);
    const storage = new StorageView(this.opts.storage, this.dataPath(entry));
    const settings = this.settingsFor(entry);
    const passive = this.opts.passive?.() === true;
    const backend: LogicalBackend =
      passive && !PASSIVE_TYPES.has(entry.type) ? passiveStub() : await factory({
            storage,
            mount: settings,
            clock: this.opts.clock,
            isPerfSecondary: this.opts.perfSecondary,
            passwordFromPolicy: this.opts.passwordFromPolicy,
            ...(this.opts.logger !== undefined ? { logger: this.opts.logger.child({ mount: `${this.opts.routePrefix}${entry.path}`, type: entry.type }) } : {}),
          });
    this.opts.classifier.setMount(this.dataPath(entry), {
      local: entry.local,
      localPaths: backend.specialPaths.local ?? [],
    });
    if (!passive) await backend.initialize?.();
    const route: RouteEntry = { prefix: this.routePath(entry), kind: this.opts.kind, entry, settings, backend, storagePrefix: this.dataPath(entry) };
    this.opts.router.add(route);
  }

  private async restart(entry: MountEntry): Promise<void> {
    const route = this.opts.router.remove(this.routePath(entry));
    await route?.backend.cleanup?.();
    await this.start(entry);
  }

  private async readTable(key: string): Promise<MountEntry[]> {
    const raw = await this.opts.storage.get(key);
    if (raw === undefined) {
      this.written.delete(key);
      return [];
    }
    this.written.set(key, Buffer.from(raw));
    const table = JSON.parse(raw.toString('utf8')) as StoredTable;
    return [...table.entries];
  }

  /**
   * Write the tables for `entries` (default: the current ones). Only a table whose bytes changed
   * is written, so a change to local mounts never writes the replicated table (which a
   * secondary may not write).
   */
  private async persist(entries: readonly MountEntry[] = this.entries): Promise<void> {
    const enc = (list: readonly MountEntry[]): Buffer => Buffer.from(JSON.stringify({ type: 'mounts', entries: list } satisfies StoredTable));
    const tables: [string, Buffer][] = [
      [this.opts.tableKey, enc(entries.filter((e) => !e.local))],
      [this.opts.localTableKey, enc(entries.filter((e) => e.local))],
    ];
    const changed = tables.filter(([key, value]) => !this.written.get(key)?.equals(value));
    if (changed.length === 0) return;
    await this.opts.storage.batch(changed.map(([key, value]) => ({ type: 'put' as const, key, value })));
    for (const [key, value] of changed) this.written.set(key, value);
  }
}
