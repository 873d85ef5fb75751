/**
 * A performance standby: a standby that answers side-effect-free reads itself (README.md,
 * "Performance standbys"). Everything it is unsure about is forwarded, before any work starts.
 *
 * Freshness: data is read from the shared storage every time (the barrier cache is off), so a
 * read sees every write acknowledged before it began. What lives in memory (mount and auth
 * tables, policies, identity, audit devices, keyring) follows the active node through the
 * generation row (generation.ts): every local read first reads the generation, in a query that
 * started after the request arrived, and if it moved, waits while the standby reloads what
 * changed (no local read runs during a reload). If the row or its triggers are missing, or the
 * check fails, the request is forwarded.
 */
import type { Clock } from '../clock.js';
import type { Request, Response } from '../logical/request.js';
import { StorageView, type Storage } from '../logical/storage.js';
import { hasV1Data } from '../engines/kv/v2/upgrade.js';
import type { Match } from '../router/router.js';
import type { FoundToken } from '../token/token-store.js';
import type { Logger } from '../util/logger.js';
import { SerialQueue } from '../util/serial-queue.js';
import { NotActiveError } from './errors.js';
import { changedSince, type Generation } from './generation.js';

/** Mount types whose reads have no side effects (no lease, no external call, no write, no cache). */
export const LOCAL_READ_TYPES: ReadonlySet<string> = new Set(['kv', 'cubbyhole']);

/** Request headers that ask for a consistency guarantee: such requests go to the active node. */
const CONSISTENCY_HEADERS = ['x-vault-index', 'x-vault-inconsistent', 'x-vault-forward', 'x-arca-max-staleness'];

/** How long a standby waits before trying again to become a performance standby. */
const RETRY_MS = 1_000;
/** After a failed load (e.g. a write the fence refused), wait longer. */
const LOAD_RETRY_MS = 5_000;
/** Role changes wait at most this long for local reads in flight. */
const DRAIN_MS = 5_000;

export interface PerfCore {
  loadPerfStandby(): Promise<void>;
  refreshPerfStandby(changed: { tables: boolean; policy: boolean; identity: boolean }): Promise<void>;
  unloadPerfStandby(): Promise<void>;
  readonly router: { match(path: string): Match | undefined };
  readonly tokens: { lookup(token: string): Promise<FoundToken | undefined> };
  readonly barrier: Storage;
}

export interface PerfStandbyDeps {
  readonly core: PerfCore;
  readonly pipeline: { handle(req: Request): Promise<Response | undefined> };
  readonly generation: { read(): Promise<Generation | undefined> };
  /** Whether this node may be a performance standby now (a plain standby, not a replication secondary). */
  readonly eligible: () => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
}

type State = 'off' | 'ready';

export class PerfStandby {
  private state: State = 'off';
  private wanted = false;
  private loaded: Generation | undefined;
  private readonly queue = new SerialQueue();
  private cancelTimer: (() => void) | undefined;
  private refreshing: Promise<void> | undefined;
  private readers = 0;
  private drained: (() => void)[] = [];
  /** KV v2 backends known to hold no v1 data any more. */
  private readonly upgraded = new WeakSet<object>();

  constructor(private readonly deps: PerfStandbyDeps) {}

  /** Serving reads locally now (sys/health and sys/leader say `performance_standby`). */
  get active(): boolean {
    return this.state === 'ready';
  }

  /** This node became a standby: load the tables (once the active node installed the generation row). */
  start(): void {
    this.wanted = true;
    this.schedule(0);
  }

  /** Activation, seal or shutdown: stop serving locally and forget what was loaded. */
  stop(): Promise<void> {
    this.wanted = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const wasReady = this.state === 'ready';
    this.state = 'off';
    return this.queue.run(async () => {
      await this.drain();
      if (wasReady || this.loaded !== undefined) await this.deps.core.unloadPerfStandby().catch((err: unknown) => this.deps.logger.warn('ha: unloading the performance standby failed', { error: err as Error }));
      this.loaded = undefined;
    });
  }

  /**
   * The local answer (its `response` undefined: no content, as the pipeline says), or
   * undefined when the request must go to the active node.
   */
  async serve(req: Request): Promise<{ readonly response: Response | undefined } | undefined> {
    if (this.state !== 'ready' || !localCandidate(req)) return undefined;
    let gen: Generation | undefined;
    try {
      gen = await this.deps.generation.read();
    } catch (err) {
      this.deps.logger.debug('ha: generation check failed; forwarding', { error: err as Error });
      return undefined;
    }
    if (gen === undefined) {
      this.restart('the generation row or its triggers are missing');
      return undefined;
    }
    const leave = await this.enterAt(gen);
    if (leave === undefined) return undefined;
    try {
      const match = this.deps.core.router.match(req.path);
      if (match === undefined || match.route.kind !== 'secret' || !LOCAL_READ_TYPES.has(match.route.entry.type)) return undefined;
      if (!(await this.noV1Data(match))) return undefined;
      // Tokens whose use is counted (num_uses), batch tokens and unknown tokens: the active node decides.
      const found = await this.deps.core.tokens.lookup(req.clientToken);
      if (found === undefined || found.idHash === '' || found.entry.type !== 'service' || found.entry.numUses !== 0) return undefined;
      try {
        return { response: await this.deps.pipeline.handle(req) };
      } catch (err) {
        // Something on the way tried to write: reads are safe to run again at the active node.
        if (err instanceof NotActiveError) return undefined;
        throw err;
      }
    } finally {
      leave();
    }
  }

  /**
   * A KV v2 mount still holding v1 data is being upgraded by the active node (which answers
   * "upgrading" meanwhile); a passive standby never runs the upgrade, so it forwards until the
   * data is converted. Once none is left none comes back for that backend instance.
   */
  private async noV1Data(match: Match): Promise<boolean> {
    const route = match.route;
    if (route.entry.type !== 'kv' || route.entry.options['version'] !== '2' || this.upgraded.has(route.backend)) return true;
    if (await hasV1Data(new StorageView(this.deps.core.barrier, route.storagePrefix))) return false;
    this.upgraded.add(route.backend);
    return true;
  }

  /** Enter as a reader once the loaded state is at least `gen`; undefined when not serving. */
  private async enterAt(gen: Generation): Promise<(() => void) | undefined> {
    for (;;) {
      if (this.state !== 'ready' || this.loaded === undefined) return undefined;
      if (this.refreshing !== undefined) {
        await this.refreshing;
        continue;
      }
      const changed = changedSince(this.loaded, gen);
      if (changed === undefined) break;
      const loaded = this.loaded;
      this.refreshing = this.queue
        .run(async () => {
          if (this.state !== 'ready' || this.loaded !== loaded) return;
          await this.drain(Number.POSITIVE_INFINITY);
          try {
            await this.deps.core.refreshPerfStandby(changed);
            this.loaded = gen;
          } catch (err) {
            this.deps.logger.warn('ha: following the active node failed; reloading', { error: err as Error });
            this.restart('refresh failed');
          }
        })
        .finally(() => {
          this.refreshing = undefined;
        });
    }
    this.readers++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.readers--;
      if (this.readers === 0) for (const wake of this.drained.splice(0)) wake();
    };
  }

  /** Stop serving locally, unload, and load afresh later. */
  private restart(reason: string): void {
    if (this.state !== 'ready') return;
    this.deps.logger.warn('ha: performance standby stops serving reads locally', { reason });
    this.state = 'off';
    void this.queue.run(async () => {
      await this.drain();
      await this.deps.core.unloadPerfStandby().catch(() => undefined);
      this.loaded = undefined;
    });
    if (this.wanted) this.schedule(RETRY_MS);
  }

  private schedule(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.deps.clock.setTimer(ms, () => {
      this.cancelTimer = undefined;
      void this.queue.run(() => this.tryLoad());
    });
  }

  private async tryLoad(): Promise<void> {
    if (!this.wanted || this.state === 'ready') return;
    if (!this.deps.eligible()) {
      this.schedule(RETRY_MS);
      return;
    }
    let gen: Generation | undefined;
    try {
      gen = await this.deps.generation.read();
    } catch (err) {
      this.deps.logger.debug('ha: cannot read the generation row yet', { error: err as Error });
    }
    if (gen === undefined) {
      this.schedule(RETRY_MS);
      return;
    }
    try {
      // Read after the generation: a change in between only causes one extra reload.
      await this.deps.core.loadPerfStandby();
    } catch (err) {
      this.deps.logger.warn('ha: cannot load tables as a performance standby; forwarding every request', { error: err as Error });
      this.schedule(LOAD_RETRY_MS);
      return;
    }
    if (!this.wanted) {
      await this.deps.core.unloadPerfStandby();
      return;
    }
    this.loaded = gen;
    this.state = 'ready';
    this.deps.logger.info('ha: performance standby: serving read requests locally');
  }

  /** Wait until no local read is in flight (at most `ms`). */
  private async drain(ms = DRAIN_MS): Promise<void> {
    if (this.readers === 0) return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        cancel?.();
        resolve();
      };
      const cancel = Number.isFinite(ms)
        ? this.deps.clock.setTimer(ms, () => {
            this.drained = this.drained.filter((w) => w !== wake);
            resolve();
          })
        : undefined;
      this.drained.push(wake);
    });
  }
}

/** A request a performance standby may answer itself, judged before anything runs. */
export function localCandidate(req: Request): boolean {
  if (req.operation !== 'read' && req.operation !== 'list') return false;
  if (req.wrapTTL > 0) return false;
  if (req.path.startsWith('sys/') || req.path.startsWith('auth/') || req.path.startsWith('identity/')) return false;
  if (req.clientToken === '') return false;
  for (const h of CONSISTENCY_HEADERS) if (req.headers[h] !== undefined) return false;
  return true;
}
