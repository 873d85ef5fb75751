/**
 * sys/policies/password (LIST), sys/policies/password/:name (read, write, delete) and
 * sys/policies/password/:name/generate over the core's PasswordPolicyStore (src/passwords/).
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Core } from '../core/core.js';
import { decodePolicyText } from './policy-paths.js';

const NAME = '(?<name>[^/]+)';

export function passwordPolicyPaths(core: Core): PathDef[] {
  const store = core.passwordPolicies;
  return [
    definePath({
      pattern: 'policies/password/?',
      fields: {},
      operations: { list: async () => ({ data: { keys: await store.list() } }) },
      synopsis: 'List password policies.',
      description: 'The names of the stored password policies.',
    }),
    definePath({
      pattern: `policies/password/${NAME}`,
      fields: {
        name: { type: 'string', description: 'Name of the password policy.' },
        policy: { type: 'string', description: 'The policy document, HCL or JSON; may be base64-encoded.' },
      },
      operations: {
        read: async (_req, f) => {
          const text = await store.get(f.get('name'));
          return text === undefined ? undefined : { data: { policy: text } };
        },
        update: async (_req, f) => {
          const text = f.get('policy');
          if (text === '') throw new BadRequestError('missing password policy');
          await store.put(f.get('name'), decodePolicyText(text));
          return undefined;
        },
        delete: async (_req, f) => {
          await store.delete(f.get('name'));
          return undefined;
        },
      },
      synopsis: 'Read, write or delete a password policy.',
      description: 'PUT stores `policy` once a few passwords could be generated from it; GET returns the text; DELETE removes it without checking who uses it.',
    }),
    definePath({
      pattern: `policies/password/${NAME}/generate`,
      fields: { name: { type: 'string', description: 'Name of the password policy.' } },
      operations: {
        read: async (_req, f) => {
          const password = await store.generate(f.get('name'));
          return password === undefined ? undefined : { data: { password } };
        },
      },
      synopsis: 'Generate a password from a password policy.',
      description: 'A new password that meets the named policy.',
    }),
  ];
}
