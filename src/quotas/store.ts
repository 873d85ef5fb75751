/**
 * The quota rules and settings behind the barrier (QUOTA_PREFIX: `rate-limit/<name>`, `config`;
 * replicated), and the node's RateLimiter that enforces them. The request path never waits on
 * storage: a write here reconfigures the limiter at once, and what other nodes wrote (a
 * primary's rules on a secondary, the active node's on a performance standby) is picked up by a
 * background reload at most once a second.
 */
import type { Clock } from '../clock.js';
import { StorageView, type Storage } from '../logical/storage.js';
import { QUOTA_PREFIX } from '../storage/keys.js';
import { DEFAULT_QUOTA_SETTINGS, RateLimiter, type QuotaSettings, type RateLimitRule } from './rate-limit.js';

const RULES = 'rate-limit/';
const CONFIG = 'config';
const RELOAD_EVERY_MS = 1000;

export class QuotaStore {
  readonly limiter = new RateLimiter();
  private readonly view: StorageView;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private reloading: Promise<void> | undefined;
  private enabled = false;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
  ) {
    this.view = new StorageView(storage, QUOTA_PREFIX);
  }

  /** After unseal: read the rules before the first request is admitted. */
  async setup(): Promise<void> {
    this.enabled = true;
    await this.reload();
  }

  /** Sealed or stepped down: nothing is enforced, nothing is kept. */
  teardown(): void {
    this.enabled = false;
    this.limiter.configure([], DEFAULT_QUOTA_SETTINGS);
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  /** Whether the role of a login on `path` decides its rule (a rule with a role covers it). */
  rolesCover(path: string): boolean {
    return this.enabled && this.limiter.rolesCover(path);
  }

  /** The request-path check: throws RateLimitedError when the client is over its rule. */
  admit(path: string, client: string, role?: string): void {
    if (!this.enabled) return;
    const now = this.clock.now();
    if (now - this.loadedAt >= RELOAD_EVERY_MS && this.reloading === undefined) {
      this.reloading = this.reload()
        .catch(() => undefined)
        .finally(() => {
          this.reloading = undefined;
        });
    }
    if (this.limiter.active) this.limiter.admit(path, client, now, role);
  }

  /** Whether refused requests are audited (enable_rate_limit_audit_logging), as last loaded. */
  get auditRefusals(): boolean {
    return this.limiter.settingsNow.enableRateLimitAuditLogging;
  }

  async settings(): Promise<QuotaSettings> {
    return (await this.view.getJSON<QuotaSettings>(CONFIG)) ?? DEFAULT_QUOTA_SETTINGS;
  }

  async putSettings(settings: QuotaSettings): Promise<void> {
    await this.view.putJSON(CONFIG, settings);
    await this.reload();
  }

  list(): Promise<string[]> {
    return this.view.list(RULES);
  }

  async rules(): Promise<RateLimitRule[]> {
    const names = await this.list();
    const rules = await Promise.all(names.map((n) => this.view.getJSON<RateLimitRule>(RULES + n)));
    return rules.filter((r): r is RateLimitRule => r !== undefined);
  }

  get(name: string): Promise<RateLimitRule | undefined> {
    return this.view.getJSON<RateLimitRule>(RULES + name);
  }

  async put(rule: RateLimitRule): Promise<void> {
    await this.view.putJSON(RULES + rule.name, rule);
    await this.reload();
  }

  async delete(name: string): Promise<void> {
    await this.view.delete(RULES + name);
    await this.reload();
  }

  private async reload(): Promise<void> {
    const started = this.clock.now();
    const [rules, settings] = await Promise.all([this.rules(), this.settings()]);
    if (!this.enabled) return;
    this.limiter.configure(rules, settings);
    this.loadedAt = started;
  }
}
