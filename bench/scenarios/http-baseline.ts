/**
 * Baseline: a bare node:http server (own process) answering a fixed JSON body exactly as large
 * as a KV v2 read response. This is the platform's limit on this machine; read scenarios are
 * divided by it.
 */
import { fileURLToPath } from 'node:url';
import { spawnNode } from '../lib/child.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { Scenario } from './types.js';

const SERVER = fileURLToPath(new URL('../lib/baseline-server.js', import.meta.url));

export const httpBaseline: Scenario = {
  name: 'http-baseline',
  async run(ctx) {
    const bytes = await ctx.kvReadBytes();
    const child = await spawnNode(SERVER, { args: [String(bytes)], ready: /baseline listening (\d+)/, timeoutMs: 10_000 });
    try {
      const url = `http://127.0.0.1:${child.ready[0]!}`;
      const { runs, median } = await measureLoad(ctx, 'http-baseline', child, { url, path: '/v1/secret/data/app/hot', method: 'GET', headers: { 'X-Vault-Token': 'root' } });
      return { name: this.name, title: `bare node:http, fixed ${bytes}-byte JSON body`, runs, median, notes: failureNotes(runs) };
    } finally {
      await child.stop();
    }
  },
};
