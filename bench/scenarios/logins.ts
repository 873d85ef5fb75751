/**
 * Logins on the shared dev server, each issuing a service token (1 h TTL, so each one also
 * enters the expiration queue):
 *  - approle: role_id + secret_id, a secret-ID lookup and a token write: the request pipeline's
 *    cost of a login;
 *  - userpass: dominated by scrypt (N=2^15, r=8, p=1: 32 MiB and tens of ms per attempt, on
 *    libuv's pool of 4 threads) by design, which is what makes guessing passwords expensive.
 *    Reported for what it is; the pipeline is compared through approle and token-lookup-self.
 */
import { type Login, setupApprole, setupUserpass } from '../lib/setup.js';
import { failureNotes, measureLoad } from './repeat.js';
import type { BenchContext, Scenario, ScenarioResult } from './types.js';

/** scrypt runs on libuv's 4 threads: more clients than that only queue (and time out). */
const USERPASS_CONNECTIONS = 8;

async function logins(
  ctx: BenchContext,
  name: string,
  title: string,
  setup: (url: string, root: string) => Promise<Login>,
  notes: string[],
  connections?: number,
): Promise<ScenarioResult> {
  const server = await ctx.devServer();
  const login = await setup(server.url, server.token);
  const { runs, median } = await measureLoad(ctx, name, server.child, {
    url: server.url,
    path: login.path,
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: login.body,
    ...(connections !== undefined ? { connections } : {}),
  });
  return { name, title, runs, median, notes: [...failureNotes(runs), ...notes] };
}

export const loginApprole: Scenario = {
  name: 'login-approle',
  baseline: 'http-baseline',
  run: (ctx) => logins(ctx, 'login-approle', 'approle login (role_id + secret_id), issues a token', (url, root) => setupApprole(url, root, 'bench-approle'), []),
};

export const loginUserpass: Scenario = {
  name: 'login-userpass',
  baseline: 'http-baseline',
  run: (ctx) =>
    logins(
      ctx,
      'login-userpass',
      `userpass login (scrypt), issues a token; ${USERPASS_CONNECTIONS} connections`,
      (url, root) => setupUserpass(url, root, 'bench-userpass'),
      [`bound by scrypt (N=2^15, r=8, p=1) on libuv threads by design, so ${USERPASS_CONNECTIONS} connections, not 64; see login-approle for the pipeline`],
      USERPASS_CONNECTIONS,
    ),
};
