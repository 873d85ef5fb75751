/**
 * The writes of one identity operation, committed as one storage batch and then applied to
 * the indexes. Operations read through the change set (`entity`, `group`, ...) so a record
 * changed twice in one operation (a merge touching a group twice) sees its own pending state.
 */
import type { BatchOp } from '../storage/physical.js';
import type { IdentityIndex } from './indexes.js';
import { recordKey, type RecordKind } from './layout.js';
import type { EntityAliasRecord, EntityRecord, GroupAliasRecord, GroupRecord } from './types.js';

type AnyRecord = EntityRecord | EntityAliasRecord | GroupRecord | GroupAliasRecord;

interface PendingOp {
  readonly kind: RecordKind;
  readonly id: string;
  /** undefined = delete. */
  readonly record: AnyRecord | undefined;
}

export class ChangeSet {
  /** Keyed by storage key: the last operation on a key wins. */
  private readonly ops = new Map<string, PendingOp>();

  constructor(private readonly index: IdentityIndex) {}

  get empty(): boolean {
    return this.ops.size === 0;
  }

  putEntity(e: EntityRecord): void {
    this.set('entity', e.id, e);
  }
  deleteEntity(id: string): void {
    this.set('entity', id, undefined);
  }
  putAlias(a: EntityAliasRecord): void {
    // An alias that moved between a local and a replicated mount leaves its old key behind.
    const old = this.alias(a.id);
    if (old !== undefined && old.local !== a.local) this.ops.set(recordKey('alias', a.id, old.local), { kind: 'alias', id: a.id, record: undefined });
    this.ops.set(recordKey('alias', a.id, a.local), { kind: 'alias', id: a.id, record: a });
  }
  deleteAlias(a: EntityAliasRecord): void {
    this.ops.set(recordKey('alias', a.id, a.local), { kind: 'alias', id: a.id, record: undefined });
  }
  putGroup(g: GroupRecord): void {
    this.set('group', g.id, g);
  }
  deleteGroup(id: string): void {
    this.set('group', id, undefined);
  }
  putGroupAlias(a: GroupAliasRecord): void {
    this.set('group-alias', a.id, a);
  }
  deleteGroupAlias(id: string): void {
    this.set('group-alias', id, undefined);
  }

  entity(id: string): EntityRecord | undefined {
    return this.read('entity', id, () => this.index.entities.get(id)) as EntityRecord | undefined;
  }
  alias(id: string): EntityAliasRecord | undefined {
    const current = this.index.aliases.get(id);
    if (!storableId(id)) return current;
    for (const local of [false, true]) {
      const op = this.ops.get(recordKey('alias', id, local));
      if (op?.record !== undefined) return op.record as EntityAliasRecord;
    }
    if (current !== undefined && this.ops.has(recordKey('alias', id, current.local))) return undefined;
    return current;
  }
  group(id: string): GroupRecord | undefined {
    return this.read('group', id, () => this.index.groups.get(id)) as GroupRecord | undefined;
  }

  /** The storage batch: puts and deletes by key. */
  batch(): BatchOp[] {
    return [...this.ops].map(([key, op]) =>
      op.record === undefined ? { type: 'delete' as const, key } : { type: 'put' as const, key, value: Buffer.from(JSON.stringify(op.record)) },
    );
  }

  /** Apply to the indexes after the batch is stored: deletes first, so a moved key's put wins. */
  apply(): void {
    for (const op of this.ops.values()) if (op.record === undefined) removeFrom(this.index, op.kind, op.id);
    for (const op of this.ops.values()) if (op.record !== undefined) putInto(this.index, op.kind, op.record);
  }

  private set(kind: Exclude<RecordKind, 'alias'>, id: string, record: AnyRecord | undefined): void {
    this.ops.set(recordKey(kind, id), { kind, id, record });
  }

  private read(kind: Exclude<RecordKind, 'alias'>, id: string, fallback: () => AnyRecord | undefined): AnyRecord | undefined {
    // Caller-supplied ids that could never be stored are simply unknown (a 400 upstream, not a crash).
    const op = storableId(id) ? this.ops.get(recordKey(kind, id)) : undefined;
    return op === undefined ? fallback() : op.record;
  }
}

function storableId(id: string): boolean {
  return id !== '' && !id.includes('/');
}

export function putInto(index: IdentityIndex, kind: RecordKind, record: AnyRecord): void {
  switch (kind) {
    case 'entity':
      return index.putEntity(record as EntityRecord);
    case 'alias':
      return index.putAlias(record as EntityAliasRecord);
    case 'group':
      return index.putGroup(record as GroupRecord);
    case 'group-alias':
      return index.putGroupAlias(record as GroupAliasRecord);
  }
}

export function removeFrom(index: IdentityIndex, kind: RecordKind, id: string): void {
  switch (kind) {
    case 'entity':
      return index.removeEntity(id);
    case 'alias':
      return index.removeAlias(id);
    case 'group':
      return index.removeGroup(id);
    case 'group-alias':
      return index.removeGroupAlias(id);
  }
}
