/**
 * A dev server for ACL tests, reached over real HTTP, plus a way to mint non-root tokens.
 * Preferred: a real `arca server -dev` process, tokens from POST auth/token/create. While the
 * token backend cannot create tokens yet, the same tests run against an in-process node (same
 * listener, same pipeline) whose tokens come from core.tokens.create.
 */
import { DEFAULT_MAX_REQUEST_SIZE, DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL, type ServerConfig } from '../../src/config/server-config-types.js';
import { startNode } from '../../src/server/node.js';
import { silentLogger } from '../../src/util/logger.js';
import { api, startServerProcess } from '../helpers/server-process.js';

export interface MintedToken {
  readonly token: string;
  readonly accessor: string;
}

export interface AclHarness {
  readonly url: string;
  readonly root: string;
  /** "process" when tokens come from auth/token/create on a server process. */
  readonly mode: 'process' | 'in-process';
  /** A token with `policies` plus `default`, as auth/token/create issues by default. */
  mint(policies: readonly string[]): Promise<MintedToken>;
  close(): Promise<void>;
}

const ROOT = 'acl-root-token';

function inProcessConfig(): ServerConfig {
  return {
    ...DEFAULT_TOP_LEVEL,
    storage: { type: 'inmem', options: {} },
    listeners: [
      {
        type: 'tcp',
        address: '127.0.0.1:0',
        host: '127.0.0.1',
        port: 0,
        clusterAddress: '127.0.0.1:0',
        tls: { enabled: false },
        maxRequestSize: DEFAULT_MAX_REQUEST_SIZE,
      },
    ],
    telemetry: DEFAULT_TELEMETRY,
    replication: DEFAULT_REPLICATION,
    ignoredKeys: [],
  };
}

export async function startAclHarness(): Promise<AclHarness> {
  const server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const viaHttp = async (policies: readonly string[]): Promise<MintedToken | undefined> => {
    const r = await api(server.url, 'POST', 'auth/token/create', { token: ROOT, body: { policies, ttl: '1h' } });
    const auth = r.body?.auth;
    if (r.status !== 200 || typeof auth?.client_token !== 'string') return undefined;
    return { token: auth.client_token, accessor: auth.accessor };
  };
  // ACL_HARNESS=in-process forces the fallback, to check it still works.
  if (process.env['ACL_HARNESS'] !== 'in-process' && (await viaHttp(['default'])) !== undefined) {
    return {
      url: server.url,
      root: ROOT,
      mode: 'process',
      async mint(policies) {
        const t = await viaHttp(policies);
        if (t === undefined) throw new Error('auth/token/create failed');
        return t;
      },
      close: async () => void (await server.stop()),
    };
  }
  await server.stop();

  const node = await startNode(inProcessConfig(), { logger: silentLogger, dev: { rootTokenId: ROOT } });
  return {
    url: node.listeners[0]!.url,
    root: ROOT,
    mode: 'in-process',
    async mint(policies) {
      const issued = await node.core.tokens.create({
        policies: [...new Set([...policies, 'default'])].sort(),
        path: 'auth/token/create',
        displayName: 'token',
        ttl: 3600,
        renewable: true,
        type: 'service',
      });
      return { token: issued.token, accessor: issued.entry.accessor };
    },
    close: () => node.close(),
  };
}
