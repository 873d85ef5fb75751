/**
 * Named password policies, stored behind the barrier at POLICY_PREFIX + "password/<name>"
 * (replicated with the ACL policies) as {"policy": "<text as given>"}. Nothing is cached: a
 * policy is read and parsed on each use (generation is rare next to the reads it serves).
 */
import { BadRequestError } from '../errors.js';
import { type Storage, StorageView } from '../logical/storage.js';
import { POLICY_PREFIX } from '../storage/keys.js';
import { generatePassword, parsePasswordPolicy, PasswordPolicyError } from './policy.js';

/** Passwords drawn from a policy before it is stored, as Vault does: an impossible or overly strict policy is refused. */
const TRIAL_PASSWORDS = 5;

interface StoredPolicy {
  policy: string;
}

export class PasswordPolicyStore {
  private readonly view: StorageView;

  constructor(storage: Storage) {
    this.view = new StorageView(storage, `${POLICY_PREFIX}password/`);
  }

  list(): Promise<string[]> {
    return this.view.list('');
  }

  /** The policy text as written, or undefined. */
  async get(name: string): Promise<string | undefined> {
    return (await this.view.getJSON<StoredPolicy>(checkName(name)))?.policy;
  }

  /** Parse, prove by generating a few passwords, then store. */
  async put(name: string, text: string): Promise<void> {
    const key = checkName(name);
    const policy = parsePasswordPolicy(text);
    try {
      for (let i = 0; i < TRIAL_PASSWORDS; i++) generatePassword(policy);
    } catch (err) {
      if (err instanceof PasswordPolicyError) throw new PasswordPolicyError(`unable to generate password from provided policy: ${err.message}`);
      throw err;
    }
    await this.view.putJSON(key, { policy: text } satisfies StoredPolicy);
  }

  delete(name: string): Promise<void> {
    return this.view.delete(checkName(name));
  }

  /** A password from the named policy, or undefined when there is no such policy. */
  async generate(name: string): Promise<string | undefined> {
    const text = await this.get(name);
    return text === undefined ? undefined : generatePassword(parsePasswordPolicy(text));
  }
}

function checkName(name: string): string {
  if (name === '') throw new BadRequestError('missing policy name');
  if (name.includes('/')) throw new BadRequestError(`password policy name ${JSON.stringify(name)} must not contain "/"`);
  return name;
}
