/**
 * Merkle catch-up on a secondary: find the keys on which the local replicated keyspace differs
 * from the primary's (roots, pages, subpages, leaves), fetch or delete exactly those, and then
 * set the applied position to the primary's `resumeIndex`. Writes landing on the primary during
 * the diff are after resumeIndex and arrive by the stream; a value fetched newer than the
 * snapshot is overwritten in order by that stream, so the end state is the primary's.
 */
import type { Logger } from '../util/logger.js';
import type { Applier } from './applier.js';
import type { MerkleTree } from './merkle.js';
import { PAGES } from './merkle.js';
import { RpcError, type MerkleRootResponse, type PrimaryLink } from './transport.js';

export interface MerkleSyncOptions {
  /** Keys per kv.fetch. */
  readonly chunkKeys: number;
  /** RPCs in flight at once. */
  readonly parallel: number;
  /** A page with more differing subpages than this is fetched whole in one call. */
  readonly wholePageAbove: number;
  /**
   * Retries of one RPC that failed as `unavailable` before the whole catch-up is abandoned: a
   * long sync over a lossy link must not start over at every lost message.
   */
  readonly retries: number;
  /** First retry delay (doubles per retry). */
  readonly retryDelayMs: number;
}

export const DEFAULT_MERKLE_SYNC: MerkleSyncOptions = { chunkKeys: 500, parallel: 4, wholePageAbove: 8, retries: 6, retryDelayMs: 50 };

export interface MerkleSyncResult {
  readonly fetched: number;
  readonly deleted: number;
  readonly resumeIndex: number;
}

/** Run `fn` over items with at most `n` in flight; the first failure rejects (others finish first). */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if (failed) throw failure;
}

function mismatch(what: string): RpcError {
  return new RpcError('unavailable', `misdelivered ${what} answer`);
}

/** A link whose calls are retried (same request: every RPC is idempotent) while `unavailable`. */
function retrying(link: PrimaryLink, opts: MerkleSyncOptions, sleep: (ms: number) => Promise<void>): PrimaryLink {
  return {
    close: () => link.close(),
    call: async (method, body) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await link.call(method, body);
        } catch (err) {
          if (!(err instanceof RpcError) || err.code !== 'unavailable' || attempt >= opts.retries) throw err;
          await sleep(opts.retryDelayMs * 2 ** attempt);
        }
      }
    },
  };
}

export async function merkleCatchUp(
  rawLink: PrimaryLink,
  local: MerkleTree,
  applier: Applier,
  setState: (state: 'merkle-diff' | 'merkle-sync') => void,
  logger: Logger,
  opts: MerkleSyncOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<MerkleSyncResult> {
  const link = retrying(rawLink, opts, sleep);
  setState('merkle-diff');
  await applier.beginSync();
  const root: MerkleRootResponse = await link.call('merkle.root', {});
  if (!Array.isArray(root.pages) || root.pages.length !== PAGES) throw mismatch('merkle.root');
  const toFetch = new Set<string>();
  const toDelete = new Set<string>();
  if (root.root !== local.root()) {
    const localPages = local.pageHashes();
    const pages = [...Array(PAGES).keys()].filter((p) => root.pages[p] !== localPages[p]);
    await pool(pages, opts.parallel, async (page) => {
      const subs = await link.call('merkle.subpages', { page });
      if (subs.page !== page || subs.subpages.length !== 256) throw mismatch('merkle.subpages');
      const localSubs = local.subpageHashes(page);
      const differing = [...Array(256).keys()].filter((s) => subs.subpages[s] !== localSubs[s]);
      const scopes: (number | undefined)[] = differing.length > opts.wholePageAbove ? [undefined] : differing;
      for (const subpage of scopes) {
        const got = await link.call('merkle.leaves', subpage === undefined ? { page } : { page, subpage });
        if (got.page !== page || got.subpage !== subpage) throw mismatch('merkle.leaves');
        const remote = new Map(got.leaves.map(([k, h]) => [k, h] as const));
        for (const [k, h] of remote) if (local.leaf(k)?.toString('hex') !== h) toFetch.add(k);
        for (const [k] of local.leaves(page, subpage)) if (!remote.has(k)) toDelete.add(k);
      }
    });
  }
  setState('merkle-sync');
  const fetchList = [...toFetch];
  const chunks: string[][] = [];
  for (let i = 0; i < fetchList.length; i += opts.chunkKeys) chunks.push(fetchList.slice(i, i + opts.chunkKeys));
  await pool(chunks, opts.parallel, async (keys) => {
    const got = await link.call('kv.fetch', { keys });
    if (got.values.length !== keys.length || got.values.some(([k], i) => k !== keys[i])) throw mismatch('kv.fetch');
    await applier.applyKeys(got.values.map(([k, v]) => [k, v === null ? null : Buffer.from(v, 'base64')] as const));
  });
  const deletes = [...toDelete];
  for (let i = 0; i < deletes.length; i += opts.chunkKeys) {
    await applier.applyKeys(deletes.slice(i, i + opts.chunkKeys).map((k) => [k, null] as const));
  }
  await applier.finishSync(root.resumeIndex, root.epoch, 0);
  logger.info('replication: merkle sync finished', { fetched: fetchList.length, deleted: deletes.length, resumeIndex: root.resumeIndex });
  return { fetched: fetchList.length, deleted: deletes.length, resumeIndex: root.resumeIndex };
}
