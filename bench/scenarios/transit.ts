/** POST /v1/transit/encrypt/bench with a small plaintext (aes256-gcm96), on the shared dev server. */
import { setupTransit } from '../lib/setup.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { Scenario } from './types.js';

/** 32 bytes of application data, base64 as the API wants it. */
export const TRANSIT_PLAINTEXT = Buffer.from('card=4111111111111111;cvv=123;x').toString('base64');

export const transitEncrypt: Scenario = {
  name: 'transit-encrypt',
  baseline: 'http-baseline',
  async run(ctx) {
    const server = await ctx.devServer();
    await setupTransit(server.url, server.token, 'bench-transit');
    const { runs, median } = await measureLoad(ctx, this.name, server.child, {
      url: server.url,
      path: '/v1/bench-transit/encrypt/bench',
      method: 'POST',
      headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ plaintext: TRANSIT_PLAINTEXT }),
    });
    return { name: this.name, title: 'transit encrypt, 32-byte plaintext, aes256-gcm96 (dev server)', runs, median, notes: failureNotes(runs) };
  },
};
