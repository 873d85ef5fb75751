/**
 * Command-line flags with the syntax of Go's `flag` package, which is what Vault's CLI uses and
 * what its users type:
 *
 *   -name=value   -name value   --name=value   --name value
 *   -flag         -flag=false   (booleans never consume the next argument)
 *
 * Parsing stops at the first argument that is not a flag (or after "--"); everything after it
 * is positional, even if it starts with "-". A lone "-" is positional (it means stdin).
 * `-h`/`-help` are handled by the dispatcher before parsing, so they are not defined here.
 */
import { parseDurationSeconds } from '../util/duration.js';
import { wrapText } from './format.js';

export type FlagKind = 'string' | 'bool' | 'int' | 'duration' | 'list' | 'map';

export interface FlagDef {
  readonly name: string;
  readonly kind: FlagKind;
  readonly usage: string;
  /** Heading the flag is listed under in help ("HTTP Options", "Command Options", ...). */
  readonly section: string;
  /** Other spellings accepted (e.g. "n" for "key-shares"); not listed in help. */
  readonly aliases?: readonly string[];
  readonly defaultValue?: string | boolean | number;
}

/** A usage mistake: bad flag syntax, unknown flag, unparsable value. Exit code 1, as Vault. */
export class FlagError extends Error {}

/** The values a FlagSet produced for one command line. */
export class ParsedFlags {
  constructor(
    private readonly defs: ReadonlyMap<string, FlagDef>,
    private readonly values: ReadonlyMap<string, string | boolean | number | string[] | Record<string, string>>,
    /** Positional arguments, in order. */
    readonly args: readonly string[],
  ) {}

  /** Whether the user gave this flag explicitly (as opposed to its default applying). */
  isSet(name: string): boolean {
    this.def(name);
    return this.values.has(name);
  }

  string(name: string): string {
    const def = this.def(name, 'string', 'duration');
    const v = this.values.get(name);
    if (typeof v === 'string') return v;
    return typeof def.defaultValue === 'string' ? def.defaultValue : '';
  }

  bool(name: string): boolean {
    const def = this.def(name, 'bool');
    const v = this.values.get(name);
    if (typeof v === 'boolean') return v;
    return def.defaultValue === true;
  }

  int(name: string): number {
    const def = this.def(name, 'int');
    const v = this.values.get(name);
    if (typeof v === 'number') return v;
    return typeof def.defaultValue === 'number' ? def.defaultValue : 0;
  }

  /** A duration flag, in whole seconds (undefined when not given and no default). */
  durationSeconds(name: string): number | undefined {
    const raw = this.values.get(name) ?? this.def(name, 'duration').defaultValue;
    return typeof raw === 'string' && raw !== '' ? parseDurationSeconds(raw) : undefined;
  }

  list(name: string): string[] {
    this.def(name, 'list');
    const v = this.values.get(name);
    return Array.isArray(v) ? [...v] : [];
  }

  map(name: string): Record<string, string> {
    this.def(name, 'map');
    const v = this.values.get(name);
    return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? { ...v } : {};
  }

  private def(name: string, ...kinds: FlagKind[]): FlagDef {
    const def = this.defs.get(name);
    if (def === undefined) throw new Error(`flag -${name} is not defined for this command`);
    if (kinds.length > 0 && !kinds.includes(def.kind)) throw new Error(`flag -${name} is a ${def.kind} flag`);
    return def;
  }
}

const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const BOOL_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool. */
export function parseGoBool(raw: string): boolean | undefined {
  if (BOOL_TRUE.has(raw)) return true;
  if (BOOL_FALSE.has(raw)) return false;
  return undefined;
}

export class FlagSet {
  private readonly defs = new Map<string, FlagDef>();
  /** Every accepted spelling (names and aliases) to its canonical name. */
  private readonly spellings = new Map<string, string>();

  define(def: FlagDef): this {
    for (const spelling of [def.name, ...(def.aliases ?? [])]) {
      if (this.spellings.has(spelling)) throw new Error(`flag -${spelling} defined twice`);
      this.spellings.set(spelling, def.name);
    }
    this.defs.set(def.name, def);
    return this;
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  parse(argv: readonly string[]): ParsedFlags {
    const values = new Map<string, string | boolean | number | string[] | Record<string, string>>();
    let i = 0;
    // Bounded by argv.length: every iteration consumes at least one argument.
    while (i < argv.length) {
      const arg = argv[i]!;
      if (arg.length < 2 || arg[0] !== '-') break;
      if (arg === '--') {
        i++;
        break;
      }
      i++;
      let body = arg.slice(1);
      if (body.startsWith('-')) body = body.slice(1);
      if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
      const eq = body.indexOf('=');
      const spelled = eq === -1 ? body : body.slice(0, eq);
      let value: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
      const name = this.spellings.get(spelled);
      if (name === undefined) throw new FlagError(`flag provided but not defined: -${spelled}`);
      const def = this.defs.get(name)!;
      if (def.kind === 'bool') {
        if (value === undefined) {
          values.set(name, true);
          continue;
        }
        const b = parseGoBool(value);
        if (b === undefined) throw new FlagError(`invalid boolean value ${JSON.stringify(value)} for -${spelled}: parse error`);
        values.set(name, b);
        continue;
      }
      if (value === undefined) {
        if (i >= argv.length) throw new FlagError(`flag needs an argument: -${spelled}`);
        value = argv[i]!;
        i++;
      }
      values.set(name, convert(def, spelled, value, values.get(name)));
    }
    return new ParsedFlags(this.defs, values, argv.slice(i));
  }

  /** Help text of every flag, grouped by section in definition order, as Vault lays it out. */
  help(): string {
    const sections = new Map<string, FlagDef[]>();
    for (const def of this.defs.values()) {
      const list = sections.get(def.section) ?? [];
      list.push(def);
      sections.set(def.section, list);
    }
    const out: string[] = [];
    for (const [section, defs] of sections) {
      out.push(`${section}:`, '');
      for (const def of defs) {
        out.push(`  -${def.name}${placeholder(def)}`);
        for (const line of wrapText(def.usage, 70)) out.push(`      ${line}`);
        out.push('');
      }
    }
    return out.join('\n').trimEnd();
  }
}

function convert(
  def: FlagDef,
  spelled: string,
  value: string,
  previous: string | boolean | number | string[] | Record<string, string> | undefined,
): string | number | string[] | Record<string, string> {
  switch (def.kind) {
    case 'string':
      return value;
    case 'int': {
      if (!/^[+-]?[0-9]+$/.test(value)) throw new FlagError(`invalid value ${JSON.stringify(value)} for flag -${spelled}: parse error`);
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw new FlagError(`invalid value ${JSON.stringify(value)} for flag -${spelled}: value out of range`);
      return n;
    }
    case 'duration':
      try {
        parseDurationSeconds(value);
      } catch {
        throw new FlagError(`invalid value ${JSON.stringify(value)} for flag -${spelled}: time: invalid duration ${JSON.stringify(value)}`);
      }
      return value;
    case 'list': {
      // Repeatable, and each occurrence may hold a comma-separated list (Vault's StringSliceVar).
      const prev = Array.isArray(previous) ? previous : [];
      const items = value === '' ? [] : value.split(',').map((s) => s.trim());
      return [...prev, ...items];
    }
    case 'map': {
      const prev = previous !== undefined && typeof previous === 'object' && !Array.isArray(previous) ? previous : {};
      const eq = value.indexOf('=');
      if (eq <= 0) throw new FlagError(`invalid value ${JSON.stringify(value)} for flag -${spelled}: missing = in KV pair: ${JSON.stringify(value)}`);
      return { ...prev, [value.slice(0, eq)]: value.slice(eq + 1) };
    }
    case 'bool':
      throw new Error('unreachable: bool flags are handled by the parser');
  }
}

function placeholder(def: FlagDef): string {
  switch (def.kind) {
    case 'bool':
      return '';
    case 'int':
      return '=<int>';
    case 'duration':
      return '=<duration>';
    case 'list':
      return '=<string>';
    case 'map':
      return '=<key=value>';
    case 'string':
      return '=<string>';
  }
}
