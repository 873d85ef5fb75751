/**
 * Nondeterministic automata for parsed patterns, and the intersection search that decides
 * whether two patterns share a path. The search walks the product of the two automata
 * breadth-first, so when the languages intersect it yields a short common path as a witness.
 */
import { intersect, isEmpty, pick, type CharSet } from './char-set.js';
import type { RegexNode } from './regex-dialect.js';

interface Edge {
  readonly set: CharSet;
  readonly to: number;
}

export interface Nfa {
  readonly start: number;
  readonly accept: number;
  readonly eps: readonly (readonly number[])[];
  readonly edges: readonly (readonly Edge[])[];
}

/** Bound on automaton size: path patterns are small; anything larger is a mistake. */
const MAX_STATES = 20_000;

class Builder {
  readonly eps: number[][] = [];
  readonly edges: Edge[][] = [];

  state(): number {
    if (this.eps.length >= MAX_STATES) throw new Error('pattern automaton too large');
    this.eps.push([]);
    this.edges.push([]);
    return this.eps.length - 1;
  }

  link(from: number, to: number): void {
    this.eps[from]!.push(to);
  }

  /** Thompson construction: returns [start, end] of a fragment accepting node's language. */
  build(node: RegexNode): [number, number] {
    switch (node.kind) {
      case 'chars': {
        const s = this.state();
        const e = this.state();
        this.edges[s]!.push({ set: node.set, to: e });
        return [s, e];
      }
      case 'group':
        return this.build(node.node);
      case 'seq': {
        const s = this.state();
        let cur = s;
        for (const item of node.items) {
          const [is, ie] = this.build(item);
          this.link(cur, is);
          cur = ie;
        }
        return [s, cur];
      }
      case 'alt': {
        const s = this.state();
        const e = this.state();
        for (const option of node.options) {
          const [os, oe] = this.build(option);
          this.link(s, os);
          this.link(oe, e);
        }
        return [s, e];
      }
      case 'repeat': {
        const s = this.state();
        let cur = s;
        for (let i = 0; i < node.min; i++) {
          const [is, ie] = this.build(node.node);
          this.link(cur, is);
          cur = ie;
        }
        const e = this.state();
        this.link(cur, e);
        if (node.max === null) {
          const [is, ie] = this.build(node.node);
          this.link(cur, is);
          this.link(ie, cur);
        } else {
          for (let i = node.min; i < node.max; i++) {
            const [is, ie] = this.build(node.node);
            this.link(cur, is);
            this.link(ie, e);
            cur = ie;
          }
        }
        return [s, e];
      }
    }
  }
}

export function toNfa(node: RegexNode): Nfa {
  const b = new Builder();
  const [start, accept] = b.build(node);
  return { start, accept, eps: b.eps, edges: b.edges };
}

/** Bound on product states explored, so a pathological pair cannot hang the check. */
const MAX_PRODUCT_STATES = 2_000_000;

/**
 * A short string accepted by both automata, or undefined when their languages are
 * disjoint. Throws if the search exceeds its bound (never for realistic path patterns).
 */
export function commonString(a: Nfa, b: Nfa): string | undefined {
  const width = b.eps.length;
  const key = (x: number, y: number): number => x * width + y;
  const parent = new Map<number, { from: number; ch: string }>();
  const startKey = key(a.start, b.start);
  parent.set(startKey, { from: -1, ch: '' });
  const queue: number[] = [startKey];
  for (let head = 0; head < queue.length; head++) {
    if (head >= MAX_PRODUCT_STATES) throw new Error('pattern intersection search exceeded its bound');
    const k = queue[head]!;
    const x = Math.floor(k / width);
    const y = k % width;
    if (x === a.accept && y === b.accept) return spell(parent, k);
    const visit = (nx: number, ny: number, ch: string): void => {
      const nk = key(nx, ny);
      if (!parent.has(nk)) {
        parent.set(nk, { from: k, ch });
        queue.push(nk);
      }
    };
    for (const nx of a.eps[x]!) visit(nx, y, '');
    for (const ny of b.eps[y]!) visit(x, ny, '');
    for (const ea of a.edges[x]!) {
      for (const eb of b.edges[y]!) {
        const both = intersect(ea.set, eb.set);
        if (!isEmpty(both)) visit(ea.to, eb.to, pick(both));
      }
    }
  }
  return undefined;
}

function spell(parent: ReadonlyMap<number, { from: number; ch: string }>, end: number): string {
  const chars: string[] = [];
  for (let k = end; k !== -1; ) {
    const step = parent.get(k)!;
    chars.push(step.ch);
    k = step.from;
  }
  return chars.reverse().join('');
}
