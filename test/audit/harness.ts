/**
 * An in-process dev node for the audit tests: requests go through the real pipeline (token,
 * ACL, audit, backend); audit files live in a temporary directory. Root token "root".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FakeClock } from '../../src/clock.js';
import { DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL, type TelemetryConfig } from '../../src/config/server-config-types.js';
import type { Operation, Request, Response } from '../../src/logical/request.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';

export const ROOT = 'root';

export interface AuditNode {
  readonly node: RunningNode;
  readonly physical: InmemPhysical;
  readonly clock: FakeClock;
  /** A temporary directory removed by close(). */
  readonly dir: string;
  call(op: Operation, path: string, data?: Record<string, unknown>, token?: string, extra?: Partial<Request>): Promise<Response | undefined>;
  /** The JSON entries of an audit file. */
  entries(file: string): Record<string, any>[];
  close(): Promise<void>;
}

export async function auditNode(opts: { telemetry?: Partial<TelemetryConfig>; logger?: Logger } = {}): Promise<AuditNode> {
  const clock = new FakeClock();
  const physical = new InmemPhysical();
  const node = await startNode(
    {
      ...DEFAULT_TOP_LEVEL,
      defaultLeaseTTL: 3600,
      maxLeaseTTL: 7200,
      storage: { type: 'inmem', options: {} },
      listeners: [],
      telemetry: { ...DEFAULT_TELEMETRY, ...opts.telemetry },
      replication: DEFAULT_REPLICATION,
      ignoredKeys: [],
    },
    { logger: opts.logger ?? silentLogger, clock, physical, dev: { rootTokenId: ROOT } },
  );
  const dir = mkdtempSync(join(tmpdir(), 'arca-audit-'));
  return {
    node,
    physical,
    clock,
    dir,
    call(op, path, data = {}, token = ROOT, extra = {}) {
      const req: Request = { id: randomUUID(), operation: op, path, data, clientToken: token, headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1', ...extra };
      return node.pipeline.handle(req);
    },
    entries(file) {
      const text = readFileSync(file, 'utf8');
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, any>);
    },
    async close() {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The request and response entries of one request id. */
export function pair(entries: readonly Record<string, any>[], id: string): { request?: Record<string, any>; response?: Record<string, any> } {
  const mine = entries.filter((e) => e['request']?.['id'] === id);
  return { request: mine.find((e) => e['type'] === 'request'), response: mine.find((e) => e['type'] === 'response') };
}
