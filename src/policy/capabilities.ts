/**
 * Capabilities as a bit set. Policies name capabilities as strings; the compiled ACL keeps
 * them as bits so merging rules across policies is an OR and a check is one AND.
 */
import type { Operation } from '../logical/request.js';

/** The capability names Vault's policy language accepts, in the order Vault documents them. */
export const CAPABILITY_NAMES = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'] as const;

export type Capability = (typeof CAPABILITY_NAMES)[number];

export const CAP = {
  create: 1 << 0,
  read: 1 << 1,
  update: 1 << 2,
  patch: 1 << 3,
  delete: 1 << 4,
  list: 1 << 5,
  sudo: 1 << 6,
  deny: 1 << 7,
} as const satisfies Record<Capability, number>;

export function isCapability(name: string): name is Capability {
  return (CAPABILITY_NAMES as readonly string[]).includes(name);
}

/** Bits for a list of names; `deny` anywhere means deny alone, as Vault stores it. */
export function capabilityBits(names: readonly Capability[]): number {
  let bits = 0;
  for (const name of names) bits |= CAP[name];
  return bits & CAP.deny ? CAP.deny : bits;
}

/**
 * What sys/capabilities reports for a bit set: sorted names, or ["deny"] when the rule
 * denies or grants nothing at all.
 */
export function capabilityNames(bits: number): string[] {
  if (bits & CAP.deny) return ['deny'];
  const out: string[] = [];
  for (const name of CAPABILITY_NAMES) {
    if (name !== 'deny' && bits & CAP[name]) out.push(name);
  }
  if (out.length === 0) return ['deny'];
  return out.sort();
}

/**
 * The capability an operation needs. Lease renew/revoke reuse `update` as Vault does;
 * `help` needs `read` (help text describes a path, it does not change it).
 */
export function operationCapability(op: Operation): number {
  switch (op) {
    case 'read':
    case 'help':
      return CAP.read;
    case 'list':
      return CAP.list;
    case 'create':
      return CAP.create;
    case 'update':
    case 'renew':
    case 'revoke':
      return CAP.update;
    case 'patch':
      return CAP.patch;
    case 'delete':
      return CAP.delete;
  }
}

/** Operations whose request data is checked against parameter constraints. */
export function checksParameters(op: Operation): boolean {
  return op === 'create' || op === 'update' || op === 'patch';
}
