/**
 * config (engine-wide settings) and subkeys/<path> (the shape of a version's data with the
 * values stripped).
 */
import { BadRequestError } from '../../../errors.js';
import { definePath, type PathHandler } from '../../../framework/index.js';
import { formatDuration } from '../../../util/duration.js';
import { checkSecretPath } from '../secret-path.js';
import { subkeys } from './json-merge.js';
import { KvStore } from './layout.js';
import { readVersion } from './versions.js';

const configFields = {
  max_versions: {
    type: 'int',
    description: 'The number of versions to keep for each key. Defaults to 10',
  },
  cas_required: {
    type: 'bool',
    description: 'If true, the backend will require the cas parameter to be set for each write',
  },
  delete_version_after: {
    type: 'duration',
    description: 'If set, the length of time before a version is deleted. A negative duration disables the use of delete_version_after on all keys. A zero duration clears the current setting.',
  },
} as const;

const writeConfig: PathHandler<typeof configFields> = async (_req, f, ctx) => {
  const store = new KvStore(ctx.storage);
  const config = { ...(await store.config()) };
  const maxVersions = f.getOk('max_versions');
  if (maxVersions !== undefined) {
    if (maxVersions < 0) throw new BadRequestError('max_versions must be greater than or equal to 0');
    config.maxVersions = maxVersions;
  }
  const casRequired = f.getOk('cas_required');
  if (casRequired !== undefined) config.casRequired = casRequired;
  const deleteAfter = f.getOk('delete_version_after');
  if (deleteAfter !== undefined) config.deleteVersionAfter = Math.max(0, deleteAfter);
  await store.putConfig(config);
  return undefined;
};

export const configPath = definePath({
  pattern: 'config',
  fields: configFields,
  operations: {
    read: async (_req, _f, ctx) => {
      const config = await new KvStore(ctx.storage).storedConfig();
      return {
        data: {
          cas_required: config.casRequired,
          delete_version_after: formatDuration(config.deleteVersionAfter),
          max_versions: config.maxVersions,
        },
      };
    },
    update: writeConfig,
  },
  synopsis: 'Configures settings for the KV store',
  description: `
This path configures backend level settings that are applied to every key in
the key-value store: max_versions (0 keeps 10 versions), cas_required and
delete_version_after. A key's own metadata can narrow them.
`,
});

const subkeysFields = {
  path: { type: 'string', description: 'Location of the secret.' },
  version: { type: 'int', description: 'The version of the secret; the latest when not set.' },
  depth: {
    type: 'int',
    description: 'The deepest nesting level to provide in the output; 0 (the default) imposes no limit.',
  },
} as const;

export const subkeysPath = definePath({
  pattern: 'subkeys/(?<path>.*)',
  fields: subkeysFields,
  operations: {
    read: async (_req, f, ctx) => {
      const path = checkSecretPath(f.get('path'));
      const depth = f.get('depth');
      if (depth < 0) throw new BadRequestError('depth must be greater than or equal to 0');
      const found = await readVersion(new KvStore(ctx.storage), path, f.get('version'), ctx.clock.now());
      if (found === undefined) return undefined;
      const { data, metadata } = found;
      if (data === undefined) return { statusCode: 404, data: { subkeys: null, metadata } };
      return { data: { subkeys: subkeys(data, depth), metadata } };
    },
  },
  synopsis: 'Read the structure of a secret entry from the Key-Value store with the values removed.',
  description: `
Returns the keys of a version's data with every leaf value replaced by null.
"depth" limits how deep nested keys are followed.
`,
});
