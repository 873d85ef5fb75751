/**
 * CIDR parsing and matching for bound_cidrs checks (IPv4 and IPv6, IPv4-mapped IPv6 client
 * addresses match IPv4 blocks). Parse errors are reported to the caller, never thrown late.
 */
import { BlockList, isIP } from 'node:net';

export class CidrError extends Error {}

/** Validate and normalise a list of CIDR blocks (a bare address means a single host). */
export function parseCidrList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (v === '') continue;
    const [addr = '', bits] = v.split('/', 2);
    const family = isIP(addr);
    if (family === 0) throw new CidrError(`invalid CIDR block "${v}"`);
    const max = family === 4 ? 32 : 128;
    if (bits !== undefined && !/^\d{1,3}$/.test(bits)) throw new CidrError(`invalid CIDR block "${v}"`);
    const n = bits === undefined ? max : Number(bits);
    if (n > max) throw new CidrError(`invalid CIDR block "${v}"`);
    out.push(`${addr}/${n}`);
  }
  return out;
}

/** Whether `remoteAddr` lies in any of the (already validated) blocks; empty list = unrestricted. */
export function addressAllowed(remoteAddr: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const addr = remoteAddr.startsWith('::ffff:') && isIP(remoteAddr.slice(7)) === 4 ? remoteAddr.slice(7) : remoteAddr;
  const family = isIP(addr);
  if (family === 0) return false;
  const list = new BlockList();
  for (const c of cidrs) {
    const [a = '', bits = ''] = c.split('/', 2);
    const fam = isIP(a) === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(a, Number(bits), fam);
  }
  return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}
