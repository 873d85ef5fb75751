/**
 * An in-process dev node (FakeClock, in-memory physical store) for the identity tests:
 * requests go through the real pipeline (token step, ACL, login step). Root token "root".
 */
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL } from '../../src/config/server-config-types.js';
import { isArcaError } from '../../src/errors.js';
import type { Operation, Request, Response } from '../../src/logical/request.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { silentLogger } from '../../src/util/logger.js';

export const ROOT = 'root';

export interface IdentityNode {
  readonly node: RunningNode;
  readonly unsealKey: Buffer;
  readonly clock: FakeClock;
  readonly physical: InmemPhysical;
  call(op: Operation, path: string, data?: Record<string, unknown>, token?: string): Promise<Response | undefined>;
  /** The call's data (asserting there is some). */
  data(op: Operation, path: string, data?: Record<string, unknown>, token?: string): Promise<Record<string, unknown>>;
  /** Expect an ArcaError with this status (and message, when given). */
  fails(op: Operation, path: string, data: Record<string, unknown>, status: number, message?: string, token?: string): Promise<void>;
  /** Enable an auth method; returns its accessor. */
  enableAuth(path: string, type: string, local?: boolean): Promise<string>;
  policy(name: string, hcl: string): Promise<void>;
  /** userpass login; returns the response's auth block. */
  userpassLogin(user: string, password: string, mount?: string): Promise<NonNullable<Response['auth']>>;
  close(): Promise<void>;
}

export async function identityNode(): Promise<IdentityNode> {
  const clock = new FakeClock();
  const physical = new InmemPhysical();
  const node = await startNode(
    {
      ...DEFAULT_TOP_LEVEL,
      storage: { type: 'inmem', options: {} },
      listeners: [],
      telemetry: DEFAULT_TELEMETRY,
      replication: DEFAULT_REPLICATION,
      ignoredKeys: [],
    },
    { logger: silentLogger, clock, physical, dev: { rootTokenId: ROOT } },
  );
  let n = 0;
  const call: IdentityNode['call'] = (op, path, data = {}, token = ROOT) => {
    const req: Request = { id: `req-${++n}`, operation: op, path, data, clientToken: token, headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
    return node.pipeline.handle(req);
  };
  const h: IdentityNode = {
    node,
    unsealKey: node.dev!.unsealKey,
    clock,
    physical,
    call,
    async data(op, path, data, token) {
      const r = await call(op, path, data, token);
      assert.ok(r?.data !== undefined, `no data from ${op} ${path}`);
      return r.data;
    },
    async fails(op, path, data, status, message, token) {
      await assert.rejects(call(op, path, data, token), (err: unknown) => {
        assert.ok(isArcaError(err), `expected an ArcaError, got ${String(err)}`);
        assert.equal(err.status, status, `status of "${err.message}"`);
        if (message !== undefined) assert.equal(err.message, message);
        return true;
      });
    },
    async enableAuth(path, type, local = false) {
      await call('update', `sys/auth/${path}`, { type, local });
      const entry = node.core.authMounts.find(path);
      assert.ok(entry, `auth method ${path} not enabled`);
      return entry.accessor;
    },
    async policy(name, hcl) {
      await node.core.policies.put(name, hcl);
    },
    async userpassLogin(user, password, mount = 'userpass') {
      const r = await call('update', `auth/${mount}/login/${user}`, { password }, '');
      assert.ok(r?.auth, `no auth from ${mount} login`);
      return r.auth;
    },
    close: () => node.close(),
  };
  return h;
}

/** Policy HCL granting capabilities on paths. */
export function grant(rules: Record<string, readonly string[]>): string {
  return Object.entries(rules)
    .map(([path, caps]) => `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(', ')}]\n}`)
    .join('\n');
}
