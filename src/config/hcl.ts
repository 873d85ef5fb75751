/**
 * Public entry to Arca's HCL support: parse HCL or JSON configuration text into one tree
 * shape, and read blocks out of it. The pieces live in hcl-ast (types), hcl-lexer and
 * hcl-parser (HCL), hcl-json (JSON) and hcl-query (block expansion, plain values).
 */
import type { HclBody } from './hcl-ast.js';
import { parseJSONBody } from './hcl-json.js';
import { parseHCL } from './hcl-parser.js';

export {
  HclSyntaxError,
  MAX_NESTING,
  type HclBody,
  type HclBool,
  type HclItem,
  type HclList,
  type HclNull,
  type HclNumber,
  type HclObject,
  type HclString,
  type HclValue,
} from './hcl-ast.js';
export { parseHCL } from './hcl-parser.js';
export { parseJSONBody } from './hcl-json.js';
export { blocksOf, bodyToPlain, findBlocks, findItems, toPlain, type HclBlock } from './hcl-query.js';

/** Whether text named `filename` should be read as JSON: a `.json` name, or text whose first non-blank character is `{`. */
export function isJSONConfig(text: string, filename: string): boolean {
  if (filename.toLowerCase().endsWith('.json')) return true;
  return /^[\s\uFEFF]*\{/.test(text);
}

/** Parses configuration or policy text as JSON or HCL (see isJSONConfig); throws HclSyntaxError. */
export function parseConfigText(text: string, filename: string): HclBody {
  return isJSONConfig(text, filename) ? parseJSONBody(text) : parseHCL(text);
}
