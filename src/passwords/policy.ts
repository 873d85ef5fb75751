/**
 * Password policies (Vault's sys/policies/password syntax): a length and charset rules, HCL or
 * JSON. A candidate is `length` characters drawn uniformly (crypto.randomInt: no modulo bias)
 * from the de-duplicated union of every rule's charset; it is kept only if each rule's
 * `min-chars` is met, else it is discarded whole and another is drawn, so no character is
 * favoured by the rules.
 *
 *   length = 20
 *   rule "charset" {
 *     charset   = "abcdefghijklmnopqrstuvwxyz"
 *     min-chars = 1
 *   }
 */
import { randomInt } from 'node:crypto';
import { ArcaError } from '../errors.js';
import { HclSyntaxError, findBlocks, findItems, parseConfigText, toPlain } from '../config/hcl.js';

/** Vault's floor on `length`; the ceiling is ours (a policy must not make generation a DoS). */
export const MIN_LENGTH = 4;
export const MAX_LENGTH = 1024;
/** Vault's limit on the combined, de-duplicated charset. */
export const MAX_CHARSET = 256;
/** Candidates drawn before giving up on a policy too strict to be met by chance. */
export const MAX_ATTEMPTS = 10_000;

export class PasswordPolicyError extends ArcaError {
  readonly status = 400;
  readonly code = 'ARCA_PASSWORD_POLICY';
}

export interface CharsetRule {
  /** The rule's characters (code points), de-duplicated. */
  readonly charset: ReadonlySet<string>;
  readonly minChars: number;
}

export interface PasswordPolicy {
  readonly length: number;
  readonly rules: readonly CharsetRule[];
  /** Every rule's characters, de-duplicated, in first-seen order: what candidates are drawn from. */
  readonly alphabet: readonly string[];
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new PasswordPolicyError(`unable to parse policy: ${what} must be an integer`);
  return value;
}

/** Parse and check policy text; throws PasswordPolicyError naming the first problem. */
export function parsePasswordPolicy(text: string): PasswordPolicy {
  let body;
  try {
    body = parseConfigText(text, '');
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new PasswordPolicyError(`unable to parse policy: ${err.message}`);
    throw err;
  }
  const lengths = findItems(body, 'length');
  if (lengths.length !== 1) throw new PasswordPolicyError('unable to parse policy: exactly one "length" is required');
  const length = integer(toPlain(lengths[0]!.value), 'length');
  if (length < MIN_LENGTH) throw new PasswordPolicyError(`password length must be >= ${MIN_LENGTH}`);
  if (length > MAX_LENGTH) throw new PasswordPolicyError(`password length must be <= ${MAX_LENGTH}`);
  for (const item of body.items) {
    if (item.key !== 'length' && item.key !== 'rule') throw new PasswordPolicyError(`unable to parse policy: unknown key ${JSON.stringify(item.key)}`);
  }

  let blocks;
  try {
    blocks = findBlocks(body, 'rule', 1);
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new PasswordPolicyError(`unable to parse policy: ${err.message}`);
    throw err;
  }
  const rules: CharsetRule[] = [];
  const alphabet = new Set<string>();
  for (const block of blocks) {
    const type = block.labels[0];
    if (type !== 'charset') throw new PasswordPolicyError(`unable to parse policy: unrecognized rule type ${JSON.stringify(type)}`);
    let charset = '';
    let minChars = 0;
    for (const item of block.body.items) {
      const value = toPlain(item.value);
      if (item.key === 'charset') {
        if (typeof value !== 'string') throw new PasswordPolicyError('unable to parse policy: charset must be a string');
        charset = value;
      } else if (item.key === 'min-chars' || item.key === 'min_chars') {
        minChars = integer(value, 'min-chars');
      } else {
        throw new PasswordPolicyError(`unable to parse policy: unknown charset rule field ${JSON.stringify(item.key)}`);
      }
    }
    if (charset === '') throw new PasswordPolicyError('charset rule: charset cannot be empty');
    if (NOT_PRINTABLE.test(charset)) throw new PasswordPolicyError('charset rule: charset contains a character that is not printable');
    if (minChars < 0) throw new PasswordPolicyError('charset rule: min-chars cannot be negative');
    const chars = new Set(Array.from(charset));
    for (const c of chars) alphabet.add(c);
    rules.push({ charset: chars, minChars });
  }
  if (rules.length === 0) throw new PasswordPolicyError('no charset specified: a policy needs at least one charset rule');
  if (alphabet.size > MAX_CHARSET) throw new PasswordPolicyError(`the combined charset has ${alphabet.size} characters; at most ${MAX_CHARSET} are allowed`);
  return { length, rules, alphabet: [...alphabet] };
}

function satisfies(policy: PasswordPolicy, candidate: readonly string[]): boolean {
  for (const rule of policy.rules) {
    if (rule.minChars === 0) continue;
    let n = 0;
    for (const c of candidate) if (rule.charset.has(c)) n++;
    if (n < rule.minChars) return false;
  }
  return true;
}

/** A password that meets the policy; PasswordPolicyError when MAX_ATTEMPTS candidates all fail it. */
export function generatePassword(policy: PasswordPolicy): string {
  const { alphabet, length } = policy;
  const candidate = new Array<string>(length);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    for (let i = 0; i < length; i++) candidate[i] = alphabet[randomInt(alphabet.length)]!;
    if (satisfies(policy, candidate)) return candidate.join('');
  }
  throw new PasswordPolicyError(`unable to generate a password that meets the policy in ${MAX_ATTEMPTS} attempts: its rules are too strict for its length`);
}

/**
 * Vault's default policy, used where no policy is named: 20 characters with at least one
 * lower-case letter, one upper-case letter, one digit and one dash.
 */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = parsePasswordPolicy(`
length = 20
rule "charset" {
  charset   = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 1
}
rule "charset" {
  charset   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 1
}
rule "charset" {
  charset   = "0123456789"
  min-chars = 1
}
rule "charset" {
  charset   = "-"
  min-chars = 1
}
`);
