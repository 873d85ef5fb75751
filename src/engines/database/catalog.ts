/** The plugin catalog: `plugin_name` -> how to validate connection details and open a pool. */
import type { ConnectionDetails, DatabasePlugin } from './plugin-api.js';
import { openPostgres, POSTGRES_PLUGIN_NAME, validatePostgres } from './postgresql-plugin.js';
import type { Redactor } from './redact.js';

export interface PluginDef {
  readonly name: string;
  /** Throws PluginError when the details cannot work (missing connection_url, ...). */
  validate(details: ConnectionDetails): void;
  open(details: ConnectionDetails, redactor: Redactor): DatabasePlugin;
}

const CATALOG: ReadonlyMap<string, PluginDef> = new Map([
  [POSTGRES_PLUGIN_NAME, { name: POSTGRES_PLUGIN_NAME, validate: validatePostgres, open: openPostgres }],
]);

export function pluginDef(name: string): PluginDef | undefined {
  return CATALOG.get(name);
}

/** Every plugin name the catalog knows (sys/plugins/catalog lists them). */
export function databasePluginNames(): string[] {
  return [...CATALOG.keys()];
}
