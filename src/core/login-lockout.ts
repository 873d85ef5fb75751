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
 * Counts and locks are kept in memory on the node that served the logins (Vault persists
 * locks; here a restart lifts them). Unknown aliases are counted like known ones, so whether an
 * alias exists cannot be learnt from when the answers change. Memory is bounded: past
 * MAX_TRACKED aliases the stalest entry is dropped.
 */
import { PermissionDeniedError } from '../errors.js';
import type { Clock } from '../clock.js';
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
  ) {}

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
      },
      failed: () => this.fail(key, settings),
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
  unlock(accessor: string, alias: string): void {
    this.tracked.delete(keyOf(accessor, alias));
  }

  /** Forget everything (seal, HA step-down). */
  clear(): void {
    this.tracked.clear();
  }

  private fail(key: string, s: LockoutSettings): void {
    const now = this.clock.now();
    let t = this.tracked.get(key);
    if (t === undefined || now - t.lastFailure > s.counterReset * 1000) {
      t = { failures: 0, lastFailure: now, lockedUntil: 0 };
    }
    t.failures++;
    t.lastFailure = now;
    if (t.failures >= s.threshold) t.lockedUntil = now + s.duration * 1000;
    // Re-inserted at the end: map order is staleness order, the front is dropped first.
    this.tracked.delete(key);
    this.tracked.set(key, t);
    if (this.tracked.size > MAX_TRACKED) this.tracked.delete(this.tracked.keys().next().value!);
  }
}

function keyOf(accessor: string, alias: string): string {
  return `${accessor}\u0000${alias}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}
