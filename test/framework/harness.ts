/**
 * Test harness for backends without sockets: a mount context over MemoryStorage with a
 * FakeClock, and a helper to build BackendRequests.
 */
import { randomUUID } from 'node:crypto';
import { FakeClock } from '../../src/clock.js';
import type { BackendContext, BackendRequest, LogicalBackend, MountSettings } from '../../src/logical/backend.js';
import type { Operation, Response } from '../../src/logical/request.js';
import { StorageView } from '../../src/logical/storage.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

export interface Harness {
  readonly storage: MemoryStorage;
  readonly clock: FakeClock;
  readonly ctx: BackendContext;
  /** Storage prefix of the mount. */
  readonly prefix: string;
}

export function makeHarness(opts: { type?: string; options?: Record<string, string>; defaultTTL?: number } = {}): Harness {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const uuid = randomUUID();
  const prefix = `logical/${uuid}/`;
  const mount: MountSettings = {
    path: 'secret/',
    type: opts.type ?? 'kv',
    accessor: 'kv_1234abcd',
    uuid,
    local: false,
    options: opts.options ?? {},
    defaultLeaseTTL: () => opts.defaultTTL ?? 2764800,
    maxLeaseTTL: () => 2764800,
  };
  return { storage, clock, prefix, ctx: { storage: new StorageView(storage, prefix), mount, clock } };
}

export function request(operation: Operation, relativePath: string, data: Record<string, unknown> = {}): BackendRequest {
  return {
    id: randomUUID(),
    operation,
    path: `secret/${relativePath}`,
    relativePath,
    data,
    clientToken: '',
    headers: {},
    wrapTTL: 0,
    remoteAddr: '127.0.0.1',
  };
}

/** Shorthand: call handleRequest. */
export function call(
  backend: LogicalBackend,
  operation: Operation,
  relativePath: string,
  data: Record<string, unknown> = {},
): Promise<Response | undefined> {
  return backend.handleRequest(request(operation, relativePath, data));
}
