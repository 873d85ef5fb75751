/**
 * The contract between the engine and a database plugin. A plugin owns one connection pool
 * for one config; the engine decides what to run (statements, names,
 * passwords, expirations) and the plugin runs it. Every error a plugin throws is a
 * PluginError whose message is already redacted: it never contains the connection password,
 * the connection URL's password or a password passed in the call.
 */
/** How PostgreSQL receives new passwords: plaintext, or a SCRAM-SHA-256 verifier computed here. */
export type PasswordAuthentication = 'password' | 'scram-sha-256';

/** The plugin-specific part of a config (Vault's `connection_details`). */
export interface ConnectionDetails {
  readonly connectionUrl: string;
  readonly username: string;
  /** Stored (barrier-encrypted), never returned. */
  readonly password: string;
  readonly maxOpenConnections: number;
  readonly maxIdleConnections: number;
  /** Seconds; 0 = connections are reused forever. */
  readonly maxConnectionLifetime: number;
  readonly passwordAuthentication: PasswordAuthentication;
  /** Insert username and password into the URL as given instead of percent-encoding them. */
  readonly disableEscaping: boolean;
  /** Vault's `username_template` for dynamic users (username-template.ts); '' or absent: Vault's default shape. */
  readonly usernameTemplate?: string;
}

export interface NewUser {
  readonly username: string;
  readonly password: string;
  /** ms since the epoch, rendered as `{{expiration}}`. */
  readonly expiration: number;
  readonly statements: readonly string[];
}

export interface DatabasePlugin {
  /** Open a connection and run a trivial query. */
  verify(): Promise<void>;
  createUser(req: NewUser): Promise<void>;
  /** Statements empty: the plugin's default (VALID UNTIL the new expiration). */
  renewUser(req: { username: string; expiration: number; statements: readonly string[] }): Promise<void>;
  /** Statements empty: the plugin's default revocation. Revoking a missing user succeeds. */
  revokeUser(req: { username: string; statements: readonly string[] }): Promise<void>;
  /** Statements empty: the plugin's default password change. */
  setPassword(req: { username: string; password: string; statements: readonly string[] }): Promise<void>;
  /** Close the pool; waits for queries in flight. */
  close(): Promise<void>;
}

/** A failure reported by a plugin; the message is safe to show and log. */
export class PluginError extends Error {
  override readonly name = 'PluginError';
}
