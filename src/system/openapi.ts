/**
 * The OpenAPI 3 document of sys/internal/specs/openapi, generated from the path tables of the
 * mounted backends (`LogicalBackend.describePaths`), so it can never drift from what is served.
 *
 * A path pattern becomes one or more OpenAPI paths: named captures become `{name}` parameters,
 * optional groups and optional characters give one path with and one without them, escaped
 * characters are literals. A pattern with anything else outside a capture (a wildcard, a class)
 * is not representable as a path template and is left out, as Vault leaves out what it cannot
 * expand. Vault's extensions mark sudo paths, unauthenticated paths, and paths where create is
 * told apart from update.
 */
import type { DocumentedPath, LogicalBackend } from '../logical/backend.js';
import { VERSION } from '../version.js';

/** A mount as the document needs it. */
export interface DocumentedMount {
  /** Routing prefix: "secret/", "auth/userpass/", "sys/". */
  readonly prefix: string;
  readonly type: string;
  readonly backend: LogicalBackend;
}

/** Mounts that exist once per server: their paths are never made generic. */
const SINGLETONS: ReadonlySet<string> = new Set(['sys/', 'identity/', 'cubbyhole/', 'auth/token/']);
/** Expansions of one pattern beyond which it is left out (an alternation of alternations). */
const MAX_VARIANTS = 16;

type Schema = Record<string, unknown>;

function schemaOf(type: string): Schema {
  switch (type) {
    case 'int':
      return { type: 'integer' };
    case 'float':
      return { type: 'number' };
    case 'bool':
      return { type: 'boolean' };
    case 'duration':
      return { type: 'string', format: 'duration' };
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'map':
    case 'header':
      return { type: 'object' };
    case 'string-map':
      return { type: 'object', additionalProperties: { type: 'string' } };
    case 'string-slice':
    case 'comma-string-slice':
      return { type: 'array', items: { type: 'string' } };
    case 'comma-int-slice':
      return { type: 'array', items: { type: 'integer' } };
    default:
      return { type: 'string' };
  }
}

interface Variant {
  readonly path: string;
  readonly params: readonly string[];
}

/** The index just after the group that opens at `start` (pattern[start] === '('). */
function groupEnd(p: string, start: number): number {
  let depth = 0;
  for (let i = start; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // A class may hold parentheses: skip to its end.
      i++;
      while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Split `p` at its top-level `|`. */
function alternatives(p: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(p.slice(from, i));
      from = i + 1;
    }
  }
  out.push(p.slice(from));
  return out;
}

function product(a: readonly Variant[], b: readonly Variant[]): Variant[] {
  const out: Variant[] = [];
  for (const x of a) for (const y of b) out.push({ path: x.path + y.path, params: [...x.params, ...y.params] });
  return out;
}

/** Every path template a pattern stands for, or undefined when it cannot be written as one. */
export function expandPattern(pattern: string): Variant[] | undefined {
  const branches = alternatives(pattern);
  if (branches.length > 1) {
    const all: Variant[] = [];
    for (const b of branches) {
      const v = expandPattern(b);
      if (v === undefined) return undefined;
      all.push(...v);
    }
    return all.length > MAX_VARIANTS ? undefined : all;
  }
  let acc: Variant[] = [{ path: '', params: [] }];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    let piece: Variant[];
    if (c === '(') {
      const end = groupEnd(pattern, i);
      if (end < 0) return undefined;
      const named = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(pattern.slice(i));
      if (named !== null) piece = [{ path: `{${named[1]}}`, params: [named[1]!] }];
      else {
        const inner = pattern.slice(i + (pattern.startsWith('(?:', i) ? 3 : 1), end - 1);
        const v = expandPattern(inner);
        if (v === undefined) return undefined;
        piece = v;
      }
      i = end;
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
      piece = [{ path: next, params: [] }];
      i += 2;
    } else if (c === '^' || c === '$') {
      i++;
      continue;
    } else if (/[.*+[\]{}?|]/.test(c)) {
      return undefined;
    } else {
      piece = [{ path: c, params: [] }];
      i++;
    }
    if (pattern[i] === '?') {
      piece = [...piece, { path: '', params: [] }];
      i++;
    } else if (pattern[i] === '*' || pattern[i] === '+' || pattern[i] === '{') {
      return undefined;
    }
    acc = product(acc, piece);
    if (acc.length > MAX_VARIANTS) return undefined;
  }
  return acc;
}

type Operation = Record<string, unknown>;

function operationsFor(def: DocumentedPath, mount: DocumentedMount, params: readonly string[], listOnly: boolean): Record<string, Operation> {
  const body: Record<string, Schema> = {};
  for (const [name, f] of Object.entries(def.fields)) {
    if (params.includes(name)) continue;
    body[name] = { ...schemaOf(f.type), ...(f.description !== undefined ? { description: f.description } : {}), ...(f.default !== undefined ? { default: f.default } : {}) };
  }
  const tag = mount.prefix.startsWith('auth/') ? 'auth' : mount.prefix === 'sys/' ? 'system' : mount.prefix === 'identity/' ? 'identity' : 'secrets';
  const ok = { '200': { description: 'OK' } };
  const ops: Record<string, Operation> = {};
  const has = (op: DocumentedPath['operations'][number]): boolean => def.operations.includes(op);
  const requestBody = Object.keys(body).length > 0 ? { requestBody: { content: { 'application/json': { schema: { type: 'object', properties: body } } } } } : {};
  if (listOnly) {
    ops['get'] = {
      summary: def.synopsis,
      tags: [tag],
      parameters: [{ name: 'list', in: 'query', required: true, description: 'Must be set to `true`', schema: { type: 'string', enum: ['true'] } }],
      responses: ok,
    };
    return ops;
  }
  if (has('read')) ops['get'] = { summary: def.synopsis, tags: [tag], responses: ok };
  if (has('create') || has('update')) ops['post'] = { summary: def.synopsis, tags: [tag], ...requestBody, responses: ok };
  if (has('patch')) ops['patch'] = { summary: def.synopsis, tags: [tag], ...requestBody, responses: ok };
  if (has('delete')) ops['delete'] = { summary: def.synopsis, tags: [tag], responses: { '204': { description: 'empty body' } } };
  return ops;
}

function globMatches(globs: readonly string[] | undefined, relative: string): boolean {
  return (globs ?? []).some((g) => (g.endsWith('*') ? relative.startsWith(g.slice(0, -1)) : relative === g));
}

export interface OpenApiOptions {
  /** Replace each non-singleton mount's path by a `{<mount>_mount_path}` parameter. */
  readonly genericMountPaths: boolean;
}

/** The document for these mounts. */
export function openApiDocument(mounts: readonly DocumentedMount[], opts: OpenApiOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const mount of [...mounts].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0))) {
    const defs = mount.backend.describePaths?.() ?? [];
    const generic = opts.genericMountPaths && !SINGLETONS.has(mount.prefix);
    const mountName = mount.prefix.replace(/^auth\//, '').replace(/\/$/, '').replace(/[^A-Za-z0-9_]/g, '_');
    const base = generic ? `${mount.prefix.startsWith('auth/') ? 'auth/' : ''}{${mountName}_mount_path}/` : mount.prefix;
    const mountParam = generic
      ? [{ name: `${mountName}_mount_path`, in: 'path', required: true, description: 'Path that the backend was mounted at', schema: { type: 'string', default: mount.prefix.replace(/^auth\//, '').replace(/\/$/, '') } }]
      : [];
    const emit = (def: DocumentedPath, template: string, params: readonly string[], listOnly: boolean): void => {
      const ops = operationsFor(def, mount, params, listOnly);
      if (Object.keys(ops).length === 0) return;
      const full = `/${base}${template}`;
      const relative = template.replace(/\{[^}]+\}/g, 'x');
      const parameters = [
        ...mountParam,
        ...params.map((name) => ({ name, in: 'path', required: true, description: def.fields[name]?.description ?? name, schema: schemaOf(def.fields[name]?.type ?? 'string') })),
      ];
      paths[full] = {
        ...(paths[full] ?? {}),
        description: def.synopsis,
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(def.createSupported ? { 'x-vault-createSupported': true } : {}),
        ...(globMatches(mount.backend.specialPaths.root, relative) ? { 'x-vault-sudo': true } : {}),
        ...(globMatches(mount.backend.specialPaths.unauthenticated, relative) ? { 'x-vault-unauthenticated': true } : {}),
        ...ops,
      };
    };
    for (const def of defs) {
      const variants = expandPattern(def.pattern);
      if (variants === undefined) continue;
      const byTemplate = new Map<string, Variant>();
      for (const v of variants) byTemplate.set(v.path, v);
      const lists = def.operations.includes('list');
      const others = def.operations.some((o) => o !== 'list');
      for (const v of byTemplate.values()) {
        const slashed = v.path.endsWith('/');
        // "x/?" gives "x" and "x/": one documents the path, not both.
        const twin = slashed ? byTemplate.get(v.path.slice(0, -1)) : undefined;
        if (lists && !others) {
          // LIST only: on the slashed template when there is one.
          if (!slashed && byTemplate.has(`${v.path}/`)) continue;
          emit(def, slashed || v.path === '' ? v.path : `${v.path}/`, v.params, true);
          continue;
        }
        if (twin !== undefined) continue;
        emit(def, v.path, v.params, false);
        if (lists) emit(def, slashed || v.path === '' ? v.path : `${v.path}/`, v.params, true);
      }
    }
  }
  return {
    openapi: '3.0.2',
    info: {
        title: 'Arca API (HashiCorp Vault HTTP API)',
      description: 'HTTP API that gives you full access to Arca, compatible with HashiCorp Vault. All API routes are prefixed with `/v1/`.',
      version: VERSION,
    },
    paths,
    components: { schemas: {} },
  };
}
