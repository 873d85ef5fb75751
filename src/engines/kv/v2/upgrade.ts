/**
 * In-place upgrade of a KV v1 mount to v2 (`vault kv enable-versioning`): every unversioned
 * secret at v1's `data/<path>` becomes version 1 of the same path in v2's layout.
 *
 * Crash safety comes from the unit of work, not from bookkeeping: each secret is converted by
 * one atomic batch that writes its v2 metadata and version 1 and deletes its v1 key, so at any
 * moment a secret is either wholly v1 or wholly v2. The remaining v1 keys are therefore the
 * only progress record; a later run (restart, retry) simply converts whatever is still there.
 *
 * Secrets are converted a batch of paths at a time. While a run is under way the backend
 * refuses requests with Vault's "Upgrading ..." error (503), as Vault does.
 */
import { UnavailableError } from '../../../errors.js';
import type { BackendContext } from '../../../logical/backend.js';
import type { StorageView } from '../../../logical/storage.js';
import type { BatchOp } from '../../../storage/physical.js';
import { DATA_PREFIX as V1_DATA_PREFIX } from '../v1/backend.js';
import { isPlainObject } from './json-merge.js';
import { deleteOp, KvStore } from './layout.js';
import { addVersion } from './versions.js';

/** Vault's text for requests that arrive while the upgrade runs. */
export const UPGRADE_IN_PROGRESS_MESSAGE =
  'Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.';

/** Secrets per atomic batch: 3 ops each, well under storage transaction limits. */
export const UPGRADE_BATCH_SIZE = 100;

/** Wait before retrying a run that failed (e.g. a transient storage error). */
export const UPGRADE_RETRY_MS = 10_000;

type UpgradeState =
  | { readonly kind: 'ready' }
  | { readonly kind: 'running'; readonly run: Promise<void> }
  | { readonly kind: 'retry-scheduled'; readonly cancel: () => void }
  | { readonly kind: 'stopped' };

/** Whether any v1 secret is still stored in this mount's view. */
export async function hasV1Data(storage: StorageView): Promise<boolean> {
  return (await storage.list(V1_DATA_PREFIX)).length > 0;
}

/**
 * The atomic conversion of some v1 secrets. A path that already has v2 metadata was converted
 * before (only a storage that broke batch atomicity could leave both): its v1 copy is
 * dropped rather than added again, so re-running never duplicates a version.
 */
async function convertBatch(storage: StorageView, paths: readonly string[], now: number): Promise<void> {
  const store = new KvStore(storage);
  const config = await store.config();
  const ops: BatchOp[] = [];
  for (const path of paths) {
    const v1Key = V1_DATA_PREFIX + path;
    const raw = await storage.get(v1Key);
    if (raw === undefined) continue;
    if ((await store.metadata(path)) === undefined) {
      const data: unknown = JSON.parse(raw.toString('utf8'));
      // v1 only ever stores JSON objects; anything else is corruption, and stopping keeps it intact.
      if (!isPlainObject(data)) throw new Error(`kv upgrade: value at ${JSON.stringify(path)} is not a JSON object`);
      ops.push(...addVersion(path, undefined, config, data, now).ops);
    }
    ops.push(deleteOp(v1Key));
  }
  if (ops.length > 0) await store.commit(ops);
}

/**
 * Convert every v1 secret, in one pass over the v1 tree. Each folder is listed once; keys
 * converted so far are gone from storage, so a stop or crash loses nothing and the next run
 * starts over on what is left. Returns false when stopped before the end.
 */
export async function upgradeV1Data(
  storage: StorageView,
  now: () => number,
  opts: { readonly batchSize?: number; readonly shouldStop?: () => boolean } = {},
): Promise<boolean> {
  const batchSize = opts.batchSize ?? UPGRADE_BATCH_SIZE;
  const shouldStop = opts.shouldStop ?? (() => false);
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    const paths = pending;
    pending = [];
    if (paths.length > 0) await convertBatch(storage, paths, now());
  };
  const walk = async (folder: string): Promise<boolean> => {
    for (const child of await storage.list(V1_DATA_PREFIX + folder)) {
      if (shouldStop()) return false;
      if (child.endsWith('/')) {
        if (!(await walk(folder + child))) return false;
        continue;
      }
      pending.push(folder + child);
      if (pending.length >= batchSize) await flush();
    }
    return true;
  };
  if (!(await walk(''))) return false;
  if (shouldStop()) return false;
  await flush();
  return true;
}

/**
 * One v2 backend's upgrade lifecycle. Until start() finds v1 data the backend is ready (a
 * backend never initialised, or created as v2, has nothing to convert).
 */
export class V1Upgrade {
  private state: UpgradeState = { kind: 'ready' };

  constructor(
    private readonly ctx: BackendContext,
    private readonly batchSize = UPGRADE_BATCH_SIZE,
  ) {}

  /**
   * Called from initialize: resolves once it is known whether v1 data exists, so a fresh v2
   * mount is never unavailable; the conversion itself runs in the background.
   */
  async start(): Promise<void> {
    if (this.state.kind !== 'ready') return;
    if (await hasV1Data(this.ctx.storage)) this.launch();
  }

  /** Throws Vault's upgrade error unless the backend can serve requests. */
  check(): void {
    if (this.state.kind !== 'ready') throw new UnavailableError(UPGRADE_IN_PROGRESS_MESSAGE);
  }

  /** Resolves when no run is in progress (finished, failed awaiting retry, or stopped). */
  async settled(): Promise<void> {
    if (this.state.kind === 'running') await this.state.run;
  }

  /** Called from cleanup (unmount, seal): stop between batches and wait, so no write follows. */
  async stop(): Promise<void> {
    const previous = this.state;
    this.state = { kind: 'stopped' };
    if (previous.kind === 'retry-scheduled') previous.cancel();
    if (previous.kind === 'running') await previous.run;
  }

  private launch(): void {
    const run = upgradeV1Data(this.ctx.storage, () => this.ctx.clock.now(), {
      batchSize: this.batchSize,
      shouldStop: () => this.state.kind === 'stopped',
    }).then(
      (finished) => {
        if (finished && this.state.kind === 'running') this.state = { kind: 'ready' };
      },
      () => {
        if (this.state.kind !== 'running') return;
        const cancel = this.ctx.clock.setTimer(UPGRADE_RETRY_MS, () => {
          if (this.state.kind === 'retry-scheduled') this.launch();
        });
        this.state = { kind: 'retry-scheduled', cancel };
      },
    );
    this.state = { kind: 'running', run };
  }
}
