/**
 * User lockout, as Vault (1.13+) does it for userpass and approle: after `threshold` failed
 * logins of one alias (a username, a role ID) on one auth mount, each less than
 * `counterReset` after the previous, the alias is locked for `duration`: its logins are
 * refused with "permission denied" before the auth method checks anything. A successful login
 * clears the count; sys/locked-users/:accessor/unlock/:alias lifts a lock early.
 *
 * Defaults are Vault's: 5 failures, 15 minutes locked, counter reset after 15 minutes. A mount
 * can tune them (`user_lockout_config`); VAULT_DISABLE_USER_LOCKOUT=true turns lockout off.
 *
 * Counts are kept in memory on the node that served the logins; locks are also stored (local
 * storage, LOCKED_USERS_PREFIX), as Vault stores them, so a restart or an HA failover does not
 * lift them: the active node loads them at unseal. Unknown aliases are counted like known
 * ones, so whether an alias exists cannot be learnt from when the answers change. Memory is
 * bounded: past MAX_TRACKED aliases the stalest entry is dropped. A lock that has run out
 * starts the count afresh.
 */
import { PermissionDeniedError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Storage } from '../logical/storage.js';
import { LOCKED_USERS_PREFIX } from '../storage/keys.js';
import type { MountEntry, UserLockoutTune } from '../router/mount-entry.js';

export interface LockoutSettings {
  readonly threshold: number;
  /** Seconds. */
  readonly duration: number;
  /** Seconds. */
  readonly counterReset: number;
  readonly disabled: boolean;
}

export const LOCKOUT_DEFAULTS: LockoutSettings = { threshold: 5, duration: 900, counterReset: 900, disabled: false };
export const MAX_TRACKED = 100_000;

/** The auth method types that support lockout, and how each names the alias of a login request. */
const LOOKAHEAD: Readonly<Record<string, (relativePath: string, data: Readonly<Record<string, unknown>>) => string | undefined>> = {
  userpass: (path) => {
    const m = /^login\/([^/]+)$/.exec(path);
    return m === null ? undefined : m[1]!.toLowerCase();
  },
  approle: (path, data) => {
    if (path !== 'login') return undefined;
    const roleId = data['role_id'];
    return typeof roleId === 'string' && roleId !== '' ? roleId : undefined;
  },
};

export function supportsLockout(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(LOOKAHEAD, type);
}

interface Tracked {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

/** One login being served: what the pipeline reports back once the auth method has answered. */
export interface LoginAttempt {
  succeeded(): void;
  failed(): void;
}

export class LoginLockout {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly clock: Clock,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
    /** Where locks are kept across restarts; absent: in memory only (tests of the rules). */
    private readonly storage?: Storage,
  ) {}

  /** After unseal (active node): the stored locks still running are in force again; run-out ones are deleted. */
  async load(): Promise<void> {
    if (this.storage === undefined) return;
    const now = this.clock.now();
    for (const accessorDir of await this.storage.list(LOCKED_USERS_PREFIX)) {
      const prefix = LOCKED_USERS_PREFIX + accessorDir;
      for (const name of await this.storage.list(prefix)) {
        const raw = await this.storage.get(prefix + name);
        const lockedUntil = raw === undefined ? 0 : Number((JSON.parse(raw.toString('utf8')) as { locked_until?: unknown }).locked_until);
        if (!(lockedUntil > now)) {
          await this.storage.delete(prefix + name);
          continue;
        }
        const alias = Buffer.from(name, 'base64url').toString('utf8');
        this.tracked.set(keyOf(accessorDir.replace(/\/$/, ''), alias), { failures: 0, lastFailure: now, lockedUntil });
      }
    }
  }

  /** The effective settings of an auth mount: its tune over the defaults; the environment can disable. */
  settingsFor(entry: Pick<MountEntry, 'config'>): LockoutSettings {
    const t: UserLockoutTune = entry.config.user_lockout_config ?? {};
    const envOff = /^(1|t|true)$/i.test(this.env['VAULT_DISABLE_USER_LOCKOUT'] ?? '');
    return {
      threshold: t.lockout_threshold ?? LOCKOUT_DEFAULTS.threshold,
      duration: t.lockout_duration ?? LOCKOUT_DEFAULTS.duration,
      counterReset: t.lockout_counter_reset ?? LOCKOUT_DEFAULTS.counterReset,
      disabled: envOff || (t.lockout_disable ?? LOCKOUT_DEFAULTS.disabled),
    };
  }

  /**
   * A login request on an auth mount: undefined when lockout does not apply (another method or
   * path, lockout off); throws PermissionDeniedError when the alias is locked.
   */
  begin(entry: Pick<MountEntry, 'type' | 'accessor' | 'config'>, relativePath: string, data: Readonly<Record<string, unknown>>): LoginAttempt | undefined {
    const lookahead = LOOKAHEAD[entry.type];
    if (lookahead === undefined) return undefined;
    const alias = lookahead(relativePath, data);
    if (alias === undefined) return undefined;
    const settings = this.settingsFor(entry);
    if (settings.disabled) return undefined;
    const key = keyOf(entry.accessor, alias);
    const now = this.clock.now();
    const t = this.tracked.get(key);
    if (t !== undefined && t.lockedUntil > now) throw new PermissionDeniedError();
    return {
      succeeded: () => {
        this.tracked.delete(key);
        // A lock that ran out is still stored until its alias logs in or the next load.
        if (t !== undefined && t.lockedUntil > 0) this.forget(entry.accessor, alias);
      },
      failed: () => {
        if (this.fail(key, settings)) this.remember(entry.accessor, alias, this.tracked.get(key)!.lockedUntil);
      },
    };
  }

  /** Locked aliases now, by mount accessor (sys/locked-users). */
  locked(accessor?: string): Map<string, string[]> {
    const now = this.clock.now();
    const out = new Map<string, string[]>();
    for (const [key, t] of this.tracked) {
      if (t.lockedUntil <= now) continue;
      const [acc, alias] = splitKey(key);
      if (accessor !== undefined && acc !== accessor) continue;
      const list = out.get(acc);
      if (list === undefined) out.set(acc, [alias]);
      else list.push(alias);
    }
    return out;
  }

  /** Lift a lock and forget the failures (idempotent). */
  async unlock(accessor: string, alias: string): Promise<void> {
    this.tracked.delete(keyOf(accessor, alias));
    await this.storage?.delete(storageKey(accessor, alias));
  }

  /** Forget everything (seal, HA step-down). */
  clear(): void {
    this.tracked.clear();
  }

  /** Count a failure; true when it started a lock. */
  private fail(key: string, s: LockoutSettings): boolean {
    const now = this.clock.now();
    let t = this.tracked.get(key);
    if (t === undefined || now - t.lastFailure > s.counterReset * 1000 || (t.lockedUntil > 0 && t.lockedUntil <= now)) {
      t = { failures: 0, lastFailure: now, lockedUntil: 0 };
    }
    t.failures++;
    t.lastFailure = now;
    const locks = t.failures >= s.threshold;
    if (locks) t.lockedUntil = now + s.duration * 1000;
    // Re-inserted at the end: map order is staleness order, the front is dropped first.
    this.tracked.delete(key);
    this.tracked.set(key, t);
    if (this.tracked.size > MAX_TRACKED) this.tracked.delete(this.tracked.keys().next().value!);
    return locks;
  }

  /** Store a lock; a failed write leaves it in memory only (the login already failed either way). */
  private remember(accessor: string, alias: string, lockedUntil: number): void {
    this.storage?.put(storageKey(accessor, alias), Buffer.from(JSON.stringify({ locked_until: lockedUntil }), 'utf8')).catch(() => undefined);
  }

  private forget(accessor: string, alias: string): void {
    this.storage?.delete(storageKey(accessor, alias)).catch(() => undefined);
  }
}

/** One stored lock per alias; the alias is base64url-encoded (it may hold "/"). */
function storageKey(accessor: string, alias: string): string {
  return `${LOCKED_USERS_PREFIX}${accessor}/${Buffer.from(alias, 'utf8').toString('base64url')}`;
}

function keyOf(accessor: string, alias: string): string {
  return `${accessor}\u0000${alias}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}
