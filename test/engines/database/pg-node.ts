/**
 * An in-process node (real pipeline, FakeClock starting at the real time so VALID UNTIL
 * timestamps mean what they say to PostgreSQL) with a `database` mount configured against a
 * throwaway PostgreSQL from test/helpers/postgres.ts. The engine connects as its own
 * superuser `arca_engine`, never as the harness's superuser, so rotate-root cannot lock the
 * test out. Everything the node logs is captured, to assert no password reaches the log.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { FakeClock } from '../../../src/clock.js';
import { DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL } from '../../../src/config/server-config-types.js';
import type { Operation, Request, Response } from '../../../src/logical/request.js';
import { startNode, type RunningNode } from '../../../src/server/node.js';
import { InmemPhysical } from '../../../src/storage/inmem.js';
import { createLogger } from '../../../src/util/logger.js';
import type { PostgresCluster } from '../../helpers/postgres.js';

export const ROOT = 'root';
export const ENGINE_USER = 'arca_engine';

export interface DbNode {
  readonly node: RunningNode;
  readonly clock: FakeClock;
  /** The engine user's initial password (rotate-root replaces it). */
  readonly enginePassword: string;
  call(op: Operation, path: string, data?: Record<string, unknown>, token?: string): Promise<Response | undefined>;
  /** Everything the node logged so far. */
  logs(): string;
  close(): Promise<void>;
}

export async function dbNode(cluster: PostgresCluster, opts: { mount?: string; config?: Record<string, unknown> } = {}): Promise<DbNode> {
  const clock = new FakeClock(Date.now());
  let logged = '';
  const logger = createLogger({ level: 'trace', out: { write: (s: string) => (logged += s) } });
  const node = await startNode(
    {
      ...DEFAULT_TOP_LEVEL,
      defaultLeaseTTL: 3600,
      maxLeaseTTL: 7200,
      storage: { type: 'inmem', options: {} },
      listeners: [],
      telemetry: DEFAULT_TELEMETRY,
      replication: DEFAULT_REPLICATION,
      ignoredKeys: [],
    },
    { logger, clock, physical: new InmemPhysical(), dev: { rootTokenId: ROOT } },
  );
  let n = 0;
  const call: DbNode['call'] = (op, path, data = {}, token = ROOT) => {
    const req: Request = { id: `req-${++n}`, operation: op, path, data, clientToken: token, headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
    return node.pipeline.handle(req);
  };

  const enginePassword = `engine-${Math.random().toString(36).slice(2)}-Pw`;
  const exists = await cluster.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ENGINE_USER]);
  const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
  await cluster.query(`${verb} ROLE ${ENGINE_USER} WITH LOGIN SUPERUSER PASSWORD '${enginePassword}'`);

  const mount = opts.mount ?? 'database';
  await call('update', `sys/mounts/${mount}`, { type: 'database' });
  await call('update', `${mount}/config/pg`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${cluster.host}:${cluster.port}/postgres?sslmode=disable`,
    username: ENGINE_USER,
    password: enginePassword,
    allowed_roles: '*',
    ...opts.config,
  });
  return { node, clock, enginePassword, call, logs: () => logged, close: () => node.close() };
}

/** Whether user/password can open a session; false for PostgreSQL's authentication failures. */
export async function canLogin(cluster: PostgresCluster, user: string, password: string): Promise<boolean> {
  const client = new pg.Client({ host: cluster.host, port: cluster.port, user, password, database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query<{ u: string }>('SELECT current_user AS u');
    assert.equal(r.rows[0]?.u, user);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 28P01 invalid password (also for a user that does not exist), 28000 invalid authorization.
    if (code === '28P01' || code === '28000') return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Poll (real time) until `check` holds; FakeClock-fired work runs asynchronously. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
