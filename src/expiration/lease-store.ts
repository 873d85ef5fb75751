/**
 * Storage layout of leases below LEASE_PREFIX (local storage):
 *   id/<leaseId>                    LeaseEntry JSON (lease ids contain "/", so these nest and
 *                                   LIST sys/leases/lookup/<prefix> is a one-level listing)
 *   token/<tokenHash>/<leaseHash>   lease id, to revoke a token's leases
 */
import type { BatchOp } from '../storage/physical.js';
import { sha256Hex } from '../util/sha256.js';
import type { StorageView } from '../logical/storage.js';
import type { LeaseEntry } from './lease-entry.js';

const ID = 'id/';
const TOKEN = 'token/';

function leaseHash(leaseId: string): string {
  return sha256Hex(leaseId);
}

export class LeaseStore {
  constructor(private readonly view: StorageView) {}

  get(leaseId: string): Promise<LeaseEntry | undefined> {
    return this.view.getJSON<LeaseEntry>(ID + leaseId);
  }

  /** Write a new lease with its token index entry in one batch. */
  async create(entry: LeaseEntry): Promise<void> {
    const ops: BatchOp[] = [{ type: 'put', key: ID + entry.leaseId, value: Buffer.from(JSON.stringify(entry)) }];
    if (entry.tokenHash !== '') {
      ops.push({ type: 'put', key: `${TOKEN}${entry.tokenHash}/${leaseHash(entry.leaseId)}`, value: Buffer.from(entry.leaseId) });
    }
    await this.view.batch(ops);
  }

  update(entry: LeaseEntry): Promise<void> {
    return this.view.putJSON(ID + entry.leaseId, entry);
  }

  async delete(entry: LeaseEntry): Promise<void> {
    const ops: BatchOp[] = [{ type: 'delete', key: ID + entry.leaseId }];
    if (entry.tokenHash !== '') ops.push({ type: 'delete', key: `${TOKEN}${entry.tokenHash}/${leaseHash(entry.leaseId)}` });
    await this.view.batch(ops);
  }

  /** One level below a lease-id prefix ("" or ending in "/"). */
  list(prefix: string): Promise<string[]> {
    return this.view.list(ID + prefix);
  }

  /** Every lease id under a prefix (which need not end in "/"). */
  async idsUnder(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf('/');
    const folder = prefix.slice(0, slash + 1);
    const out: string[] = [];
    for (const key of await this.view.listRecursive(ID + folder)) {
      const id = key.slice(ID.length);
      if (id.startsWith(prefix)) out.push(id);
    }
    return out;
  }

  /** Tokens that have (or had) leases. */
  async tokenHashes(): Promise<string[]> {
    return (await this.view.list(TOKEN)).filter((k) => k.endsWith('/')).map((k) => k.slice(0, -1));
  }

  async idsOfToken(tokenHash: string): Promise<string[]> {
    const keys = await this.view.list(`${TOKEN}${tokenHash}/`);
    const out: string[] = [];
    for (const k of keys) {
      const raw = await this.view.get(`${TOKEN}${tokenHash}/${k}`);
      if (raw !== undefined) out.push(raw.toString('utf8'));
    }
    return out;
  }
}
