/**
 * An AppRole backend over in-memory storage at an auth mount prefix, with a FakeClock and a
 * request helper that lets a test choose the caller's address.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { approleFactory } from '../../src/auth/approle/backend.js';
import { FakeClock } from '../../src/clock.js';
import { isArcaError } from '../../src/errors.js';
import type { BackendContext, BackendRequest, LogicalBackend, MountSettings } from '../../src/logical/backend.js';
import type { Operation, Response } from '../../src/logical/request.js';
import { StorageView } from '../../src/logical/storage.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

export interface AppRoleHarness {
  readonly storage: MemoryStorage;
  readonly clock: FakeClock;
  readonly ctx: BackendContext;
  readonly prefix: string;
  readonly backend: LogicalBackend;
  call(op: Operation, path: string, data?: Record<string, unknown>, remoteAddr?: string): Promise<Response | undefined>;
  /** Expect the call to fail with this status and exactly these errors. */
  fails(op: Operation, path: string, data: Record<string, unknown>, status: number, message: string, remoteAddr?: string): Promise<void>;
}

export function makeAppRole(storage = new MemoryStorage()): AppRoleHarness {
  const clock = new FakeClock();
  const uuid = randomUUID();
  const prefix = `auth/${uuid}/`;
  const mount: MountSettings = {
    path: 'auth/approle/',
    type: 'approle',
    accessor: 'auth_approle_1234abcd',
    uuid,
    local: false,
    options: {},
    defaultLeaseTTL: () => 2764800,
    maxLeaseTTL: () => 2764800,
  };
  const ctx: BackendContext = { storage: new StorageView(storage, prefix), mount, clock };
  const backend = approleFactory(ctx);
  const call = (op: Operation, path: string, data: Record<string, unknown> = {}, remoteAddr = '127.0.0.1') => {
    const req: BackendRequest = {
      id: randomUUID(),
      operation: op,
      path: `auth/approle/${path}`,
      relativePath: path,
      data,
      clientToken: '',
      headers: {},
      wrapTTL: 0,
      remoteAddr,
    };
    return backend.handleRequest(req);
  };
  const fails = async (op: Operation, path: string, data: Record<string, unknown>, status: number, message: string, remoteAddr?: string) => {
    await assert.rejects(call(op, path, data, remoteAddr), (err: unknown) => {
      assert.ok(isArcaError(err), `expected an ArcaError, got ${String(err)}`);
      assert.equal(err.status, status, err.message);
      assert.equal(err.message, message);
      return true;
    });
  };
  return { storage, clock, ctx, prefix, backend, call, fails };
}

/** Create a role and return its role ID. */
export async function createRole(h: AppRoleHarness, name: string, data: Record<string, unknown> = {}): Promise<string> {
  await h.call('create', `role/${name}`, data);
  const resp = await h.call('read', `role/${name}/role-id`);
  return resp?.data?.['role_id'] as string;
}

/** Generate a secret ID; returns the response data. */
export async function generate(h: AppRoleHarness, name: string, data: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const resp = await h.call('update', `role/${name}/secret-id`, data);
  assert.ok(resp?.data !== undefined);
  return resp.data;
}

/** Stored keys below the mount, relative to it. */
export function mountKeys(h: AppRoleHarness): string[] {
  return h.storage.keys().filter((k) => k.startsWith(h.prefix)).map((k) => k.slice(h.prefix.length));
}
