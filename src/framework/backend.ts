/**
 * createBackend turns a path table into a LogicalBackend: route the relative path to the first
 * matching pattern, validate fields, call the operation's handler. Tables are compiled once
 * per table (not per mount) and every pattern is checked against the supported regex dialect
 * and its declared fields at that moment, so a bad table fails at startup, not on a request.
 */
import { BadRequestError, RouteNotFoundError, UnsupportedOperationError } from '../errors.js';
import type {
  BackendContext,
  BackendRequest,
  ExistenceResult,
  LeaseHandle,
  LeaseRenewal,
  LoginRenewal,
  LoginRenewResult,
  LogicalBackend,
  SpecialPaths,
} from '../logical/backend.js';
import type { Operation, Response } from '../logical/request.js';
import { parseFields, type FieldSchemas, type ParsedFields } from './field-data.js';
import { helpResponse, pathHelp, rootHelp } from './help.js';
import { PATH_OPERATIONS, type PathDef, type PathHandler } from './path.js';
import { capturesOf, compilePattern, type CompiledPattern } from './patterns.js';

/** How leases of one secret type are renewed and revoked. */
export interface SecretDef {
  readonly revoke: (lease: LeaseHandle, ctx: BackendContext) => Promise<void>;
  /** Absent: leases of this type are not renewable. */
  readonly renew?: (lease: LeaseHandle, increment: number, ctx: BackendContext) => Promise<LeaseRenewal | undefined>;
}

export interface BackendDef {
  readonly paths: readonly PathDef[];
  /** Secret types this backend issues leases for, by `Response.secret.type`. */
  readonly secrets?: Readonly<Record<string, SecretDef>>;
  /** Auth methods: re-check a token this method issued when it renews (LogicalBackend.renewLogin). */
  readonly renewLogin?: (login: LoginRenewal, ctx: BackendContext) => Promise<LoginRenewResult>;
  readonly specialPaths?: SpecialPaths;
  /** Backend-level help, shown for a help request at the mount root. */
  readonly help: string;
  readonly initialize?: (ctx: BackendContext) => Promise<void>;
  readonly cleanup?: (ctx: BackendContext) => Promise<void>;
  /**
   * A key of the mount's storage (relative to the mount) changed underneath the backend
   * (replication applied it, or an HA standby learned of it): drop what is cached about it.
   */
  readonly invalidate?: (key: string, ctx: BackendContext) => void;
  /** LogicalBackend.writesShared. */
  readonly writesShared?: (req: BackendRequest) => boolean;
  /** LogicalBackend.resolveRole. */
  readonly resolveRole?: (req: BackendRequest, ctx: BackendContext) => Promise<string | undefined>;
}

interface CompiledPath {
  readonly def: PathDef;
  readonly pattern: CompiledPattern;
}

interface RouteMatch {
  readonly path: CompiledPath;
  readonly captures: Record<string, string>;
}

const compiledTables = new WeakMap<readonly PathDef[], readonly CompiledPath[]>();

function compileTable(paths: readonly PathDef[]): readonly CompiledPath[] {
  const cached = compiledTables.get(paths);
  if (cached !== undefined) return cached;
  const compiled = paths.map((def) => {
    const pattern = compilePattern(def.pattern);
    for (const group of pattern.groups) {
      if (!Object.prototype.hasOwnProperty.call(def.fields, group)) {
        throw new Error(`pattern ${JSON.stringify(def.pattern)} captures ${group} but declares no such field`);
      }
    }
    for (const op of Object.keys(def.operations)) {
      if (!(PATH_OPERATIONS as readonly string[]).includes(op)) {
        throw new Error(`pattern ${JSON.stringify(def.pattern)} declares unknown operation ${op}`);
      }
    }
    return { def, pattern };
  });
  compiledTables.set(paths, compiled);
  return compiled;
}

function route(table: readonly CompiledPath[], relativePath: string): RouteMatch | undefined {
  for (const path of table) {
    const m = path.pattern.regex.exec(relativePath);
    if (m !== null) return { path, captures: capturesOf(m) };
  }
  return undefined;
}

/**
 * The handler for an operation. Without an existence check the core cannot tell create from
 * update, so (as in Vault) either one stands in for the other.
 */
function handlerFor(def: PathDef, op: Operation): PathHandler<PathDef['fields']> | undefined {
  if (op === 'help' || op === 'renew' || op === 'revoke') return undefined;
  const direct = def.operations[op];
  if (direct !== undefined) return direct;
  if (def.existenceCheck === undefined) {
    if (op === 'create') return def.operations.update;
    if (op === 'update') return def.operations.create;
  }
  return undefined;
}

function ignoredFieldsWarning(names: readonly string[]): string {
  return `Endpoint ignored these unrecognized parameters: [${names.join(' ')}]`;
}

/** Attach a warning; a write that had nothing to say now answers with the warning itself. */
function withWarning(resp: Response | undefined, op: Operation, warning: string): Response | undefined {
  if (resp === undefined) {
    // Reads and lists keep their 404; a warning must not turn "missing" into "found".
    if (op === 'read' || op === 'list') return undefined;
    return { warnings: [warning] };
  }
  return { ...resp, warnings: [...(resp.warnings ?? []), warning] };
}

export function createBackend(def: BackendDef, ctx: BackendContext): LogicalBackend {
  const table = compileTable(def.paths);

  const matchOrThrow = (req: BackendRequest): RouteMatch => {
    const match = route(table, req.relativePath);
    if (match === undefined) throw new RouteNotFoundError('unsupported path');
    return match;
  };

  /**
   * The route and fields the existence check of a request found, for its handleRequest (the
   * core asks both of the same request object, create/update writes on every such path): used
   * only while the request still names the same path and data.
   */
  const checked = new WeakMap<BackendRequest, { relativePath: string; data: BackendRequest['data']; match: RouteMatch; parsed: ParsedFields<FieldSchemas> }>();
  const routeAndFields = (req: BackendRequest): { match: RouteMatch; parsed: ParsedFields<FieldSchemas> } => {
    const found = checked.get(req);
    if (found !== undefined) {
      checked.delete(req);
      if (found.relativePath === req.relativePath && found.data === req.data) return found;
    }
    const match = matchOrThrow(req);
    return { match, parsed: parseFields(match.path.def.fields, req.data, match.captures) };
  };

  const backend: LogicalBackend = {
    specialPaths: def.specialPaths ?? {},

    describePaths: () =>
      def.paths.map((p) => ({
        pattern: p.pattern,
        fields: p.fields,
        operations: PATH_OPERATIONS.filter((op) => p.operations[op] !== undefined),
        createSupported: p.existenceCheck !== undefined,
        synopsis: p.synopsis,
        description: p.description,
      })),

    async handleRequest(req: BackendRequest): Promise<Response | undefined> {
      if (req.operation === 'help') {
        if (req.relativePath === '') return helpResponse(rootHelp(def.help, def.paths));
        const match = matchOrThrow(req);
        return helpResponse(pathHelp(req.relativePath, match.path.def, `^${match.path.def.pattern}$`));
      }
      const { match, parsed } = routeAndFields(req);
      const handler = handlerFor(match.path.def, req.operation);
      if (handler === undefined) throw new UnsupportedOperationError();
      const { fields, unknown } = parsed;
      const resp = await handler(req, fields, ctx);
      if (unknown.length === 0 || match.path.def.takesArbitraryInput === true) return resp;
      return withWarning(resp, req.operation, ignoredFieldsWarning(unknown));
    },

    async existenceCheck(req: BackendRequest): Promise<ExistenceResult> {
      const match = route(table, req.relativePath);
      // An unknown path fails later, in handleRequest, with the proper error.
      if (match === undefined || match.path.def.existenceCheck === undefined) return { supported: false, exists: false };
      const parsed = parseFields(match.path.def.fields, req.data, match.captures);
      checked.set(req, { relativePath: req.relativePath, data: req.data, match, parsed });
      return { supported: true, exists: await match.path.def.existenceCheck(req, parsed.fields, ctx) };
    },
  };
  const secrets = def.secrets;
  if (secrets !== undefined) {
    const secretDef = (lease: LeaseHandle): SecretDef => {
      const found = Object.prototype.hasOwnProperty.call(secrets, lease.secretType) ? secrets[lease.secretType] : undefined;
      if (found === undefined) throw new Error(`unknown secret type ${JSON.stringify(lease.secretType)}`);
      return found;
    };
    backend.revokeSecret = (lease) => secretDef(lease).revoke(lease, ctx);
    backend.renewSecret = async (lease, increment) => {
      const renew = secretDef(lease).renew;
      if (renew === undefined) throw new BadRequestError('lease is not renewable');
      return renew(lease, increment, ctx);
    };
  }
  if (def.renewLogin !== undefined) {
    const renewLogin = def.renewLogin;
    backend.renewLogin = (login) => renewLogin(login, ctx);
  }
  if (def.resolveRole !== undefined) {
    const resolve = def.resolveRole;
    backend.resolveRole = (req) => resolve(req, ctx);
  }
  if (def.initialize !== undefined) {
    const init = def.initialize;
    backend.initialize = () => init(ctx);
  }
  if (def.cleanup !== undefined) {
    const cleanup = def.cleanup;
    backend.cleanup = () => cleanup(ctx);
  }
  if (def.invalidate !== undefined) {
    const invalidate = def.invalidate;
    backend.invalidate = (key) => invalidate(key, ctx);
  }
  if (def.writesShared !== undefined) backend.writesShared = def.writesShared;
  return backend;
}
