/**
 * sys/ endpoints for ACL policies over the core's PolicyStore:
 *   sys/policy, sys/policy/:name            the legacy API (GET lists; the text is `rules`)
 *   sys/policies/acl, sys/policies/acl/:name the current API (LIST lists; the text is `policy`)
 * Both write the same store. The store normalises names, refuses to write `root` and
 * `response-wrapping` or to delete them and `default`, and reports parse errors with the line.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import { normalizePolicyName, ROOT_POLICY_NAME } from '../policy/index.js';

const RULES_DEPRECATED = "'rules' is deprecated, please use 'policy' instead";

/**
 * Vault accepts the policy text base64-encoded (to spare callers the escaping); text that
 * decodes as standard, padded base64 is taken decoded. Policy text in HCL or JSON always holds
 * spaces, quotes or braces, so it never reads as base64 by accident.
 */
export function decodePolicyText(text: string): string {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return text;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** The policy name from the URL; a "/" would make it a folder of the store, never listed. */
function policyName(raw: string): string {
  const name = normalizePolicyName(raw);
  if (name.includes('/')) throw new BadRequestError(`policy name ${JSON.stringify(name)} must not contain "/"`);
  return name;
}

export function policyPaths(core: Core): PathDef[] {
  const store = core.policies;

  const list = async (legacy: boolean): Promise<Response> => {
    const keys = await store.list();
    return legacy ? { data: { keys, policies: keys }, legacyTopLevel: true } : { data: { keys } };
  };

  /** The stored text; `root` has none but exists (Vault answers it with empty rules). */
  const read = async (rawName: string, textKey: 'rules' | 'policy'): Promise<Response | undefined> => {
    const name = policyName(rawName);
    let text: string;
    if (name === ROOT_POLICY_NAME) {
      text = '';
    } else {
      const policy = await store.get(name);
      if (policy === undefined) return undefined;
      text = policy.raw;
    }
    return { data: { name, [textKey]: text }, ...(textKey === 'rules' ? { legacyTopLevel: true } : {}) };
  };

  const write = async (rawName: string, text: string, warnings: string[]): Promise<Response | undefined> => {
    const name = policyName(rawName);
    if (text === '') throw new BadRequestError("'policy' parameter not supplied or empty");
    await store.put(name, decodePolicyText(text));
    return warnings.length > 0 ? { warnings } : undefined;
  };

  const remove = async (rawName: string): Promise<undefined> => {
    // Deleting a policy that does not exist is not an error (Vault: idempotent).
    await store.delete(policyName(rawName));
    return undefined;
  };

  const nameField = { name: { type: 'string', description: 'The name of the policy.' } } as const;
  return [
    definePath({
      pattern: 'policy/?',
      fields: {},
      operations: {
        read: async () => list(true),
        list: async () => list(true),
      },
      synopsis: 'List the configured ACL policies.',
      description: 'Lists the names of the ACL policies, `root` included (legacy endpoint; see sys/policies/acl).',
    }),
    definePath({
      pattern: 'policy/(?<name>.+)',
      fields: {
        ...nameField,
        policy: { type: 'string', description: 'The policy document, HCL or JSON; may be base64-encoded.' },
        rules: { type: 'string', description: 'Deprecated alias of "policy".' },
      },
      operations: {
        read: async (_req, f) => read(f.get('name'), 'rules'),
        update: async (_req, f) => {
          const policy = f.get('policy');
          if (policy === '' && f.get('rules') !== '') return write(f.get('name'), f.get('rules'), [RULES_DEPRECATED]);
          return write(f.get('name'), policy, []);
        },
        delete: async (_req, f) => remove(f.get('name')),
      },
      synopsis: 'Read, write or delete an ACL policy (legacy endpoint).',
      description: 'GET returns {name, rules}; PUT stores `policy` (or the deprecated `rules`); DELETE removes it.',
    }),
    definePath({
      pattern: 'policies/acl/?',
      fields: {},
      operations: { list: async () => list(false) },
      synopsis: 'List the configured ACL policies.',
      description: 'Lists the names of the ACL policies, `root` included.',
    }),
    definePath({
      pattern: 'policies/acl/(?<name>.+)',
      fields: {
        ...nameField,
        policy: { type: 'string', description: 'The policy document, HCL or JSON; may be base64-encoded.' },
      },
      operations: {
        read: async (_req, f) => read(f.get('name'), 'policy'),
        update: async (_req, f) => write(f.get('name'), f.get('policy'), []),
        delete: async (_req, f) => remove(f.get('name')),
      },
      synopsis: 'Read, write or delete an ACL policy.',
      description: 'GET returns {name, policy}; PUT stores `policy` (HCL or JSON, optionally base64-encoded); DELETE removes it.',
    }),
  ];
}
