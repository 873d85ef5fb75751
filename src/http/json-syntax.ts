/**
 * Describes the first syntax error in a JSON text with the wording of Go's encoding/json, so a
 * malformed body gets the same "failed to parse JSON input: invalid character ..." text a Vault
 * client would see from Vault. Only called after JSON.parse has already failed, so it favours
 * clarity over speed; it is iterative, so deeply nested input cannot overflow the stack.
 */

/** Go's quoteChar: the offending character in single quotes, escaped like strconv.Quote. */
function quoteChar(ch: string): string {
  if (ch === "'") return `'\\''`;
  if (ch === '"') return `'"'`;
  const code = ch.codePointAt(0) ?? 0;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\' };
  const esc = named[code];
  if (esc !== undefined) return `'${esc}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}

function invalid(ch: string, context: string): string {
  return `invalid character ${quoteChar(ch)} ${context}`;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const DIGITS = '0123456789';
const HEX = '0123456789abcdefABCDEF';

/** What the scanner expects next, named after the wording Go uses for each situation. */
type Expect =
  | 'value' // looking for beginning of value
  | 'array-value-or-end'
  | 'object-key-or-end'
  | 'object-key' // looking for beginning of object key string
  | 'colon' // after object key
  | 'object-next' // after object key:value pair
  | 'array-next' // after array element
  | 'end'; // after top-level value

/**
 * Returns Go's message for the first error in `text`, or undefined if the scanner finds none.
 * "unexpected EOF" is what Go's streaming decoder (used by Vault) says for truncated input.
 */
export function describeJSONSyntaxError(text: string): string | undefined {
  const stack: ('object' | 'array')[] = [];
  let expect = 'value' as Expect;
  let i = 0;
  const n = text.length;

  const afterValue = (): void => {
    const top = stack[stack.length - 1];
    expect = top === undefined ? 'end' : top === 'object' ? 'object-next' : 'array-next';
  };

  /** Scan a string starting at the opening quote; returns the error or the index after it. */
  const scanString = (start: number): string | number => {
    let j = start + 1;
    while (j < n) {
      const ch = text[j]!;
      if (ch === '"') return j + 1;
      if (ch === '\\') {
        const e = text[j + 1];
        if (e === undefined) return 'unexpected EOF';
        if (e === 'u') {
          for (let k = 2; k < 6; k++) {
            const h = text[j + k];
            if (h === undefined) return 'unexpected EOF';
            if (!HEX.includes(h)) return invalid(h, 'in \\u hexadecimal character escape');
          }
          j += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) return invalid(e, 'in string escape code');
        j += 2;
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) return invalid(ch, 'in string literal');
      j++;
    }
    return 'unexpected EOF';
  };

  /** Scan a number; returns the error or the index after it. */
  const scanNumber = (start: number): string | number => {
    let j = start;
    if (text[j] === '-') {
      j++;
      const c = text[j];
      if (c === undefined) return 'unexpected EOF';
      if (!DIGITS.includes(c)) return invalid(c, 'in numeric literal');
    }
    if (text[j] === '0') j++;
    else while (j < n && DIGITS.includes(text[j]!)) j++;
    if (text[j] === '.') {
      j++;
      const c = text[j];
      if (c === undefined) return 'unexpected EOF';
      if (!DIGITS.includes(c)) return invalid(c, 'after decimal point in numeric literal');
      while (j < n && DIGITS.includes(text[j]!)) j++;
    }
    if (text[j] === 'e' || text[j] === 'E') {
      j++;
      if (text[j] === '+' || text[j] === '-') j++;
      const c = text[j];
      if (c === undefined) return 'unexpected EOF';
      if (!DIGITS.includes(c)) return invalid(c, 'in exponent of numeric literal');
      while (j < n && DIGITS.includes(text[j]!)) j++;
    }
    return j;
  };

  const scanLiteral = (start: number, word: string): string | number => {
    for (let k = 1; k < word.length; k++) {
      const c = text[start + k];
      if (c === undefined) return 'unexpected EOF';
      if (c !== word[k]) return invalid(c, `in literal ${word} (expecting '${word[k]}')`);
    }
    return start + word.length;
  };

  while (i < n) {
    const ch = text[i]!;
    if (WHITESPACE.has(ch)) {
      i++;
      continue;
    }
    switch (expect) {
      case 'end':
        return invalid(ch, 'after top-level value');
      case 'colon':
        if (ch !== ':') return invalid(ch, 'after object key');
        expect = 'value';
        i++;
        continue;
      case 'object-next':
      case 'array-next': {
        const close = expect === 'object-next' ? '}' : ']';
        if (ch === ',') {
          expect = expect === 'object-next' ? 'object-key' : 'value';
          i++;
          continue;
        }
        if (ch === close) {
          stack.pop();
          afterValue();
          i++;
          continue;
        }
        return invalid(ch, expect === 'object-next' ? 'after object key:value pair' : 'after array element');
      }
      case 'object-key-or-end':
      case 'object-key': {
        if (ch === '}' && expect === 'object-key-or-end') {
          stack.pop();
          afterValue();
          i++;
          continue;
        }
        if (ch !== '"') return invalid(ch, 'looking for beginning of object key string');
        const r = scanString(i);
        if (typeof r === 'string') return r;
        i = r;
        expect = 'colon';
        continue;
      }
      case 'array-value-or-end':
        if (ch === ']') {
          stack.pop();
          afterValue();
          i++;
          continue;
        }
        // Anything else must start a value: rescan this character as one.
        expect = 'value';
        continue;
      case 'value': {
        let r: string | number;
        if (ch === '{') {
          stack.push('object');
          expect = 'object-key-or-end';
          i++;
          continue;
        } else if (ch === '[') {
          stack.push('array');
          expect = 'array-value-or-end';
          i++;
          continue;
        } else if (ch === '"') r = scanString(i);
        else if (ch === '-' || DIGITS.includes(ch)) r = scanNumber(i);
        else if (ch === 't') r = scanLiteral(i, 'true');
        else if (ch === 'f') r = scanLiteral(i, 'false');
        else if (ch === 'n') r = scanLiteral(i, 'null');
        else return invalid(ch, 'looking for beginning of value');
        if (typeof r === 'string') return r;
        i = r;
        afterValue();
        continue;
      }
    }
  }
  return expect === 'end' ? undefined : 'unexpected EOF';
}
