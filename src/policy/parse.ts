/**
 * Vault's policy language, HCL or JSON, into a typed Policy. Syntax comes from src/config's
 * HCL reader; this module gives it meaning and rejects what Vault rejects (unknown keys,
 * unknown capabilities, bad legacy `policy` values, malformed parameter lists). Every error
 * names the line it is about.
 */
import { HclSyntaxError, findBlocks, parseConfigText, type HclBody } from '../config/hcl.js';
import { normalizePolicyName } from './names.js';
import { PolicyParseError } from './parse-error.js';
import { parsePathBlock } from './parse-path.js';
import type { PathRule, Policy } from './policy-types.js';

export { PolicyParseError } from './parse-error.js';

/** Top-level keys a policy may hold; `name` is accepted (and ignored) as Vault does. */
const TOP_LEVEL_KEYS = new Set(['name', 'path']);

/** Parses `text` (JSON when it starts with "{", else HCL) as the policy `name`. */
export function parsePolicy(name: string, text: string): Policy {
  let body: HclBody;
  try {
    body = parseConfigText(text, '');
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new PolicyParseError(err.message, err.line);
    throw err;
  }
  for (const item of body.items) {
    if (!TOP_LEVEL_KEYS.has(item.key)) {
      throw new PolicyParseError(`invalid key ${JSON.stringify(item.key)} on line ${item.line}`, item.line);
    }
  }
  let blocks;
  try {
    blocks = findBlocks(body, 'path', 1);
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new PolicyParseError(`${err.reason} on line ${err.line}`, err.line);
    throw err;
  }
  const paths: PathRule[] = blocks.map((block) => parsePathBlock(block.labels[0]!, block.body, block.line));
  return Object.freeze({
    name: normalizePolicyName(name),
    raw: text,
    paths: Object.freeze(paths),
    templated: paths.some((p) => p.templated),
  });
}
