/**
 * CIDR blocks for bound_cidrs checks (tokens, userpass, approle, token roles): validation of
 * what a role or token is bound to, matching a client's address, and "narrows" checks. IPv4
 * and IPv6; a bare address is a single host (/32, /128); dual-stack sockets report IPv4
 * clients as ::ffff:a.b.c.d, which match IPv4 blocks.
 */
import { BlockList, isIP } from 'node:net';
import { BadRequestError } from '../errors.js';

interface Block {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

export class CidrError extends Error {}

function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m === null ? address : m[1]!;
}

function parseBlock(text: string): Block | undefined {
  const slash = text.indexOf('/');
  const address = unmapped(slash === -1 ? text : text.slice(0, slash));
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Validate and normalise blocks to "address/prefix"; throws CidrError naming the bad one. */
export function parseCidrList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (v === '') continue;
    const b = parseBlock(v);
    if (b === undefined) throw new CidrError(`invalid CIDR block "${v}"`);
    out.push(`${b.address}/${b.prefix}`);
  }
  return out;
}

/**
 * Trimmed, de-duplicated, sorted blocks as written (Vault stores them so); a 400 naming the
 * field when one does not parse.
 */
export function checkCidrs(field: string, values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of values) {
    const v = raw.trim();
    if (v === '') continue;
    if (parseBlock(v) === undefined) throw new BadRequestError(`invalid CIDR block "${v}" in ${field}`);
    out.add(v);
  }
  return [...out].sort();
}

/** Whether `remoteAddr` lies in one of the blocks; no blocks = anywhere; garbage = nowhere. */
export function addressAllowed(remoteAddr: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const addr = unmapped(remoteAddr);
  const version = isIP(addr);
  if (version === 0) return false;
  const list = new BlockList();
  for (const c of cidrs) {
    const b = parseBlock(c.trim());
    if (b !== undefined) list.addSubnet(b.address, b.prefix, b.family);
  }
  return list.check(addr, version === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether every block of `inner` lies inside some block of `outer`: at least as narrow, and
 * its address inside the wider one.
 */
export function isSubset(outer: readonly string[], inner: readonly string[]): boolean {
  const parents = outer.map(parseBlock).filter((b): b is Block => b !== undefined);
  return inner.every((text) => {
    const child = parseBlock(text);
    if (child === undefined) return false;
    return parents.some((p) => {
      if (p.family !== child.family || child.prefix < p.prefix) return false;
      const one = new BlockList();
      one.addSubnet(p.address, p.prefix, p.family);
      return one.check(child.address, child.family);
    });
  });
}

/** Go's %q of a string slice, as Vault's messages quote CIDR lists: ["a" "b"]. */
export function quoteList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}
