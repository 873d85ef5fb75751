/**
 * An in-process dev node with a FakeClock for the token tests: requests go through the real
 * pipeline (token step, ACL, routing), not HTTP. The dev root token is "root".
 */
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL } from '../../src/config/server-config-types.js';
import { isArcaError } from '../../src/errors.js';
import type { Operation, Request, Response } from '../../src/logical/request.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import type { Physical } from '../../src/storage/physical.js';
import { silentLogger } from '../../src/util/logger.js';

export const ROOT = 'root';

export interface TokenNode {
  readonly node: RunningNode;
  readonly clock: FakeClock;
  readonly physical: InmemPhysical;
  call(op: Operation, path: string, data?: Record<string, unknown>, token?: string): Promise<Response | undefined>;
  /** Create a token as `parent` (root by default) and return its string. */
  token(data?: Record<string, unknown>, parent?: string, path?: string): Promise<string>;
  policy(name: string, hcl: string): Promise<void>;
  /** Tune the auth/token mount's TTLs (seconds). */
  tune(defaultTTL: number, maxTTL: number): Promise<void>;
  close(): Promise<void>;
}

export async function tokenNode(opts: { defaultLeaseTTL?: number; maxLeaseTTL?: number } = {}): Promise<TokenNode> {
  const clock = new FakeClock();
  const physical = new InmemPhysical();
  const node = await startNode(
    {
      ...DEFAULT_TOP_LEVEL,
      defaultLeaseTTL: opts.defaultLeaseTTL ?? 3600,
      maxLeaseTTL: opts.maxLeaseTTL ?? 7200,
      storage: { type: 'inmem', options: {} },
      listeners: [],
      telemetry: DEFAULT_TELEMETRY,
      replication: DEFAULT_REPLICATION,
      ignoredKeys: [],
    },
    { logger: silentLogger, clock, physical, dev: { rootTokenId: ROOT } },
  );
  let n = 0;
  const call: TokenNode['call'] = (op, path, data = {}, token = ROOT) => {
    const req: Request = { id: `req-${++n}`, operation: op, path, data, clientToken: token, headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
    return node.pipeline.handle(req);
  };
  return {
    node,
    clock,
    physical,
    call,
    async token(data = {}, parent = ROOT, path = 'auth/token/create') {
      const resp = await call('update', path, data, parent);
      const t = resp?.auth?.clientToken;
      assert.ok(t, `no token from ${path}`);
      return t;
    },
    async policy(name, hcl) {
      await node.core.policies.put(name, hcl);
    },
    async tune(defaultTTL, maxTTL) {
      await node.core.authMounts.tune('token', { config: { default_lease_ttl: defaultTTL, max_lease_ttl: maxTTL } });
    },
    close: () => node.close(),
  };
}

/** assert.rejects matcher: an ArcaError with this status and (exact or matching) message. */
export function fails(status: number, message?: string | RegExp) {
  return (err: unknown): boolean => {
    assert.ok(isArcaError(err), `expected an ArcaError, got ${String(err)}`);
    assert.equal(err.status, status, `status of "${err.message}"`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message !== undefined) assert.match(err.message, message);
    return true;
  };
}

/** Every physical key, recursively. */
export async function walk(p: Physical, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const k of await p.list(prefix)) {
    if (k.endsWith('/')) out.push(...(await walk(p, prefix + k)));
    else out.push(prefix + k);
  }
  return out;
}

/** Policy HCL granting capabilities on paths. */
export function grant(rules: Record<string, readonly string[]>): string {
  return Object.entries(rules)
    .map(([path, caps]) => `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(', ')}]\n}`)
    .join('\n');
}
