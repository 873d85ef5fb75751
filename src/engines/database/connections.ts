/**
 * The open connection pools of one mount, one per config name. A pool opens on first use and
 * closes when its config is written, deleted, reset or rotated (here, or on the primary and
 * replicated: `invalidate`), and when the mount is unmounted or sealed. Opening and replacing
 * are serialised per name, so a pool that lost a race is closed instead of leaking, and a pool
 * opens from the config stored when it opens, never from one a caller read before a change.
 */
import { BadRequestError, UnavailableError } from '../../errors.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { pluginDef } from './catalog.js';
import { PluginError, type DatabasePlugin } from './plugin-api.js';
import { Redactor } from './redact.js';
import type { DatabaseConfig, DatabaseStore } from './store.js';

export class Connections {
  private readonly open = new Map<string, DatabasePlugin>();
  private readonly locks = new KeyedMutex();
  private closed = false;

  /** `readOnly`: the config is replicated from a primary, which settles rotations; never write it. */
  constructor(
    private readonly store: DatabaseStore,
    private readonly readOnly: () => boolean = () => false,
  ) {}

  /** The live plugin for a config, opening its pool on first use. */
  get(name: string): Promise<DatabasePlugin> {
    return this.locks.run(name, async () => {
      if (this.closed) throw new UnavailableError('the database engine is shutting down');
      const cached = this.open.get(name);
      if (cached !== undefined) return cached;
      // Read under the lock: a replicated change closes the pool under it too, so it cannot be
      // reopened from a config read before that change.
      const config = await this.store.getConfig(name);
      if (config === undefined) throw new BadRequestError(`could not find database with name: ${name}`);
      const plugin = await this.openFor(name, config);
      this.open.set(name, plugin);
      return plugin;
    });
  }

  /** Install an already verified plugin (or none: open lazily) for a config; closes the old pool. */
  replace(name: string, plugin: DatabasePlugin | undefined): Promise<void> {
    return this.locks.run(name, async () => {
      const prev = this.open.get(name);
      if (plugin !== undefined && !this.closed) this.open.set(name, plugin);
      else this.open.delete(name);
      if (plugin !== undefined && this.closed) await plugin.close();
      await prev?.close();
    });
  }

  /** Close every pool; later calls fail (unmount, seal). */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.close()));
  }

  /**
   * Open a pool for the stored config. If a rotate-root was interrupted (a pending password is
   * stored), the database holds either the stored or the pending password: keep whichever
   * connects, and commit the pending one if it is that. A read-only (secondary) mount only
   * connects: the primary settles the rotation and its writes replace this pool when they arrive.
   */
  private async openFor(name: string, config: DatabaseConfig): Promise<DatabasePlugin> {
    const def = pluginDef(config.pluginName);
    if (def === undefined) throw new PluginError(`plugin "${config.pluginName}" is not available`);
    const pending = await this.store.getPendingRoot(name);
    if (pending === undefined) return def.open(config.connection, new Redactor());

    const current = def.open(config.connection, new Redactor([pending.password]));
    try {
      await current.verify();
      if (!this.readOnly()) await this.store.deletePendingRoot(name);
      return current;
    } catch {
      await current.close();
    }
    const next: DatabaseConfig = { ...config, connection: { ...config.connection, password: pending.password } };
    const candidate = def.open(next.connection, new Redactor([config.connection.password]));
    try {
      await candidate.verify();
      if (!this.readOnly()) await this.store.commitConfig(name, next);
    } catch (err) {
      await candidate.close();
      throw err;
    }
    return candidate;
  }
}
