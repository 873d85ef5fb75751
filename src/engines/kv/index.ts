/**
 * The KV secrets engine. One mount type, two storage formats: `options.version` "2" selects
 * the versioned engine, anything else (default "1") the unversioned one. The legacy `generic`
 * type is always v1 and the `kv-v2` alias always v2.
 */
import { BadRequestError } from '../../errors.js';
import type { BackendContext, LogicalBackend } from '../../logical/backend.js';
import { kvV1Factory } from './v1/backend.js';
import { kvV2Factory } from './v2/backend.js';

export { KV_V1_PATHS, kvV1Factory } from './v1/backend.js';
export { KV_V2_PATHS, KV_V2_SPECIAL_PATHS, kvV2Factory, type KvV2Backend } from './v2/backend.js';
export { UPGRADE_IN_PROGRESS_MESSAGE } from './v2/upgrade.js';

export function kvFactory(ctx: BackendContext): LogicalBackend {
  const version = ctx.mount.options.version ?? '1';
  if (version === '2') return kvV2Factory(ctx);
  if (version === '1' || version === '') return kvV1Factory(ctx);
  throw new BadRequestError(`unsupported kv version ${JSON.stringify(version)}: must be "1" or "2"`);
}
