/**
 * The identity store (core.identity): entities, entity aliases, groups and group aliases.
 * Records are persisted one per key (layout.ts) and mirrored in in-memory indexes loaded at
 * unseal, so the request path (token step, ACL templates) never reads storage. Writes run one
 * at a time: each operation validates against the indexes, stores its records in one batch,
 * then updates the indexes and drops derived caches. `invalidate(key)` re-reads one key for
 * changes that arrive by replication.
 */
import type { Clock } from '../clock.js';
import type { Storage } from '../logical/storage.js';
import type { IdentityTemplateContext } from '../policy/template.js';
import { randomHex, uuid } from '../util/random.js';
import { SerialQueue } from '../util/serial-queue.js';
import { ChangeSet, putInto, removeFrom } from './change-set.js';
import { IdentityIndex } from './indexes.js';
import { parseRecordKey, recordFolders, recordKey, type RecordKind } from './layout.js';
import type { MountInfo, MountResolver, ResolvedIdentity } from './types.js';

export type ChangeListener = () => void;

export interface IdentityStoreOptions {
  readonly storage: Storage;
  readonly clock: Clock;
  /** Resolves a mount accessor (auth methods and secrets engines) to its mount. */
  readonly mounts: MountResolver;
}

export class IdentityStore {
  readonly index = new IdentityIndex();
  readonly clock: Clock;
  private readonly storage: Storage;
  private readonly mountResolver: MountResolver;
  private readonly queue = new SerialQueue();
  private readonly listeners: ChangeListener[] = [];
  private readonly resolved = new Map<string, ResolvedIdentity | null>();
  private loaded = false;

  constructor(opts: IdentityStoreOptions) {
    this.storage = opts.storage;
    this.clock = opts.clock;
    this.mountResolver = opts.mounts;
  }

  /** After unseal: load every record into the indexes. */
  setup(): Promise<void> {
    return this.queue.run(async () => {
      this.index.clear();
      for (const [folder, kind] of recordFolders()) {
        for (const id of await this.storage.list(folder)) {
          if (id.endsWith('/')) continue;
          await this.reload(kind, id, folder + id);
        }
      }
      this.loaded = true;
      this.changed();
    });
  }

  /** On seal: forget everything. */
  teardown(): void {
    this.loaded = false;
    this.index.clear();
    this.changed();
  }

  get ready(): boolean {
    return this.loaded;
  }

  /** Called on every identity change (the policy store drops its identity-templated ACLs). */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  mount(accessor: string): MountInfo | undefined {
    return accessor === '' ? undefined : this.mountResolver(accessor);
  }

  /**
   * Run one write operation: `fn` validates and fills a change set (throwing leaves nothing
   * changed); the set is stored in one batch, then applied to the indexes.
   */
  write<T>(fn: (cs: ChangeSet) => T | Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (!this.loaded) throw new Error('identity store is not loaded');
      const cs = new ChangeSet(this.index);
      const result = await fn(cs);
      if (!cs.empty) {
        await this.storage.batch(cs.batch());
        cs.apply();
        this.changed();
      }
      return result;
    });
  }

  /** A key changed underneath us (replication): re-read it and fix the indexes. */
  invalidate(key: string): Promise<void> {
    const parsed = parseRecordKey(key);
    if (parsed === undefined) return Promise.resolve();
    return this.queue.run(async () => {
      if (!this.loaded) return;
      await this.reload(parsed.kind, parsed.id, key);
      this.changed();
    });
  }

  /** A fresh id; ids are UUIDs, as Vault's. */
  newId(): string {
    return uuid();
  }

  /** Vault's generated names: "entity_1a2b3c4d", "group_...", unique among current names. */
  generateName(kind: 'entity' | 'group', taken: (name: string) => boolean): string {
    for (;;) {
      const name = `${kind}_${randomHex(8)}`;
      if (!taken(name)) return name;
    }
  }

  /**
   * The entity behind a token's entity id (following merges) with its identity policies and
   * groups; undefined when the entity no longer exists. Memoised until the next change.
   */
  resolve(entityId: string): ResolvedIdentity | undefined {
    if (entityId === '') return undefined;
    const hit = this.resolved.get(entityId);
    if (hit !== undefined) return hit ?? undefined;
    const entity = this.index.entityForToken(entityId);
    let out: ResolvedIdentity | null = null;
    if (entity !== undefined) {
      const direct = this.index.directGroupIdsOf(entity.id);
      const inherited = this.index.ancestorsOf(direct).filter((id) => !direct.includes(id));
      const policies = new Set(entity.policies);
      for (const id of [...direct, ...inherited]) for (const p of this.index.groups.get(id)?.policies ?? []) policies.add(p);
      // Never root by identity, even if a replicated record says so.
      policies.delete('root');
      out = { entity, policies: [...policies].sort(), directGroupIds: direct, inheritedGroupIds: inherited };
    }
    this.resolved.set(entityId, out);
    return out ?? undefined;
  }

  /** What `{{identity...}}` policy templates may use for this entity. */
  templateContext(entityId: string): IdentityTemplateContext {
    const r = this.resolve(entityId);
    if (r === undefined) return {};
    const e = r.entity;
    return {
      entity: {
        id: e.id,
        name: e.name,
        metadata: e.metadata,
        aliases: this.index.aliasesOf(e.id).map((a) => ({ mountAccessor: a.mountAccessor, id: a.id, name: a.name, metadata: a.metadata, customMetadata: a.customMetadata })),
      },
      groups: [...r.directGroupIds, ...r.inheritedGroupIds].flatMap((id) => {
        const g = this.index.groups.get(id);
        return g === undefined ? [] : [{ id: g.id, name: g.name, metadata: g.metadata }];
      }),
    };
  }

  private async reload(kind: RecordKind, id: string, key: string): Promise<void> {
    const raw = await this.storage.get(key);
    if (raw === undefined) {
      // A local alias key vanishing must not drop a replicated record of the same id, and vice versa.
      if (kind === 'alias') {
        const cur = this.index.aliases.get(id);
        if (cur !== undefined && recordKey('alias', id, cur.local) === key) removeFrom(this.index, kind, id);
        return;
      }
      removeFrom(this.index, kind, id);
      return;
    }
    putInto(this.index, kind, JSON.parse(raw.toString('utf8')));
  }

  private changed(): void {
    this.resolved.clear();
    for (const l of this.listeners) l();
  }
}
