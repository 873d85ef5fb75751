/** Starts bench/lib/node-host.js (an in-process-API server in its own process). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, spawnNode } from './child.js';
import { HOST_TOKEN, type HostSpec, type PrefillCommand } from './host-spec.js';
import { serverExecArgv } from './profiling.js';
import { recommendedServerFlags } from './server-flags.js';

const HOST = fileURLToPath(new URL('./node-host.js', import.meta.url));

export interface HostedNode {
  readonly url: string;
  readonly token: string;
  /** Time the KV prefill took, and the lease prefill. */
  readonly prefillMs: number;
  readonly leasesMs: number;
  readonly child: Child;
  /** Have the running node write `count` more KV keys (continuing the numbering) or leases; resolves with the ms taken. */
  prefill(op: PrefillCommand['op'], count: number, timeoutMs: number): Promise<number>;
  /** Stop the process and remove its database directory, if it had one. */
  stop(): Promise<void>;
}

/** `storage: 'sqlite'` without a dbPath gets a database in a temporary directory. */
export async function startHostedNode(spec: HostSpec): Promise<HostedNode> {
  const dir = spec.storage === 'sqlite' && spec.dbPath === undefined ? mkdtempSync(join(tmpdir(), 'arca-bench-node-')) : undefined;
  const full: HostSpec = dir === undefined ? spec : { ...spec, dbPath: join(dir, 'arca.db') };
  const cleanup = (): void => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  let child: Child;
  try {
    child = await spawnNode(HOST, {
      args: [JSON.stringify(full)],
      ready: /node ready (http:\/\/127\.0\.0\.1:\d+) (\d+) (\d+)/,
      timeoutMs: spec.prefillTimeoutMs * 2 + 20_000,
      execArgv: [...recommendedServerFlags(), ...serverExecArgv()],
    });
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    url: child.ready[0]!,
    token: HOST_TOKEN,
    prefillMs: Number(child.ready[1]),
    leasesMs: Number(child.ready[2]),
    child,
    async prefill(op, count, timeoutMs) {
      const cmd: PrefillCommand = { op, count, timeoutMs };
      const [ms, failure] = await child.ask(JSON.stringify(cmd), /prefilled \w+ (\d+)\n|prefill failed: (.*)\n/, timeoutMs + 10_000);
      if (ms === undefined) throw new Error(`node host: prefill of ${count} ${op} failed: ${failure ?? 'unknown'}`);
      return Number(ms);
    },
    async stop() {
      await child.stop();
      cleanup();
    },
  };
}
