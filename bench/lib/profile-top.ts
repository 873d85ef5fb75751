/**
 * Summarises a .cpuprofile: the functions with the most self time, then with the most total
 * (inclusive) time, then self time per source file (node internals grouped as "node:"), as
 * shares of the samples. Run as `node dist/bench/lib/profile-top.js FILE.cpuprofile [N]`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

function main(): void {
  // Piped into head: a closed stdout ends the program quietly.
  process.stdout.on('error', () => process.exit(0));
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: profile-top FILE.cpuprofile [N]');
  const top = Number(process.argv[3] ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const label = new Map<number, string>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const where = f.url === '' ? '' : ` ${f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    label.set(n.id, `${f.functionName || '(anonymous)'}${where}`);
  }
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const key = label.get(id) ?? '?';
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const print = (title: string, counts: Map<string, number>): void => {
    process.stdout.write(`${title}\n`);
    const rows = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [name, count] of rows) process.stdout.write(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  };
  print('self time', self);
  print('total time (function on the stack)', inclusive(profile, label));
  print('self time by file', byFile(profile));
}

/** Self time per source file: which modules the process spends its time in. */
function byFile(profile: CpuProfile): Map<string, number> {
  const file = new Map<number, string>();
  for (const n of profile.nodes) {
    const url = n.callFrame.url;
    const name = url === '' ? `(${n.callFrame.functionName || 'native'})` : url.startsWith('node:') ? 'node: (internals)' : url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
    file.set(n.id, name);
  }
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const key = file.get(id) ?? '?';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Samples in which each function appears anywhere on the stack (counted once per sample). */
function inclusive(profile: CpuProfile, label: ReadonlyMap<number, string>): Map<string, number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const perNode = new Map<number, number>();
  for (const id of profile.samples) perNode.set(id, (perNode.get(id) ?? 0) + 1);
  const counts = new Map<string, number>();
  for (const [leaf, count] of perNode) {
    const seen = new Set<string>();
    // Stack depth is bounded by the node count; the walk ends at the root.
    for (let id: number | undefined = leaf, depth = 0; id !== undefined && depth < profile.nodes.length; id = parent.get(id), depth++) {
      const name = label.get(id) ?? '?';
      if (seen.has(name)) continue;
      seen.add(name);
      counts.set(name, (counts.get(name) ?? 0) + count);
    }
  }
  return counts;
}

main();
