/**
 * One `path "..." { ... }` block into a PathRule. Values are read from the tree directly so
 * every error can name the line of the offending attribute.
 */
import { toPlain, type HclBody, type HclItem, type HclValue } from '../config/hcl.js';
import { parseDurationSeconds } from '../util/duration.js';
import { isCapability, type Capability } from './capabilities.js';
import { PolicyParseError } from './parse-error.js';
import type { ParameterConstraints, PathRule } from './policy-types.js';
import { invalidPlaceholder, isTemplated } from './template.js';

const PATH_KEYS = new Set([
  'comment',
  'policy',
  'capabilities',
  'required_parameters',
  'allowed_parameters',
  'denied_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
]);

/** Vault's pre-0.5 shorthand; `write` does not include `patch`, exactly as Vault maps it. */
const LEGACY: Readonly<Record<string, readonly Capability[]>> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

export function parsePathBlock(rawPath: string, body: HclBody, line: number): PathRule {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const where = `path ${JSON.stringify(path)}`;
  const fail = (reason: string, at: number): never => {
    throw new PolicyParseError(`${where}: ${reason} on line ${at}`, at);
  };

  const bad = invalidPlaceholder(path);
  if (bad !== undefined) fail(`invalid template parameter ${JSON.stringify(bad)}`, line);

  const seen = new Map<string, HclItem>();
  for (const item of body.items) {
    if (!PATH_KEYS.has(item.key)) fail(`invalid key ${JSON.stringify(item.key)}`, item.line);
    if (seen.has(item.key)) fail(`duplicate key ${JSON.stringify(item.key)}`, item.line);
    seen.set(item.key, item);
  }

  const caps = new Set<Capability>();
  const capsItem = seen.get('capabilities');
  if (capsItem !== undefined) {
    for (const c of stringList(capsItem.value, 'capabilities', fail)) {
      if (!isCapability(c)) fail(`invalid capability ${JSON.stringify(c)}`, capsItem.line);
      else caps.add(c);
    }
  }
  const policyItem = seen.get('policy');
  if (policyItem !== undefined) {
    const legacy = policyItem.value.kind === 'string' ? LEGACY[policyItem.value.value] : undefined;
    if (legacy === undefined || policyItem.value.kind !== 'string') {
      fail(`invalid policy ${policyItem.value.kind === 'string' ? JSON.stringify(policyItem.value.value) : 'value'}`, policyItem.line);
    } else {
      for (const c of legacy) caps.add(c);
    }
  }
  // Deny wipes every other capability on the rule.
  const capabilities: readonly Capability[] = caps.has('deny') ? ['deny'] : [...caps];

  const reqItem = seen.get('required_parameters');
  const requiredParameters = reqItem === undefined ? [] : [...new Set(stringList(reqItem.value, 'required_parameters', fail))];

  const allowedParameters = constraints(seen.get('allowed_parameters'), fail);
  const deniedParameters = constraints(seen.get('denied_parameters'), fail);

  const minWrappingTTL = ttl(seen.get('min_wrapping_ttl'), fail);
  const maxWrappingTTL = ttl(seen.get('max_wrapping_ttl'), fail);
  if (minWrappingTTL > 0 && maxWrappingTTL > 0 && maxWrappingTTL < minWrappingTTL) {
    fail('max_wrapping_ttl cannot be less than min_wrapping_ttl', seen.get('max_wrapping_ttl')!.line);
  }

  return Object.freeze({
    path,
    line,
    capabilities: Object.freeze(capabilities),
    requiredParameters: Object.freeze(requiredParameters),
    allowedParameters,
    deniedParameters,
    minWrappingTTL,
    maxWrappingTTL,
    templated: isTemplated(path),
  });
}

type Fail = (reason: string, line: number) => never;

/** A list of strings; a single string is accepted as a list of one, as HCL1 decoding does. */
function stringList(value: HclValue, key: string, fail: Fail): string[] {
  if (value.kind === 'string') return [value.value];
  if (value.kind !== 'list') return fail(`${key} must be a list of strings`, value.line);
  return value.items.map((v) => (v.kind === 'string' ? v.value : fail(`${key} must be a list of strings`, v.line)));
}

/**
 * `{ name = [values...] }`. Names are lower-cased (Vault matches parameter names without
 * case); values keep their JSON type. JSON's list-of-objects spelling is flattened.
 */
function constraints(item: HclItem | undefined, fail: Fail): ParameterConstraints | undefined {
  if (item === undefined) return undefined;
  const key = item.key;
  const objects = item.value.kind === 'list' ? item.value.items : [item.value];
  const out = new Map<string, unknown[]>();
  for (const obj of objects) {
    if (obj.kind !== 'object') return fail(`${key} must be a map of parameter names to lists`, obj.line);
    for (const entry of obj.body.items) {
      if (entry.labels.length > 0 || entry.value.kind !== 'list') {
        return fail(`${key}: parameter ${JSON.stringify(entry.key)} must map to a list`, entry.line);
      }
      const name = entry.key.toLowerCase();
      const values = entry.value.items.map(toPlain);
      if (name === '*' && values.length > 0) {
        return fail(`${key}: the only value allowed for "*" is []`, entry.line);
      }
      const prev = out.get(name);
      // An empty list (any value) absorbs specific ones.
      out.set(name, prev === undefined ? values : prev.length === 0 || values.length === 0 ? [] : [...prev, ...values]);
    }
  }
  return out.size === 0 ? undefined : out;
}

function ttl(item: HclItem | undefined, fail: Fail): number {
  if (item === undefined) return 0;
  const v = item.value;
  if (v.kind !== 'string' && v.kind !== 'number') return fail(`${item.key} must be a duration`, item.line);
  let seconds: number;
  try {
    seconds = parseDurationSeconds(v.value);
  } catch {
    return fail(`error parsing ${item.key}: invalid duration`, item.line);
  }
  if (seconds < 0) fail(`${item.key} cannot be negative`, item.line);
  return seconds;
}
