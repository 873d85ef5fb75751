/**
 * sys/replication/merkle-check: rebuild the Merkle tree from storage and compare it with the
 * live one, page by page and subpage by subpage, in Vault's report shape (one replicated tree).
 */
import { BadRequestError } from '../errors.js';
import { scanReplicated } from './key-walk.js';
import type { ReplicationManager } from './manager.js';
import { MerkleTree } from './merkle.js';

export async function merkleCheck(manager: ReplicationManager, now: number): Promise<Record<string, unknown>> {
  if (manager.persisted.mode === 'disabled') throw new BadRequestError('replication is not enabled');
  const physical = manager.physical;
  const live = physical.merkle;
  const fresh = new MerkleTree();
  await scanReplicated(physical.inner, (k) => physical.isReplicated(k), (k, v) => fresh.set(k, v));
  const tuples: Record<string, unknown> = {};
  const livePages = live?.pageHashes() ?? [];
  fresh.pageHashes().forEach((hash, page) => {
    if (livePages[page] === hash) return;
    const liveSubs = live?.subpageHashes(page) ?? [];
    const subpages = fresh.subpageHashes(page).flatMap((h, i) => (liveSubs[i] === h ? [] : [i]));
    tuples[String(page)] = { corrupted: true, subpages };
  });
  const corruptedRoot = live === undefined || live.root() !== fresh.root();
  return {
    corrupted_root: corruptedRoot,
    corrupted_tree_map: {
      '1': {
        corrupted_index_tuples_map: Object.keys(tuples).length === 0 ? null : tuples,
        corrupted_subtree_root: corruptedRoot,
        root_hash: fresh.root(),
        tree_type: 'replicated',
      },
    },
    last_corruption_check_epoch: new Date(now).toISOString(),
  };
}
