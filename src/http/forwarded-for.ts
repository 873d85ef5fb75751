/**
 * X-Forwarded-For on a listener (Vault's `x_forwarded_for_*` listener keys): behind a load
 * balancer every connection comes from the balancer, so the client's address (for token and
 * role CIDR bindings, rate limit quotas, user lockout and audit) is taken from the header, but
 * only on connections from `authorized` addresses. The last address in the chain is the one
 * the nearest proxy saw; `hopSkips` skips that many proxies of our own from the rear.
 *
 * Vault documents both reject flags as defaulting to true while its code (and OpenBao's)
 * defaults them to false; Arca follows the code, so a load balancer's health checks, which
 * carry no header, keep working.
 */
import { isIP } from 'node:net';
import { BadRequestError } from '../errors.js';
import { addressAllowed } from '../util/cidr.js';

export interface ForwardedForPolicy {
  /** CIDR blocks whose connections may name the client in X-Forwarded-For; empty = feature off. */
  readonly authorizedAddrs: readonly string[];
  readonly hopSkips: number;
  /** Refuse a request with the header from an address not in authorizedAddrs (else: ignore the header). */
  readonly rejectNotAuthorized: boolean;
  /** Refuse a request from an authorized address that has no header (else: use the connection's address). */
  readonly rejectNotPresent: boolean;
}

/**
 * The client address of a request on a listener with `policy`: the connection's own, or the
 * one the header names. Throws BadRequestError (400, Vault's texts) when the policy refuses it.
 */
export function forwardedClientAddress(connection: string, header: string | readonly string[] | undefined, policy: ForwardedForPolicy): string {
  const values = header === undefined ? [] : typeof header === 'string' ? [header] : header;
  const chain = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (chain.length === 0) {
    if (policy.rejectNotPresent) throw new BadRequestError('missing x-forwarded-for header and configured to reject when not present');
    return connection;
  }
  if (!addressAllowed(connection, policy.authorizedAddrs)) {
    if (policy.rejectNotAuthorized) throw new BadRequestError('client address not authorized for x-forwarded-for and configured to reject connection');
    return connection;
  }
  if (policy.hopSkips >= chain.length) {
    throw new BadRequestError(
      `malformed x-forwarded-for configuration or request, hops to skip (${policy.hopSkips}) would skip before earliest chain link (chain length ${chain.length})`,
    );
  }
  const client = chain[chain.length - 1 - policy.hopSkips]!;
  if (isIP(client) === 0) throw new BadRequestError(`error parsing client address ${JSON.stringify(client)} from x-forwarded-for`);
  return client;
}
