/** KV v2 read of one hot key on a dev server (inmem storage), through the full HTTP path. */
import { startDevServer } from '../lib/arca-server.js';
import { apiOk } from '../lib/http-client.js';
import { HOT_KEY, SECRET, kvDataPath } from '../lib/payload.js';
import { ratio } from '../lib/stats.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { Scenario } from './types.js';

export const kvReadHot: Scenario = {
  name: 'kv-read-hot',
  baseline: 'http-baseline',
  async run(ctx) {
    const server = await startDevServer();
    try {
      await apiOk(server.url, 'POST', kvDataPath(HOT_KEY), { token: server.token, body: { data: SECRET } });
      const { runs, median } = await measureLoad(ctx, 'kv-read-hot', server.child, {
        url: server.url,
        path: kvDataPath(HOT_KEY),
        method: 'GET',
        headers: { 'X-Vault-Token': server.token },
      });
      return { name: this.name, title: 'KV v2 read, one hot key (dev server, inmem)', runs, median, notes: failureNotes(runs) };
    } finally {
      await server.stop();
    }
  },
  target(result, baseline) {
    const r = ratio(result.median?.rps ?? 0, baseline?.median?.rps ?? 0);
    return { text: 'throughput >= 0.5x bare node:http', met: r >= 0.5 };
  },
};
