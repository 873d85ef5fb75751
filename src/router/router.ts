/**
 * Longest-prefix routing from a request path to a mounted backend. The router knows mounts
 * only as prefixes; persistence of the mount table is the MountTable's job.
 */
import type { LogicalBackend, MountSettings } from '../logical/backend.js';
import type { MountEntry, MountKind } from './mount-entry.js';

export interface RouteEntry {
  /** Full routing prefix: "secret/" or "auth/userpass/". */
  readonly prefix: string;
  readonly kind: MountKind;
  readonly entry: MountEntry;
  /** The mount's live settings (TTLs follow tuning). */
  readonly settings: MountSettings;
  readonly backend: LogicalBackend;
  /** Physical storage prefix of the mount: "logical/<uuid>/" or "auth/<uuid>/". */
  readonly storagePrefix: string;
}

export interface Match {
  readonly route: RouteEntry;
  /** The request path with the mount prefix removed. */
  readonly relativePath: string;
}

export class Router {
  private readonly routes = new Map<string, RouteEntry>();

  add(route: RouteEntry): void {
    if (this.routes.has(route.prefix)) throw new Error(`route ${route.prefix} already exists`);
    this.routes.set(route.prefix, route);
  }

  remove(prefix: string): RouteEntry | undefined {
    const r = this.routes.get(prefix);
    this.routes.delete(prefix);
    return r;
  }

  get(prefix: string): RouteEntry | undefined {
    return this.routes.get(prefix);
  }

  all(): RouteEntry[] {
    return [...this.routes.values()];
  }

  clear(): RouteEntry[] {
    const all = this.all();
    this.routes.clear();
    return all;
  }

  /**
   * The mount whose prefix is the longest prefix of path. A path equal to a mount prefix
   * without its trailing slash ("secret") also matches that mount, as in Vault.
   */
  match(path: string): Match | undefined {
    const withSlash = path.endsWith('/') ? path : path + '/';
    let end = withSlash.length;
    while (end > 0) {
      const candidate = withSlash.slice(0, end);
      const route = this.routes.get(candidate);
      if (route !== undefined) {
        return { route, relativePath: path.length >= candidate.length ? path.slice(candidate.length) : '' };
      }
      end = withSlash.lastIndexOf('/', end - 2) + 1;
    }
    return undefined;
  }

  /** A mount that is a prefix of `prefix` or has `prefix` as its prefix (nesting conflict). */
  conflict(prefix: string): RouteEntry | undefined {
    for (const r of this.routes.values()) {
      if (r.prefix.startsWith(prefix) || prefix.startsWith(r.prefix)) return r;
    }
    return undefined;
  }
}
