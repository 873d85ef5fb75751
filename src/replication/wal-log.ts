/**
 * The primary's write-ahead log bookkeeping: index allocation, the committed watermark, reading
 * entries back for wal.fetch, and bounded retention. The entries themselves are written by
 * ReplicatedPhysical in the same physical batch as the write they describe; this class only
 * allocates their indexes and learns how each batch ended.
 *
 * Indexes are allocated synchronously when a write is submitted, so on a backend that commits in
 * submission order (SQLite's group commit) index order is commit order. Where commits may
 * reorder (a PostgreSQL pool), `committed` is a watermark: the highest index at or below which
 * every allocated index has settled (committed, or failed and filled with an empty entry).
 * Readers never see past it, so a secondary never skips an index that commits late.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { BatchOp, Physical } from '../storage/physical.js';
import { REPLICATION_WAL_META, WAL_PREFIX } from '../storage/keys.js';
import type { Logger } from '../util/logger.js';
import type { WalEntry } from './transport.js';

export interface WalRetention {
  /** Most entries kept (at least 1). */
  readonly entries: number;
  /** Most bytes of entries kept (soft bound; the newest entry is always kept). */
  readonly bytes: number;
}

interface WalMeta {
  epoch: string;
  oldest: number;
  /** Bytes of the entries counted up to `through`. */
  bytes: number;
  through: number;
}

/** Most recent entries kept decoded in memory, so a streaming secondary costs no storage reads. */
const RECENT_ENTRIES = 4096;
const RECENT_BYTES = 64 * 1024 * 1024;
const TRIM_CHUNK = 256;
const LIST_PAGE = 1000;
const FILL_RETRY_MS = 500;

export function walKey(index: number): string {
  return WAL_PREFIX + String(index).padStart(20, '0');
}

export function encodeEntry(entry: WalEntry): Buffer {
  return Buffer.from(JSON.stringify(entry), 'utf8');
}

export function decodeEntry(raw: Buffer): WalEntry {
  return JSON.parse(raw.toString('utf8')) as WalEntry;
}

export type CommittedListener = (committed: number) => void;

export class WalLog {
  private epochId = '';
  private oldestIndex = 1;
  private next = 1;
  private watermark = 0;
  /** Settled indexes above the watermark, waiting for the ones below them. */
  private readonly settledAhead = new Set<number>();
  private readonly recent = new Map<number, WalEntry>();
  private recentBytes = 0;
  /** Sizes of entries counted into `bytes` since start (older ones are read when trimmed). */
  private readonly sizes = new Map<number, number>();
  private bytes = 0;
  private metaDirty = false;
  private readonly listeners = new Set<CommittedListener>();
  private cancelTimer: (() => void) | undefined;
  private trimming: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly physical: Physical,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private retention: WalRetention,
    private readonly trimIntervalMs = 1000,
  ) {}

  get epoch(): string {
    return this.epochId;
  }
  /** Oldest index still retained (the last committed index + 1 when the log is empty). */
  get oldest(): number {
    return this.oldestIndex;
  }
  /** Highest index below which everything has settled: what readers may see. */
  get committed(): number {
    return this.watermark;
  }
  /**
   * Highest index whose batch has finished (committed, or failed and filled): every write
   * acknowledged so far is at or below it. Unlike lastAllocated it leaves out batches still
   * committing, which a write answered now does not depend on.
   */
  get lastSettled(): number {
    let top = this.watermark;
    for (const i of this.settledAhead) if (i > top) top = i;
    return top;
  }
  /** Highest index handed out. */
  get lastAllocated(): number {
    return this.next - 1;
  }
  get retainedBytes(): number {
    return this.bytes;
  }

  setRetention(retention: WalRetention): void {
    this.retention = retention;
  }

  /** Load the log's position from storage; fills holes a crash left between committed entries. */
  async open(): Promise<void> {
    const metaRaw = await this.physical.get(REPLICATION_WAL_META);
    const meta = metaRaw === undefined ? undefined : (JSON.parse(metaRaw.toString('utf8')) as WalMeta);
    const indexes = await this.scanIndexes();
    this.epochId = meta?.epoch || randomUUID();
    this.recent.clear();
    this.recentBytes = 0;
    this.sizes.clear();
    this.settledAhead.clear();
    if (indexes.length === 0) {
      const last = meta === undefined ? 0 : meta.oldest - 1;
      this.oldestIndex = last + 1;
      this.next = last + 1;
      this.watermark = last;
      this.bytes = 0;
    } else {
      const first = indexes[0] as number;
      const last = indexes[indexes.length - 1] as number;
      const present = new Set(indexes);
      const holes: BatchOp[] = [];
      for (let i = first; i <= last; i++) {
        if (!present.has(i)) holes.push({ type: 'put', key: walKey(i), value: encodeEntry({ index: i, time: this.clock.now(), ops: [] }) });
      }
      for (let i = 0; i < holes.length; i += TRIM_CHUNK) await this.physical.batch(holes.slice(i, i + TRIM_CHUNK));
      if (holes.length > 0) this.logger.warn('replication: filled WAL holes left by an interrupted write', { count: holes.length });
      this.oldestIndex = first;
      this.next = last + 1;
      this.watermark = last;
      let bytes = meta !== undefined && meta.through >= first ? meta.bytes : 0;
      const countFrom = meta !== undefined && meta.through >= first ? meta.through + 1 : first;
      for (let i = countFrom; i <= last; i++) {
        const raw = await this.physical.get(walKey(i));
        if (raw !== undefined) {
          bytes += raw.length;
          this.sizes.set(i, raw.length);
        }
      }
      this.bytes = bytes;
    }
    this.metaDirty = meta === undefined || meta.epoch !== this.epochId;
    await this.saveMeta();
  }

  /**
   * Start a new log (new epoch), deleting every old entry. Numbering starts at `firstIndex`: a
   * promoted secondary continues from the index it had applied, so an X-Vault-Index a client got
   * before the promotion is still judged right after it (reached, or waited for).
   */
  async reset(firstIndex = 1): Promise<void> {
    if (!Number.isSafeInteger(firstIndex) || firstIndex < 1) throw new RangeError('the first WAL index must be a positive integer');
    const indexes = await this.scanIndexes();
    for (let i = 0; i < indexes.length; i += TRIM_CHUNK) {
      await this.physical.batch(indexes.slice(i, i + TRIM_CHUNK).map((n) => ({ type: 'delete' as const, key: walKey(n) })));
    }
    this.epochId = randomUUID();
    this.oldestIndex = firstIndex;
    this.next = firstIndex;
    this.watermark = firstIndex - 1;
    this.bytes = 0;
    this.recent.clear();
    this.recentBytes = 0;
    this.sizes.clear();
    this.settledAhead.clear();
    this.metaDirty = true;
    await this.saveMeta();
  }

  /** Hand out the next index. Synchronous: call it in submission order. */
  allocate(): number {
    return this.next++;
  }

  /** The batch carrying entry `index` committed. */
  committedEntry(entry: WalEntry, size: number): void {
    this.remember(entry, size);
    this.settle(entry.index);
  }

  /**
   * The batch carrying `index` failed. If its entry is in storage anyway (the acknowledgement,
   * not the commit, was lost) it counts as committed and `foundCommitted` replays its effects;
   * otherwise an empty entry fills the index. Retries until storage answers: the watermark must
   * not pass an index whose fate is unknown.
   */
  failedEntry(index: number, foundCommitted: (entry: WalEntry) => void): void {
    const attempt = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        const raw = await this.physical.get(walKey(index));
        if (raw !== undefined) {
          const entry = decodeEntry(raw);
          foundCommitted(entry);
          this.remember(entry, raw.length);
        } else {
          const empty: WalEntry = { index, time: this.clock.now(), ops: [] };
          const value = encodeEntry(empty);
          await this.physical.put(walKey(index), value);
          this.remember(empty, value.length);
        }
        this.settle(index);
      } catch (err) {
        this.logger.warn('replication: cannot settle a failed WAL index yet; retrying', { index, error: err as Error });
        this.clock.setTimer(FILL_RETRY_MS, () => void attempt());
      }
    };
    void attempt();
  }

  /** Subscribe to watermark advances; returns the unsubscribe function. */
  onCommitted(listener: CommittedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Entries after `after`, up to the watermark, at most `max` and about `maxBytes`; 'trimmed'
   * when some wanted entry is no longer retained.
   */
  async read(after: number, max: number, maxBytes: number): Promise<WalEntry[] | 'trimmed'> {
    if (after + 1 < this.oldestIndex) return 'trimmed';
    const upto = Math.min(this.watermark, after + Math.max(1, max));
    const out: WalEntry[] = [];
    let bytes = 0;
    for (let i = after + 1; i <= upto; i++) {
      let entry = this.recent.get(i);
      if (entry === undefined) {
        const raw = await this.physical.get(walKey(i));
        if (raw === undefined) {
          if (i < this.oldestIndex) return 'trimmed';
          throw new Error(`WAL entry ${i} is missing below the committed index`);
        }
        bytes += raw.length;
        entry = decodeEntry(raw);
      } else {
        bytes += this.sizes.get(i) ?? 0;
      }
      out.push(entry);
      if (bytes >= maxBytes) break;
    }
    // Trimmed while we read: the entries we got may be fine, but the caller must not trust a gap.
    if (after + 1 < this.oldestIndex) return 'trimmed';
    return out;
  }

  /** Run the retention trimmer every trimIntervalMs until stop(). */
  startTrimmer(): void {
    this.stopped = false;
    if (this.cancelTimer !== undefined) return;
    const tick = (): void => {
      this.cancelTimer = undefined;
      if (this.stopped) return;
      void this.trim()
        .catch((err: unknown) => this.logger.warn('replication: WAL trim failed', { error: err as Error }))
        .finally(() => {
          if (!this.stopped) this.cancelTimer = this.clock.setTimer(this.trimIntervalMs, tick);
        });
    };
    this.cancelTimer = this.clock.setTimer(this.trimIntervalMs, tick);
  }

  /** Stop the trimmer and any retry; waits for a trim in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.trimming;
  }

  /** Delete the oldest entries beyond either retention bound; the newest committed one always stays. */
  trim(): Promise<void> {
    this.trimming ??= this.trimNow().finally(() => {
      this.trimming = undefined;
    });
    return this.trimming;
  }

  private async trimNow(): Promise<void> {
    const maxEntries = Math.max(1, this.retention.entries);
    while (this.oldestIndex < this.watermark) {
      const count = this.watermark - this.oldestIndex + 1;
      const overCount = Math.max(0, count - maxEntries);
      if (overCount === 0 && this.bytes <= this.retention.bytes) break;
      const from = this.oldestIndex;
      let to = from + Math.min(TRIM_CHUNK, Math.max(overCount, 1));
      to = Math.min(to, this.watermark);
      let freed = 0;
      for (let i = from; i < to; i++) freed += await this.sizeOf(i);
      // Readers see the new oldest before the entries go, so a racing read reports 'trimmed'.
      this.oldestIndex = to;
      this.bytes = Math.max(0, this.bytes - freed);
      const ops: BatchOp[] = [];
      for (let i = from; i < to; i++) {
        ops.push({ type: 'delete', key: walKey(i) });
        this.forgetRecent(i);
        this.sizes.delete(i);
      }
      ops.push({ type: 'put', key: REPLICATION_WAL_META, value: this.metaValue() });
      await this.physical.batch(ops);
      this.metaDirty = false;
    }
    if (this.metaDirty) await this.saveMeta();
  }

  private async sizeOf(index: number): Promise<number> {
    const known = this.sizes.get(index);
    if (known !== undefined) return known;
    const raw = await this.physical.get(walKey(index));
    return raw?.length ?? 0;
  }

  private remember(entry: WalEntry, size: number): void {
    if (!this.sizes.has(entry.index)) {
      this.sizes.set(entry.index, size);
      this.bytes += size;
      this.metaDirty = true;
    }
    if (!this.recent.has(entry.index)) {
      this.recent.set(entry.index, entry);
      this.recentBytes += this.sizes.get(entry.index) ?? size;
    }
    while (this.recent.size > RECENT_ENTRIES || this.recentBytes > RECENT_BYTES) {
      const oldestKey = this.recent.keys().next().value as number;
      this.forgetRecent(oldestKey);
    }
  }

  private forgetRecent(index: number): void {
    if (this.recent.delete(index)) this.recentBytes -= this.sizes.get(index) ?? 0;
  }

  private settle(index: number): void {
    if (index !== this.watermark + 1) {
      this.settledAhead.add(index);
      return;
    }
    let w = index;
    while (this.settledAhead.delete(w + 1)) w++;
    this.watermark = w;
    for (const l of this.listeners) l(w);
  }

  private metaValue(): Buffer {
    const meta: WalMeta = { epoch: this.epochId, oldest: this.oldestIndex, bytes: this.bytes, through: this.watermark };
    return Buffer.from(JSON.stringify(meta), 'utf8');
  }

  private async saveMeta(): Promise<void> {
    this.metaDirty = false;
    await this.physical.put(REPLICATION_WAL_META, this.metaValue());
  }

  private async scanIndexes(): Promise<number[]> {
    const out: number[] = [];
    let after = '';
    for (;;) {
      const page = await this.physical.listPage(WAL_PREFIX, after, LIST_PAGE);
      for (const name of page) if (!name.endsWith('/')) out.push(Number(name));
      if (page.length < LIST_PAGE) break;
      after = page[page.length - 1] as string;
    }
    return out.filter((n) => Number.isSafeInteger(n) && n > 0).sort((a, b) => a - b);
  }
}
