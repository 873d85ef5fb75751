/**
 * GET /v1/auth/token/lookup-self with a service token holding only the `default` policy (which
 * grants it): the token step, the ACL and the token store's own read and rendering, on the
 * shared dev server.
 */
import { apiOk } from '../lib/http-client.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { Scenario } from './types.js';

export const tokenLookupSelf: Scenario = {
  name: 'token-lookup-self',
  baseline: 'http-baseline',
  async run(ctx) {
    const server = await ctx.devServer();
    const created = (await apiOk(server.url, 'POST', '/v1/auth/token/create', { token: server.token, body: { policies: ['default'], ttl: '768h' } })) as {
      auth: { client_token: string };
    };
    const { runs, median } = await measureLoad(ctx, this.name, server.child, {
      url: server.url,
      path: '/v1/auth/token/lookup-self',
      method: 'GET',
      headers: { 'X-Vault-Token': created.auth.client_token },
    });
    return { name: this.name, title: 'token lookup-self, default-policy service token (dev server)', runs, median, notes: failureNotes(runs) };
  },
};
