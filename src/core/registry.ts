/**
 * Mount types the router can instantiate. Adding an engine means adding a line here and a
 * folder under src/engines/; no other core code changes.
 */
import type { BackendFactory } from '../logical/backend.js';
import { kvV1Factory } from '../engines/kv/v1/backend.js';
import { kvV2Factory } from '../engines/kv/v2/backend.js';

export function factoryFor(type: string, options: Readonly<Record<string, string>>): BackendFactory | undefined {
  switch (type) {
    case 'kv':
      return options['version'] === '2' ? kvV2Factory : kvV1Factory;
    case 'generic':
      return kvV1Factory;
    default:
      return undefined;
  }
}
