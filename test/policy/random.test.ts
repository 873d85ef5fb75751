/**
 * Randomised check: the compiled ACL must answer exactly like a slow reference evaluator
 * written here from the documentation (scan every rule, regex matching, sort candidates by
 * the five priority rules). Seeded, so a failure is reproducible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileACL, parsePolicy, type Policy } from '../../src/policy/index.js';
import { outranks, shapeOf } from '../../src/policy/priority.js';
import type { Operation } from '../../src/logical/request.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGS = ['a', 'b', 'ab', 'abc', '+', ''];
const PATH_SEGS = ['a', 'b', 'ab', 'abc', 'ba', ''];
const CAPS = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo'];

interface RefRule {
  pattern: string;
  caps: Set<string>;
}

/** Reference: merge by pattern string, then scan everything. */
function reference(policies: readonly Policy[]): (path: string, list: boolean) => Set<string> | undefined {
  const merged = new Map<string, Set<string>>();
  for (const p of policies) {
    for (const r of p.paths) {
      const prev = merged.get(r.path) ?? new Set<string>();
      for (const c of r.capabilities) prev.add(c);
      merged.set(r.path, prev);
    }
  }
  const rules: RefRule[] = [...merged].map(([pattern, caps]) => ({ pattern, caps: caps.has('deny') ? new Set(['deny']) : caps }));
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const isExact = (p: string): boolean => !p.includes('+') && !p.endsWith('*');
  const matches = (pattern: string, path: string): boolean => {
    const prefix = pattern.endsWith('*');
    const body = prefix ? pattern.slice(0, -1) : pattern;
    const segs = body.split('/').map((s) => (s === '+' ? '[^/]*' : esc(s)));
    return new RegExp(`^${segs.join('/')}${prefix ? '.*' : ''}$`, 's').test(path);
  };
  // Sorting by the documented rules, written independently of priority.ts.
  const key = (p: string): [number, number, number, number, string] => {
    const prefix = p.endsWith('*');
    const wc = prefix ? p.slice(0, -1) : p;
    const plus = p.indexOf('+');
    const first = plus >= 0 ? plus : wc.length;
    return [first, prefix ? 0 : 1, -wc.split('/').filter((s) => s === '+').length, wc.length, wc];
  };
  const best = (path: string): RefRule | undefined => {
    const found = rules.filter((r) => !isExact(r.pattern) && matches(r.pattern, path));
    found.sort((x, y) => {
      const a = key(x.pattern);
      const b = key(y.pattern);
      for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
      return a[4] < b[4] ? -1 : a[4] > b[4] ? 1 : 0;
    });
    return found[found.length - 1];
  };
  const exact = (path: string): RefRule | undefined => rules.find((r) => isExact(r.pattern) && r.pattern === path);
  return (path, list) => {
    const trimmed = list && path.endsWith('/') ? path.slice(0, -1) : path;
    const hit = exact(path) ?? (list ? exact(trimmed) : undefined) ?? best(path) ?? (list ? best(trimmed) : undefined);
    return hit?.caps;
  };
}

function randomPattern(r: () => number): string {
  const n = 1 + Math.floor(r() * 4);
  const segs = Array.from({ length: n }, () => SEGS[Math.floor(r() * SEGS.length)]!);
  let p = segs.join('/');
  if (r() < 0.45) p += '*';
  return p;
}

function randomPath(r: () => number): string {
  const n = 1 + Math.floor(r() * 5);
  return Array.from({ length: n }, () => PATH_SEGS[Math.floor(r() * PATH_SEGS.length)]!).join('/');
}

test('compiled ACL equals the reference evaluator on random policies and paths', () => {
  const r = rng(20240603);
  const ops: Operation[] = ['read', 'list', 'update', 'create', 'delete', 'patch'];
  let compared = 0;
  for (let round = 0; round < 150; round++) {
    const policies: Policy[] = [];
    const policyCount = 1 + Math.floor(r() * 3);
    for (let i = 0; i < policyCount; i++) {
      const lines: string[] = [];
      const ruleCount = 1 + Math.floor(r() * 10);
      for (let j = 0; j < ruleCount; j++) {
        const caps = r() < 0.12 ? ['deny'] : CAPS.filter(() => r() < 0.35);
        lines.push(`path ${JSON.stringify(randomPattern(r))} { capabilities = ${JSON.stringify(caps)} }`);
      }
      policies.push(parsePolicy(`p${i}`, lines.join('\n')));
    }
    const acl = compileACL(policies);
    const ref = reference(policies);
    for (let k = 0; k < 40; k++) {
      const path = randomPath(r);
      const want = ref(path, false);
      const wantNames = want === undefined || want.has('deny') || want.size === 0 ? ['deny'] : [...want].sort();
      assert.deepEqual(acl.capabilities(path), wantNames, `capabilities(${path}) with ${policies.map((p) => p.raw).join('\n---\n')}`);
      for (const op of ops) {
        const listPath = op === 'list' && r() < 0.5 ? `${path}/` : path;
        const caps = ref(listPath, op === 'list');
        const expected = caps !== undefined && !caps.has('deny') && caps.has(op);
        const got = acl.allowed(op, listPath);
        assert.equal(got.allowed, expected, `${op} ${listPath} with ${policies.map((p) => p.raw).join('\n---\n')}`);
        assert.equal(got.sudo, caps !== undefined && caps.has('sudo'), `sudo ${op} ${listPath}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 30000);
});

test('priority comparator follows the documented rules one by one', () => {
  const beats = (a: string, b: string): boolean => outranks(shapeOf(a), shapeOf(b));
  // Docs example: rule 3 gives secret/+/+/foo/* lower priority than secret/*.
  assert.ok(beats('secret/*', 'secret/+/+/foo/*'));
  assert.ok(!beats('secret/+/+/foo/*', 'secret/*'));
  assert.ok(beats('secret/a/*', 'secret/+/foo')); // rule 1
  assert.ok(beats('secret/+/foo', 'secret/+/foo*')); // rule 2
  assert.ok(beats('secret/+/x/+', 'secret/+/+/+')); // rule 3
  assert.ok(beats('secret/+/ab*', 'secret/+/a*')); // rule 4
  assert.ok(beats('secret/+/b*', 'secret/+/a*')); // rule 5
  assert.ok(!beats('secret/+/a*', 'secret/+/a*'));
});

test('evaluation over many policies stays fast', () => {
  const texts: string[] = [];
  for (let i = 0; i < 2000; i++) {
    texts.push(`path "kv/team${i}/*" { capabilities = ["read"] }\npath "kv/+/team${i}/x" { capabilities = ["list"] }\npath "kv/exact${i}" { capabilities = ["update"] }`);
  }
  const acl = compileACL(texts.map((t, i) => parsePolicy(`p${i}`, t)));
  const start = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) {
    acl.allowed('read', `kv/team${i % 2000}/secret/${i}`);
    acl.allowed('list', `kv/q/team${i % 2000}/x`);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.equal(acl.allowed('list', 'kv/q/team7/x').allowed, true);
  assert.equal(acl.allowed('read', 'kv/team7/a').allowed, true);
  assert.ok(ms < 2000, `40000 checks took ${ms} ms`);
});
