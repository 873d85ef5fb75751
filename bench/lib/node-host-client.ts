/** Starts bench/lib/node-host.js (an in-process-API server in its own process). */
import { fileURLToPath } from 'node:url';
import { type Child, spawnNode } from './child.js';
import { HOST_TOKEN, type HostSpec } from './host-spec.js';
import { serverExecArgv } from './profiling.js';

const HOST = fileURLToPath(new URL('./node-host.js', import.meta.url));

export interface HostedNode {
  readonly url: string;
  readonly token: string;
  readonly prefillMs: number;
  readonly child: Child;
}

export async function startHostedNode(spec: HostSpec): Promise<HostedNode> {
  const child = await spawnNode(HOST, {
    args: [JSON.stringify(spec)],
    ready: /node ready (http:\/\/127\.0\.0\.1:\d+) (\d+)/,
    timeoutMs: spec.prefillTimeoutMs + 20_000,
    execArgv: serverExecArgv(),
  });
  return { url: child.ready[0]!, token: HOST_TOKEN, prefillMs: Number(child.ready[1]), child };
}
