/**
 * token_bound_cidrs as userpass applies them at login: the caller's address must fall in one
 * of the blocks. A bare address means that single host, as Vault accepts it.
 */
import { BlockList, isIP } from 'node:net';
import { BadRequestError } from '../../errors.js';

interface Block {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

function parseBlock(text: string): Block | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Trimmed blocks, every one valid; throws the 400 a write of a bad value deserves. */
export function checkBoundCidrs(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (v === '') continue;
    if (parseBlock(v) === undefined) throw new BadRequestError(`invalid CIDR or IP address "${v}" in token_bound_cidrs`);
    out.push(v);
  }
  return out;
}

/** Whether remoteAddr may log in; no blocks means anywhere. Unparseable input never matches. */
export function remoteAddrAllowed(remoteAddr: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddr);
  const addr = mapped !== null ? mapped[1]! : remoteAddr;
  const version = isIP(addr);
  if (version === 0) return false;
  const list = new BlockList();
  for (const c of cidrs) {
    const block = parseBlock(c.trim());
    if (block !== undefined) list.addSubnet(block.address, block.prefix, block.family);
  }
  return list.check(addr, version === 4 ? 'ipv4' : 'ipv6');
}
