/**
 * renew, renew-self and renew-accessor. Vault's rules: only renewable service tokens with an
 * expiry renew; a periodic token gets its period again (never beyond explicit_max_ttl);
 * otherwise the increment asked for (default: the TTL it was created with), never beyond the
 * token's ceilings counted from its creation: its max TTL, the auth/token mount's max for
 * tokens it issued, and explicit_max_ttl. A token at its ceiling cannot renew. A token an auth
 * method issued is first put to that method (renewLogin), which may refuse, decline or bring
 * its current TTL, max TTL and period; the issuing mount's max and explicit_max_ttl still bound it.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { BackendContext } from '../logical/backend.js';
import type { Response } from '../logical/request.js';
import { formatDuration } from '../util/duration.js';
import { authBlockOf, type MethodRenewal, type TokenDeps } from './token-deps.js';
import type { TokenEntry } from './token-entry.js';
import type { FoundToken } from './token-store.js';

export interface Renewal {
  /** Seconds granted from now. */
  readonly ttl: number;
  readonly warnings: readonly string[];
}

function minSet(values: readonly number[]): number {
  const set = values.filter((v) => v > 0);
  return set.length === 0 ? 0 : Math.min(...set);
}

/**
 * The TTL a renewal grants (throws Vault's 400s). `mountMaxTTL` is the issuing mount's
 * current max when known, 0 otherwise (the entry's maxTTL then carries it from creation).
 */
export function computeRenewal(entry: TokenEntry, nowMs: number, increment: number, mountMaxTTL: number): Renewal {
  assertRenewable(entry);
  const secondsLeft = (ceiling: number): number => {
    const left = Math.floor((entry.creationTime + ceiling * 1000 - nowMs) / 1000);
    if (left <= 0) throw new BadRequestError('past the max TTL, cannot renew');
    return left;
  };
  if (entry.period > 0) {
    if (entry.explicitMaxTTL === 0) return { ttl: entry.period, warnings: [] };
    const left = secondsLeft(entry.explicitMaxTTL);
    if (entry.period <= left) return { ttl: entry.period, warnings: [] };
    return {
      ttl: left,
      warnings: [`period of ${JSON.stringify(formatDuration(entry.period))} exceeded the effective max_ttl of ${JSON.stringify(formatDuration(left))}; period value is capped accordingly`],
    };
  }
  const ttl = increment > 0 ? increment : entry.creationTTL;
  const ceiling = minSet([entry.maxTTL, mountMaxTTL, entry.explicitMaxTTL]);
  if (ceiling === 0) return { ttl, warnings: [] };
  const left = secondsLeft(ceiling);
  if (ttl <= left) return { ttl, warnings: [] };
  return {
    ttl: left,
    warnings: [`TTL of ${JSON.stringify(formatDuration(ttl))} exceeded the effective max_ttl of ${JSON.stringify(formatDuration(left))}; TTL value is capped accordingly`],
  };
}

/** The store's own refusals, which come before any auth method is asked. */
function assertRenewable(entry: TokenEntry): void {
  if (entry.type === 'batch') throw new BadRequestError('batch tokens cannot be renewed');
  if (!entry.renewable) throw new BadRequestError('lease is not renewable');
  if (entry.expireTime === 0) throw new BadRequestError('lease not found or lease is not renewable');
}

/** The issuing method's answer; its refusals read as Vault's "failed to renew entry: ...". */
async function askMethod(deps: TokenDeps, entry: TokenEntry): Promise<MethodRenewal | undefined> {
  if (deps.renewWithMethod === undefined) return undefined;
  try {
    return await deps.renewWithMethod(entry);
  } catch (err) {
    if (err instanceof BadRequestError) throw new BadRequestError(`failed to renew entry: ${err.message}`);
    throw err;
  }
}

/** The renewal granted, or undefined when the issuing method declined (nothing changes). */
async function grant(deps: TokenDeps, entry: TokenEntry, nowMs: number, increment: number, ctx: BackendContext): Promise<Renewal | undefined> {
  const ownMount = entry.mountAccessor === '' || entry.mountAccessor === ctx.mount.accessor;
  if (ownMount) return computeRenewal(entry, nowMs, increment, ctx.mount.maxLeaseTTL());
  assertRenewable(entry);
  const method = await askMethod(deps, entry);
  if (method === undefined) return computeRenewal(entry, nowMs, increment, 0);
  const r = method.result;
  if (r.kind === 'decline') return undefined;
  // The method's current settings stand in for those the token was issued with, for this renewal.
  const asMethodSays: TokenEntry = {
    ...entry,
    creationTTL: r.ttl !== undefined && r.ttl > 0 ? r.ttl : entry.creationTTL,
    maxTTL: r.maxTTL ?? entry.maxTTL,
    period: r.period ?? entry.period,
  };
  return computeRenewal(asMethodSays, nowMs, increment, method.mountMaxTTL);
}

async function renew(deps: TokenDeps, found: FoundToken | undefined, clientToken: string, increment: number, ctx: BackendContext): Promise<Response | undefined> {
  if (found === undefined) throw new BadRequestError('token not found');
  if (found.entry.type === 'batch') throw new BadRequestError('batch tokens cannot be renewed');
  if (increment < 0) throw new BadRequestError('increment must be positive');
  const { tokens } = deps;
  return tokens.withLock(found.idHash, async (): Promise<Response | undefined> => {
    // Re-read under the lock: a concurrent renewal or revocation may have moved it.
    const current = await tokens.lookupHash(found.idHash);
    if (current === undefined) throw new BadRequestError('token not found');
    const now = ctx.clock.now();
    const granted = await grant(deps, current.entry, now, increment, ctx);
    // Vault answers a declined renewal with no content and leaves the token as it was.
    if (granted === undefined) return undefined;
    const { ttl, warnings } = granted;
    const next: TokenEntry = { ...current.entry, expireTime: now + ttl * 1000, lastRenewalTime: now };
    await tokens.save(found.idHash, next);
    return { auth: authBlockOf(clientToken, next, ttl), ...(warnings.length > 0 ? { warnings: [...warnings] } : {}) };
  });
}

const INCREMENT = { increment: { type: 'duration', description: 'Requested extension; the token may get less.' } } as const;

export function renewPaths(deps: TokenDeps): PathDef[] {
  const { tokens } = deps;
  return [
    definePath({
      pattern: 'renew',
      fields: { token: { type: 'string', description: 'The token to renew.', sensitive: true }, ...INCREMENT },
      operations: {
        update: async (_req, f, ctx) => {
          const token = f.get('token');
          if (token === '') throw new BadRequestError('missing token ID');
          return renew(deps, await tokens.lookup(token), token, f.get('increment'), ctx);
        },
      },
      synopsis: 'Renew a token.',
      description: 'Extends the TTL of a renewable token within its ceilings.',
    }),
    definePath({
      pattern: 'renew-self',
      fields: { token: { type: 'string', description: 'Ignored: the calling token is renewed.', sensitive: true }, ...INCREMENT },
      operations: {
        update: async (req, f, ctx) => renew(deps, await tokens.lookup(req.clientToken), req.clientToken, f.get('increment'), ctx),
      },
      synopsis: 'Renew the calling token.',
      description: 'Extends the TTL of the token used for this request within its ceilings.',
    }),
    definePath({
      pattern: 'renew-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token to renew.' }, ...INCREMENT },
      operations: {
        update: async (_req, f, ctx) => {
          const accessor = f.get('accessor');
          if (accessor === '') throw new BadRequestError('missing accessor');
          const found = await tokens.lookupAccessor(accessor);
          if (found === undefined) throw new BadRequestError('invalid accessor');
          return renew(deps, found, '', f.get('increment'), ctx);
        },
      },
      synopsis: 'Renew a token by its accessor.',
      description: 'As renew, naming the token by accessor; the answer does not reveal the token.',
    }),
  ];
}
