/**
 * The replication state a node persists about itself, below REPLICATION_PREFIX (local), in
 * plaintext JSON directly on the physical store: a sealed node must know its mode, and the
 * applier must write its applied index in the same physical batch as the ciphertext it applies.
 * Nothing here is secret (key material of the cluster channel is part 2's, kept through the
 * barrier).
 */
import type { Physical } from '../storage/physical.js';
import { REPLICATION_APPLIED_INDEX, REPLICATION_SECONDARIES_PREFIX, REPLICATION_STATE } from '../storage/keys.js';
import type { BatchOp } from '../storage/physical.js';
import type { ReplicationMode } from './wal-physical.js';

export interface PersistedState {
  readonly mode: ReplicationMode;
  /** The replication set's id: made by primary/enable, adopted by a secondary. '' when disabled. */
  readonly clusterId: string;
  /** A primary's advertised cluster address (primary/enable `primary_cluster_addr`). */
  readonly primaryClusterAddr: string;
  /** A secondary's primary: API and cluster addresses, and its own id at that primary. */
  readonly primaryApiAddr: string;
  readonly secondaryId: string;
  /** Set by demote: the node keeps its data but refuses replicated writes until promoted or disabled. */
  readonly demoted: boolean;
  /** Bumped by sys/replication/reindex; reported as `last_reindex_epoch`. */
  readonly reindexEpoch: number;
}

export const DISABLED_STATE: PersistedState = Object.freeze({
  mode: 'disabled',
  clusterId: '',
  primaryClusterAddr: '',
  primaryApiAddr: '',
  secondaryId: '',
  demoted: false,
  reindexEpoch: 0,
});

/** A secondary as its primary knows it. */
export interface SecondaryRecord {
  readonly id: string;
  /** pending: token issued, never connected; active: has connected; revoked: refused from now on. */
  readonly status: 'pending' | 'active' | 'revoked';
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly apiAddr: string;
  readonly clusterAddr: string;
}

/** A secondary's position in its primary's log. */
export interface AppliedPosition {
  readonly index: number;
  /** The primary log's epoch `index` belongs to ('' before the first sync). */
  readonly epoch: string;
  /** A Merkle sync started and has not finished: catch up again before streaming. */
  readonly syncing: boolean;
  /** Primary time (ms) of the last applied entry, for lag in ms; 0 when unknown. */
  readonly time: number;
}

export const INITIAL_POSITION: AppliedPosition = Object.freeze({ index: 0, epoch: '', syncing: true, time: 0 });

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

async function readJSON<T>(physical: Physical, key: string): Promise<T | undefined> {
  const raw = await physical.get(key);
  return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as T);
}

export class ReplicationStateStore {
  constructor(private readonly physical: Physical) {}

  async loadState(): Promise<PersistedState> {
    const stored = await readJSON<Partial<PersistedState>>(this.physical, REPLICATION_STATE);
    return { ...DISABLED_STATE, ...(stored ?? {}) };
  }

  saveState(state: PersistedState): Promise<void> {
    return this.physical.put(REPLICATION_STATE, json(state));
  }

  async loadPosition(): Promise<AppliedPosition> {
    const stored = await readJSON<Partial<AppliedPosition>>(this.physical, REPLICATION_APPLIED_INDEX);
    return stored === undefined ? INITIAL_POSITION : { ...INITIAL_POSITION, ...stored };
  }

  /** The op that records a position; the applier puts it in the batch it applies. */
  positionOp(position: AppliedPosition): BatchOp {
    return { type: 'put', key: REPLICATION_APPLIED_INDEX, value: json(position) };
  }

  savePosition(position: AppliedPosition): Promise<void> {
    return this.physical.batch([this.positionOp(position)]);
  }

  async loadSecondaries(): Promise<SecondaryRecord[]> {
    const out: SecondaryRecord[] = [];
    for (const name of await this.physical.list(REPLICATION_SECONDARIES_PREFIX)) {
      if (name.endsWith('/')) continue;
      const rec = await readJSON<SecondaryRecord>(this.physical, REPLICATION_SECONDARIES_PREFIX + name);
      if (rec !== undefined) out.push(rec);
    }
    return out;
  }

  saveSecondary(rec: SecondaryRecord): Promise<void> {
    return this.physical.put(REPLICATION_SECONDARIES_PREFIX + encodeURIComponent(rec.id), json(rec));
  }

  deleteSecondary(id: string): Promise<void> {
    return this.physical.delete(REPLICATION_SECONDARIES_PREFIX + encodeURIComponent(id));
  }
}
