/**
 * Reading helpers over the tree. The central one is block expansion: a block with N labels
 * can be written `name "a" { }` in HCL, `name = { a = { } }` in HCL1 object form, or
 * `"name": {"a": {}}` / `"name": [{"a": {}}, ...]` in JSON. `blocksOf` turns every one of
 * those spellings into the same list of HclBlock, so readers never care which was used.
 */
import { HclSyntaxError, type HclBody, type HclItem, type HclValue } from './hcl-ast.js';

export interface HclBlock {
  readonly key: string;
  readonly labels: readonly string[];
  readonly body: HclBody;
  /** Position of the block's key (or, for JSON, of the innermost label's key). */
  readonly line: number;
  readonly column: number;
}

/** All items of `body` named `key`, in order. */
export function findItems(body: HclBody, key: string): HclItem[] {
  return body.items.filter((item) => item.key === key);
}

/** Every block named `key` with exactly `labelCount` labels, however it was spelt. */
export function findBlocks(body: HclBody, key: string, labelCount: number): HclBlock[] {
  return findItems(body, key).flatMap((item) => blocksOf(item, labelCount));
}

/** Expands one item into blocks of `labelCount` labels; throws HclSyntaxError when the shape does not fit. */
export function blocksOf(item: HclItem, labelCount: number): HclBlock[] {
  const out: HclBlock[] = [];
  expand(item.key, item.labels, item.value, item.form === 'block', item, labelCount, out);
  return out;
}

function expand(
  key: string,
  labels: readonly string[],
  value: HclValue,
  written: boolean,
  at: { line: number; column: number },
  labelCount: number,
  out: HclBlock[],
): void {
  const need = `block ${JSON.stringify(key)} needs ${labelCount} label${labelCount === 1 ? '' : 's'}`;
  if (labels.length > labelCount) {
    throw new HclSyntaxError(`${need}, found ${labels.length}`, at.line, at.column);
  }
  if (value.kind === 'list') {
    // JSON (and HCL1 `key = [{...}]`) spell repeated blocks as a list of objects.
    for (const element of value.items) expand(key, labels, element, false, element, labelCount, out);
    return;
  }
  if (value.kind !== 'object') {
    throw new HclSyntaxError(
      labels.length === labelCount ? `${JSON.stringify(key)} must be a block` : need,
      value.line,
      value.column,
    );
  }
  if (labels.length === labelCount) {
    out.push({ key, labels, body: value.body, line: at.line, column: at.column });
    return;
  }
  // Too few labels: only the object spelling may supply the rest, one level per label.
  // A written block (`storage { }`) with missing labels is a mistake, not an object spelling.
  if (written || value.body.items.length === 0) {
    throw new HclSyntaxError(need, at.line, at.column);
  }
  for (const inner of value.body.items) {
    expand(key, [...labels, inner.key, ...inner.labels], inner.value, inner.form === 'block', inner, labelCount, out);
  }
}

/** Plain JS for one value: strings, numbers, booleans, null, arrays and objects (see bodyToPlain). */
export function toPlain(value: HclValue): unknown {
  switch (value.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return value.value;
    case 'null':
      return null;
    case 'list':
      return value.items.map(toPlain);
    case 'object':
      return bodyToPlain(value.body);
  }
}

/**
 * Plain JS object for a body. An item with labels nests under them
 * (`path "a" { x = 1 }` -> `{ path: { a: { x: 1 } } }`). A key that occurs once maps to its
 * value; a key that occurs several times maps to an array of the values in source order.
 */
export function bodyToPlain(body: HclBody): Record<string, unknown> {
  const grouped = new Map<string, unknown[]>();
  for (const item of body.items) {
    let v = toPlain(item.value);
    for (let i = item.labels.length - 1; i >= 0; i--) v = define({}, item.labels[i]!, v);
    const list = grouped.get(item.key);
    if (list === undefined) grouped.set(item.key, [v]);
    else list.push(v);
  }
  const out: Record<string, unknown> = {};
  for (const [key, values] of grouped) define(out, key, values.length === 1 ? values[0] : values);
  return out;
}

/** Own-property assignment, so a key named "__proto__" is data and never changes a prototype. */
function define(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}
