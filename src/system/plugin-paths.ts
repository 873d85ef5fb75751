/**
 * sys/plugins/catalog: Vault's plugin catalog, read-only. Arca runs no external plugins; the
 * catalog lists what is built in (secrets engines, auth methods, database plugins), in Vault's
 * shapes, so `vault plugin list` and tools that look plugins up before mounting them work.
 * Registering or removing a plugin is refused.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import { BUILTIN_BACKENDS } from '../engines/index.js';
import { databasePluginNames } from '../engines/database/catalog.js';
import { VERSION } from '../version.js';

type PluginType = 'auth' | 'database' | 'secret';
const TYPES: readonly PluginType[] = ['auth', 'database', 'secret'];
/** Mount types that exist but are not user-mountable plugins. */
const INTERNAL = new Set(['cubbyhole', 'generic', 'kv-v2']);

function catalog(): Record<PluginType, string[]> {
  const out: Record<PluginType, string[]> = { auth: [], database: databasePluginNames(), secret: [] };
  for (const [name, reg] of BUILTIN_BACKENDS) if (!INTERNAL.has(name)) out[reg.kind].push(name);
  for (const t of TYPES) out[t].sort();
  return out;
}

const builtinVersion = (): string => `v${VERSION}+builtin.arca`;

function pluginType(raw: string): PluginType {
  if ((TYPES as readonly string[]).includes(raw)) return raw as PluginType;
  throw new BadRequestError(`${JSON.stringify(raw)} is not a supported plugin type: use auth, database or secret`);
}

const refuse = async (): Promise<never> => {
  throw new BadRequestError('external plugins are not supported by this server: its plugins are built in');
};

export function pluginPaths(): PathDef[] {
  return [
    definePath({
      pattern: 'plugins/catalog/?',
      fields: {},
      operations: {
        read: async () => {
          const c = catalog();
          const detailed = TYPES.flatMap((type) => c[type].map((name) => ({ name, type, version: builtinVersion(), builtin: true, deprecation_status: 'supported' })));
          return { data: { ...c, detailed } };
        },
        list: async () => ({ data: { keys: TYPES.flatMap((t) => catalog()[t]).sort() } }),
      },
      synopsis: 'The plugin catalog.',
      description: 'Built-in plugins by type.',
    }),
    definePath({
      pattern: 'plugins/catalog/(?<type>auth|database|secret)/?',
      fields: { type: { type: 'string', description: 'auth, database or secret.' } },
      operations: { list: async (_req, f) => ({ data: { keys: catalog()[pluginType(f.get('type'))] } }) },
      synopsis: 'Plugins of one type.',
      description: 'The built-in plugins of the given type.',
    }),
    definePath({
      pattern: 'plugins/catalog/(?<type>auth|database|secret)/(?<name>[^/]+)',
      fields: {
        type: { type: 'string', description: 'auth, database or secret.' },
        name: { type: 'string', description: 'The plugin name.' },
      },
      operations: {
        read: async (_req, f) => {
          const type = pluginType(f.get('type'));
          const name = f.get('name');
          if (!catalog()[type].includes(name)) return undefined;
          return { data: { name, type, builtin: true, version: builtinVersion(), command: '', args: [], sha256: '', deprecation_status: 'supported' } };
        },
        update: refuse,
        delete: refuse,
      },
      synopsis: 'One plugin of the catalog.',
      description: 'Built-in plugins are read-only; registering external ones is not supported.',
    }),
  ];
}
