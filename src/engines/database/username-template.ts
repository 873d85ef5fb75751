/**
 * Vault's `username_template`: the Go template language subset that dynamic usernames are
 * written in, with Vault's documented functions. Parsed once when a connection is configured
 * (a syntax error is a 400 then, not at the next creds read), rendered per credential.
 *
 * Supported: text with `{{ ... }}` actions (and `{{-` / `-}}` trimming), pipelines (`a | b`:
 * the value on the left is the last argument on the right), parentheses, the fields
 * `.DisplayName` and `.RoleName`, string ("..." and `...`) and integer literals, Go's `printf`
 * (%s %d %v %q %x %%), and Vault's functions: random, truncate, truncate_sha256, uppercase,
 * lowercase, replace, sha256, base64, unix_time, unix_time_millis, timestamp (a Go time layout,
 * UTC) and uuid. Anything else (variables, if/range, other functions) is refused when parsed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { randomBase62 } from '../../util/random.js';

export class UsernameTemplateError extends Error {}

/** What a template can read. */
export interface UsernameFields {
  readonly DisplayName: string;
  readonly RoleName: string;
}

type Value = string | number;
type Arg =
  | { readonly kind: 'field'; readonly name: keyof UsernameFields }
  | { readonly kind: 'literal'; readonly value: Value }
  | { readonly kind: 'call'; readonly name: string }
  | { readonly kind: 'pipe'; readonly pipe: Pipeline };
/** Commands joined by `|`; each command is a function and its arguments, or one operand. */
type Pipeline = readonly (readonly Arg[])[];
type Part = string | Pipeline;

interface Env {
  readonly fields: UsernameFields;
  readonly nowMs: number;
}

type Fn = (env: Env, args: readonly Value[]) => Value;

const FUNCTIONS: Readonly<Record<string, { readonly arity: number; readonly fn: Fn }>> = {
  random: { arity: 1, fn: (_, [n]) => randomBase62(positive('random', n)) },
  truncate: { arity: 2, fn: (_, [n, s]) => str(s).slice(0, positive('truncate', n)) },
  truncate_sha256: { arity: 2, fn: (_, [n, s]) => truncateSha256(int('truncate_sha256', n), str(s)) },
  uppercase: { arity: 1, fn: (_, [s]) => str(s).toUpperCase() },
  lowercase: { arity: 1, fn: (_, [s]) => str(s).toLowerCase() },
  replace: { arity: 3, fn: (_, [find, repl, s]) => str(s).split(str(find)).join(str(repl)) },
  sha256: { arity: 1, fn: (_, [s]) => createHash('sha256').update(str(s), 'utf8').digest('hex') },
  base64: { arity: 1, fn: (_, [s]) => Buffer.from(str(s), 'utf8').toString('base64') },
  unix_time: { arity: 0, fn: (env) => String(Math.floor(env.nowMs / 1000)) },
  unix_time_millis: { arity: 0, fn: (env) => String(Math.floor(env.nowMs)) },
  timestamp: { arity: 1, fn: (env, [layout]) => formatGoTime(str(layout), env.nowMs) },
  uuid: { arity: 0, fn: () => randomUUID() },
  printf: { arity: -1, fn: (_, args) => printf(args) },
};

export class UsernameTemplate {
  private constructor(private readonly parts: readonly Part[]) {}

  /** Parse `text`; throws UsernameTemplateError naming the problem. */
  static parse(text: string): UsernameTemplate {
    return new UsernameTemplate(parseTemplate(text));
  }

  /** The username for one credential (fresh randomness on every call). */
  render(fields: UsernameFields, nowMs: number): string {
    const env: Env = { fields, nowMs };
    return this.parts.map((p) => (typeof p === 'string' ? p : String(runPipeline(p, env)))).join('');
  }
}

// ---- parsing ----

function parseTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  let trimNext = false;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    let literal = open === -1 ? text.slice(at) : text.slice(at, open);
    if (trimNext) literal = literal.replace(/^\s+/, '');
    trimNext = false;
    if (open === -1) {
      if (literal !== '') parts.push(literal);
      break;
    }
    let start = open + 2;
    if (text.startsWith('- ', start) || text.startsWith('-\t', start) || text.startsWith('-\n', start)) {
      literal = literal.replace(/\s+$/, '');
      start += 1;
    }
    if (literal !== '') parts.push(literal);
    const close = findClose(text, start);
    if (close === -1) throw new UsernameTemplateError('unclosed action');
    let end = close;
    if (text[close - 1] === '-' && /\s/.test(text[close - 2] ?? '')) {
      end = close - 1;
      trimNext = true;
    }
    parts.push(parsePipeline(tokenize(text.slice(start, end))));
    at = close + 2;
  }
  return parts;
}

/** Where the action starting at `from` ends (`}}` outside a string literal). */
function findClose(text: string, from: number): number {
  for (let i = from; i < text.length - 1; i++) {
    const c = text[i];
    if (c === '"' || c === '`') {
      const endQuote = c === '`' ? text.indexOf('`', i + 1) : closingQuote(text, i);
      if (endQuote === -1) throw new UsernameTemplateError('unterminated string literal');
      i = endQuote;
    } else if (c === '}' && text[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

type Token = { readonly t: 'ident' | 'field' | 'string' | 'number' | '|' | '(' | ')'; readonly v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|' || c === '(' || c === ')') {
      out.push({ t: c, v: c });
      i++;
    } else if (c === '"') {
      const end = closingQuote(src, i);
      if (end === -1) throw new UsernameTemplateError('unterminated string literal');
      out.push({ t: 'string', v: unquote(src.slice(i + 1, end)) });
      i = end + 1;
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end === -1) throw new UsernameTemplateError('unterminated raw string');
      out.push({ t: 'string', v: src.slice(i + 1, end) });
      i = end + 1;
    } else {
      const m = /^(\.[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*|-?[0-9]+)/.exec(src.slice(i));
      if (m === null) throw new UsernameTemplateError(`unexpected ${JSON.stringify(c)} in action`);
      const word = m[1] as string;
      out.push({ t: word.startsWith('.') ? 'field' : /^-?[0-9]/.test(word) ? 'number' : 'ident', v: word });
      i += word.length;
    }
  }
  return out;
}

function unquote(body: string): string {
  return body.replace(/\\(.)/g, (_, ch: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' })[ch] ?? `\\${ch}`);
}

function parsePipeline(tokens: readonly Token[]): Pipeline {
  let pos = 0;
  const pipeline = (): (readonly Arg[])[] => {
    const commands: Arg[][] = [[]];
    while (pos < tokens.length) {
      const tok = tokens[pos] as Token;
      if (tok.t === ')') break;
      pos++;
      if (tok.t === '|') {
        if ((commands[commands.length - 1] as Arg[]).length === 0) throw new UsernameTemplateError('missing command before "|"');
        commands.push([]);
      } else if (tok.t === '(') {
        const inner = pipeline();
        if (tokens[pos]?.t !== ')') throw new UsernameTemplateError('unclosed "("');
        pos++;
        (commands[commands.length - 1] as Arg[]).push({ kind: 'pipe', pipe: inner });
      } else {
        (commands[commands.length - 1] as Arg[]).push(operand(tok));
      }
    }
    if ((commands[commands.length - 1] as Arg[]).length === 0) throw new UsernameTemplateError('missing value for command');
    return commands;
  };
  const result = pipeline();
  if (pos !== tokens.length) throw new UsernameTemplateError('unexpected ")"');
  checkPipeline(result);
  return result;
}

function operand(tok: Token): Arg {
  switch (tok.t) {
    case 'field':
      if (tok.v !== '.DisplayName' && tok.v !== '.RoleName') throw new UsernameTemplateError(`unknown field ${tok.v} (templates can read .DisplayName and .RoleName)`);
      return { kind: 'field', name: tok.v.slice(1) as keyof UsernameFields };
    case 'string':
      return { kind: 'literal', value: tok.v };
    case 'number':
      return { kind: 'literal', value: Number(tok.v) };
    case 'ident':
      if (FUNCTIONS[tok.v] === undefined) throw new UsernameTemplateError(`function ${JSON.stringify(tok.v)} not defined`);
      return { kind: 'call', name: tok.v };
    default:
      throw new UsernameTemplateError(`unexpected ${JSON.stringify(tok.v)}`);
  }
}

/** What can be known before running: only functions take arguments, and how many each takes. */
function checkPipeline(pipe: Pipeline): void {
  pipe.forEach((command, i) => {
    const head = command[0] as Arg;
    const given = command.length - 1 + (i > 0 ? 1 : 0);
    if (head.kind !== 'call') {
      if (given > 0) throw new UsernameTemplateError("can't give argument to non-function");
    } else {
      checkArity(head.name, given);
    }
    for (const arg of command.slice(1)) {
      if (arg.kind === 'pipe') checkPipeline(arg.pipe);
      else if (arg.kind === 'call') checkArity(arg.name, 0);
    }
    if (head.kind === 'pipe') checkPipeline(head.pipe);
  });
}

function checkArity(name: string, given: number): void {
  const arity = (FUNCTIONS[name] as { arity: number }).arity;
  if (arity >= 0 && given !== arity) throw new UsernameTemplateError(`wrong number of args for ${name}: want ${arity} got ${given}`);
  if (name === 'printf' && given === 0) throw new UsernameTemplateError('wrong number of args for printf: want at least 1 got 0');
}

// ---- evaluation ----

function runPipeline(pipe: Pipeline, env: Env): Value {
  let previous: Value | undefined;
  for (const command of pipe) previous = runCommand(command, env, previous);
  return previous as Value;
}

function runCommand(command: readonly Arg[], env: Env, piped: Value | undefined): Value {
  const head = command[0] as Arg;
  if (head.kind !== 'call') {
    if (command.length > 1 || piped !== undefined) throw new UsernameTemplateError("can't give argument to non-function");
    return evalArg(head, env);
  }
  const args = command.slice(1).map((a) => evalArg(a, env));
  if (piped !== undefined) args.push(piped);
  return call(head.name, args, env);
}

function evalArg(arg: Arg, env: Env): Value {
  switch (arg.kind) {
    case 'field':
      return env.fields[arg.name];
    case 'literal':
      return arg.value;
    case 'call':
      return call(arg.name, [], env);
    case 'pipe':
      return runPipeline(arg.pipe, env);
  }
}

function call(name: string, args: readonly Value[], env: Env): Value {
  return (FUNCTIONS[name] as { fn: Fn }).fn(env, args);
}

function str(v: Value | undefined): string {
  if (typeof v !== 'string') throw new UsernameTemplateError(`expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(name: string, v: Value | undefined): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new UsernameTemplateError(`${name}: expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

function positive(name: string, v: Value | undefined): number {
  const n = int(name, v);
  if (n <= 0) throw new UsernameTemplateError(`${name}: max length must be > 0 but was ${n}`);
  return n;
}

/** Longer than `max`: the first max-8 characters, then 8 hex digits of the SHA-256 of the rest. */
function truncateSha256(max: number, s: string): string {
  if (max <= 8) throw new UsernameTemplateError(`truncate_sha256: max length must be > 8 but was ${max}`);
  if (s.length <= max) return s;
  const keep = max - 8;
  return s.slice(0, keep) + createHash('sha256').update(s.slice(keep), 'utf8').digest('hex').slice(0, 8);
}

function printf(args: readonly Value[]): string {
  const format = str(args[0]);
  let next = 1;
  return format.replace(/%([%sdvqx])/g, (_, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const v = args[next++] as Value;
    switch (verb) {
      case 'd':
        return typeof v === 'number' ? String(v) : `%!d(string=${v})`;
      case 'q':
        return JSON.stringify(String(v));
      case 'x':
        return typeof v === 'number' ? v.toString(16) : Buffer.from(v, 'utf8').toString('hex');
      default:
        return String(v);
    }
  });
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Go's reference-time layout elements, longest first (UTC only). */
const LAYOUT: readonly [string, (d: Date) => string][] = [
  ['January', (d) => MONTHS[d.getUTCMonth()] as string],
  ['Monday', (d) => DAYS[d.getUTCDay()] as string],
  ['2006', (d) => String(d.getUTCFullYear()).padStart(4, '0')],
  ['Z07:00', () => 'Z'],
  ['-07:00', () => '+00:00'],
  ['-0700', () => '+0000'],
  ['Z0700', () => 'Z'],
  ['.000000000', (d) => `.${String(d.getUTCMilliseconds()).padStart(3, '0')}000000`],
  ['.000000', (d) => `.${String(d.getUTCMilliseconds()).padStart(3, '0')}000`],
  ['.000', (d) => `.${String(d.getUTCMilliseconds()).padStart(3, '0')}`],
  ['Jan', (d) => (MONTHS[d.getUTCMonth()] as string).slice(0, 3)],
  ['Mon', (d) => (DAYS[d.getUTCDay()] as string).slice(0, 3)],
  ['MST', () => 'UTC'],
  ['_2', (d) => String(d.getUTCDate()).padStart(2, ' ')],
  ['01', (d) => String(d.getUTCMonth() + 1).padStart(2, '0')],
  ['02', (d) => String(d.getUTCDate()).padStart(2, '0')],
  ['03', (d) => String(d.getUTCHours() % 12 || 12).padStart(2, '0')],
  ['04', (d) => String(d.getUTCMinutes()).padStart(2, '0')],
  ['05', (d) => String(d.getUTCSeconds()).padStart(2, '0')],
  ['06', (d) => String(d.getUTCFullYear() % 100).padStart(2, '0')],
  ['15', (d) => String(d.getUTCHours()).padStart(2, '0')],
  ['PM', (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM')],
  ['pm', (d) => (d.getUTCHours() < 12 ? 'am' : 'pm')],
  ['1', (d) => String(d.getUTCMonth() + 1)],
  ['2', (d) => String(d.getUTCDate())],
  ['3', (d) => String(d.getUTCHours() % 12 || 12)],
  ['4', (d) => String(d.getUTCMinutes())],
  ['5', (d) => String(d.getUTCSeconds())],
];

/** `time.Now().UTC().Format(layout)` for the layout elements above; other characters are kept. */
export function formatGoTime(layout: string, ms: number): string {
  const d = new Date(ms);
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const [token, render] of LAYOUT) {
      if (layout.startsWith(token, i)) {
        out += render(d);
        i += token.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}
