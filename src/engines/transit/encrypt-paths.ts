/**
 * encrypt/<name>, decrypt/<name>, rewrap/<name> and datakey/<plaintext|wrapped>/<name>.
 *
 * encrypt/ declares an existence check, so the core asks for `create` when the key does not
 * exist: a caller allowed to create gets an aes256-gcm96 (or chosen symmetric) key made on
 * the fly, derived when a context is sent, as Vault does, unless config/keys disables upsert;
 * `update` on a missing key fails.
 */
import { randomBytes } from 'node:crypto';
import { BadRequestError } from '../../errors.js';
import { definePath, genericName, type FieldSchemas, type PathDef, type PathHandler } from '../../framework/index.js';
import type { Response } from '../../logical/request.js';
import type { StorageView } from '../../logical/storage.js';
import {
  batchResults,
  batchStatus,
  itemInt,
  itemString,
  optionalBase64,
  readBatch,
  runItem,
  singleResult,
  unknownFieldsWarning,
  withWarnings,
  type ItemOutcome,
} from './batch.js';
import { decodeBase64 } from './base64.js';
import { decryptValue, encryptValue } from './encryption.js';
import { createPolicy } from './key-policy.js';
import { storeOf, type KeyStore } from './key-store.js';
import { isKeyType, typeInfo } from './key-types.js';
import type { LoadedKey } from './loaded-key.js';
import { NAME_FIELD } from './keys-paths.js';
import { upsertDisabled } from './mount-config-paths.js';

const NONCE_NOT_ALLOWED = 'provided nonce not allowed for this key';
const KEY_NOT_FOUND = 'encryption key not found';

const COMMON_FIELDS = {
  ...NAME_FIELD,
  context: { type: 'string', description: 'Base64 context for key derivation; required for derived keys.' },
  nonce: { type: 'string', description: 'Base64 nonce; not accepted by keys created by this server (nonces are random or derived).' },
  associated_data: { type: 'string', description: 'Base64 additional data authenticated with AEAD ciphers.' },
  reference: { type: 'string', description: 'Echoed in the batch result of the item.' },
  partial_failure_response_code: { type: 'int', description: 'HTTP status when some batch items failed and others succeeded.' },
} as const satisfies FieldSchemas;

/** One item's raw input, common to the batch-capable paths here. */
interface RawItem {
  readonly value: string;
  readonly context: string;
  readonly nonce: string;
  readonly associatedData: string;
  readonly keyVersion: number;
  readonly reference: string;
}

function rawItems(
  data: Readonly<Record<string, unknown>>,
  valueField: 'plaintext' | 'ciphertext',
  single: () => RawItem,
): { items: RawItem[]; batch: boolean } {
  const batch = readBatch(data);
  if (batch === undefined) return { items: [single()], batch: false };
  const items = batch.map((it, i) => ({
    value: itemString(it, valueField, i),
    context: itemString(it, 'context', i),
    nonce: itemString(it, 'nonce', i),
    associatedData: itemString(it, 'associated_data', i),
    keyVersion: itemInt(it, 'key_version', i),
    reference: itemString(it, 'reference', i),
  }));
  return { items, batch: true };
}

/** Vault requires a context on every item or on none. */
function checkContexts(items: readonly RawItem[]): void {
  const contextSet = items[0]!.context !== '';
  if (items.some((it) => (it.context !== '') !== contextSet)) {
    throw new BadRequestError('context should be set either in all the request blocks or in none');
  }
}

interface Decoded {
  readonly context?: Buffer;
  readonly associatedData?: Buffer;
}

/** Decode an item's base64 side inputs; a supplied nonce is refused (keys here never take one). */
function decodeSides(it: RawItem): Decoded {
  const context = optionalBase64(it.context);
  const associatedData = optionalBase64(it.associatedData);
  optionalBase64(it.nonce);
  if (it.nonce !== '') throw new BadRequestError(NONCE_NOT_ALLOWED);
  return { ...(context ? { context } : {}), ...(associatedData ? { associatedData } : {}) };
}

function respond(
  batch: boolean,
  outcomes: ItemOutcome[],
  items: readonly RawItem[],
  onError: Record<string, unknown>,
): Response {
  if (!batch) return { data: singleResult(outcomes[0]!) };
  return { data: { batch_results: batchResults(outcomes, items.map((it) => it.reference), onError) } };
}

export function encryptPaths(): PathDef[] {
  const ENCRYPT_FIELDS = {
    ...COMMON_FIELDS,
    plaintext: { type: 'string', description: 'Base64 plaintext.', sensitive: true },
    key_version: { type: 'int', description: 'Key version to use; latest when 0.' },
    type: { type: 'string', description: 'Type of key to create on first use.', default: 'aes256-gcm96' },
    convergent_encryption: { type: 'bool', description: 'Create the key with convergent encryption (needs a context).' },
  } as const satisfies FieldSchemas;

  /** The key for an encrypt: the existing one, or (on create) a new one made from the request. */
  async function keyForEncrypt(
    store: KeyStore,
    storage: StorageView,
    op: string,
    name: string,
    contextSet: boolean,
    type: string,
    convergent: boolean,
    nowMs: number,
  ): Promise<{ key: LoadedKey; warning?: string }> {
    if (op !== 'create' || (await upsertDisabled(storage))) {
      const key = await store.get(name);
      if (key === undefined) throw new BadRequestError(KEY_NOT_FOUND);
      return { key };
    }
    if (convergent && !contextSet) throw new BadRequestError('convergent encryption requires derivation to be enabled, so context is required');
    if (!isKeyType(type)) throw new BadRequestError(`unknown key type ${type}`);
    if (typeInfo(type).family !== 'symmetric') throw new BadRequestError(`key type ${type} not supported for this operation`);
    const { key, result: existed } = await store.change(name, (current) => {
      if (current !== undefined) return { result: true };
      const policy = createPolicy(
        { name, type, derived: contextSet, convergentEncryption: convergent, exportable: false, allowPlaintextBackup: false, autoRotatePeriod: 0 },
        nowMs,
      );
      return { next: policy, result: false };
    });
    return existed ? { key: key!, warning: 'Attempted creation of the key during the encrypt operation, but it was created beforehand' } : { key: key! };
  }

  const encrypt: PathHandler<typeof ENCRYPT_FIELDS> = async (req, f, ctx) => {
    const { items, batch } = rawItems(req.data, 'plaintext', () => {
      const plaintext = f.getOk('plaintext');
      if (plaintext === undefined) throw new BadRequestError('missing plaintext to encrypt');
      return {
        value: plaintext,
        context: f.get('context'),
        nonce: f.get('nonce'),
        associatedData: f.get('associated_data'),
        keyVersion: f.get('key_version'),
        reference: '',
      };
    });
    checkContexts(items);
    // Input errors are found before the key is looked at, as in Vault.
    const prepared = items.map((it) => {
      try {
        return { plaintext: decodeBase64(it.value), sides: decodeSides(it) };
      } catch (err) {
        if (err instanceof BadRequestError) return { error: err.message };
        return { error: err instanceof Error ? err.message : String(err) };
      }
    });
    const contextSet = items[0]!.context !== '';
    const { key, warning } = await keyForEncrypt(storeOf(ctx), ctx.storage, req.operation, f.get('name'), contextSet, f.get('type'), f.get('convergent_encryption'), ctx.clock.now());
    const outcomes = prepared.map((p, i): ItemOutcome => {
      if ('error' in p) return { error: p.error };
      return runItem(() => {
        const { ciphertext, version } = encryptValue(key, { plaintext: p.plaintext, ...p.sides, keyVersion: items[i]!.keyVersion });
        return { ciphertext, key_version: version };
      });
    });
    const resp = respond(batch, outcomes, items, {});
    return batchStatus(withWarnings(resp, [warning, unknownFieldsWarning(req.data, ENCRYPT_FIELDS)]), outcomes, f.getOk('partial_failure_response_code'));
  };

  const encryptPath = definePath({
    pattern: `encrypt/${genericName('name')}`,
    fields: ENCRYPT_FIELDS,
    takesArbitraryInput: true,
    existenceCheck: async (_req, f, ctx) => (await storeOf(ctx).get(f.get('name'))) !== undefined,
    operations: { create: encrypt, update: encrypt },
    synopsis: 'Encrypt a plaintext value or a batch of plaintext blocks using a named key',
    description: `
This path uses the named key from the request path to encrypt a user provided
plaintext or a batch of plaintext blocks. The plaintext must be base64 encoded.`,
  });

  const DECRYPT_FIELDS = {
    ...COMMON_FIELDS,
    ciphertext: { type: 'string', description: 'Ciphertext to decrypt (vault:v<N>:...).' },
  } as const satisfies FieldSchemas;

  const decryptPath = definePath({
    pattern: `decrypt/${genericName('name')}`,
    fields: DECRYPT_FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (req, f, ctx) => {
        const { items, batch } = rawItems(req.data, 'ciphertext', () => {
          const ciphertext = f.get('ciphertext');
          if (ciphertext === '') throw new BadRequestError('missing ciphertext to decrypt');
          return { value: ciphertext, context: f.get('context'), nonce: f.get('nonce'), associatedData: f.get('associated_data'), keyVersion: 0, reference: '' };
        });
        checkContexts(items);
        const prepared = items.map((it) => {
          if (it.value === '') return { error: 'missing ciphertext to decrypt' };
          try {
            return { sides: decodeSides(it) };
          } catch (err) {
            return { error: err instanceof Error ? err.message : String(err) };
          }
        });
        const key = await storeOf(ctx).get(f.get('name'));
        if (key === undefined) throw new BadRequestError(KEY_NOT_FOUND);
        const outcomes = prepared.map((p, i): ItemOutcome => {
          if ('error' in p) return { error: p.error };
          return runItem(() => ({ plaintext: decryptValue(key, { ciphertext: items[i]!.value, ...p.sides }).toString('base64') }));
        });
        const resp = respond(batch, outcomes, items, { plaintext: '' });
        return batchStatus(withWarnings(resp, [unknownFieldsWarning(req.data, DECRYPT_FIELDS)]), outcomes, f.getOk('partial_failure_response_code'));
      },
    },
    synopsis: 'Decrypt a ciphertext value using a named key',
    description: 'This path uses the named key from the request path to decrypt a user provided ciphertext.',
  });

  const REWRAP_FIELDS = {
    ...DECRYPT_FIELDS,
    key_version: { type: 'int', description: 'Key version to re-encrypt with; latest when 0.' },
  } as const satisfies FieldSchemas;

  const rewrapPath = definePath({
    pattern: `rewrap/${genericName('name')}`,
    fields: REWRAP_FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (req, f, ctx) => {
        const { items, batch } = rawItems(req.data, 'ciphertext', () => {
          const ciphertext = f.get('ciphertext');
          if (ciphertext === '') throw new BadRequestError('missing ciphertext to decrypt');
          return { value: ciphertext, context: f.get('context'), nonce: f.get('nonce'), associatedData: f.get('associated_data'), keyVersion: f.get('key_version'), reference: '' };
        });
        checkContexts(items);
        const prepared = items.map((it) => {
          if (it.value === '') return { error: 'missing ciphertext to decrypt' };
          try {
            return { sides: decodeSides(it) };
          } catch (err) {
            return { error: err instanceof Error ? err.message : String(err) };
          }
        });
        const key = await storeOf(ctx).get(f.get('name'));
        if (key === undefined) throw new BadRequestError(KEY_NOT_FOUND);
        const outcomes = prepared.map((p, i): ItemOutcome => {
          if ('error' in p) return { error: p.error };
          return runItem(() => {
            const plaintext = decryptValue(key, { ciphertext: items[i]!.value, ...p.sides });
            const { ciphertext, version } = encryptValue(key, { plaintext, ...p.sides, keyVersion: items[i]!.keyVersion });
            return { ciphertext, key_version: version };
          });
        });
        // Vault answers a rewrap batch with 200 whatever its items did.
        return withWarnings(respond(batch, outcomes, items, {}), [unknownFieldsWarning(req.data, REWRAP_FIELDS)]);
      },
    },
    synopsis: 'Rewrap ciphertext',
    description: 'After key rotation, this function can be used to rewrap the given ciphertext or a batch of ciphertexts with the latest version of the named key.',
  });

  const datakeyPath = definePath({
    pattern: `datakey/${genericName('plaintext')}/${genericName('name')}`,
    fields: {
      ...NAME_FIELD,
      plaintext: { type: 'string', description: '"plaintext" to also return the key, "wrapped" for the ciphertext only.' },
      context: { type: 'string', description: 'Base64 context for key derivation; required for derived keys.' },
      nonce: { type: 'string', description: 'Base64 nonce; not accepted by keys created by this server.' },
      associated_data: { type: 'string', description: 'Base64 additional data authenticated with AEAD ciphers.' },
      bits: { type: 'int', description: 'Size of the data key: 128, 256 or 512.', default: 256 },
      key_version: { type: 'int', description: 'Key version to encrypt with; latest when 0.' },
    },
    operations: {
      update: async (_req, f, ctx) => {
        const mode = f.get('plaintext');
        if (mode !== 'plaintext' && mode !== 'wrapped') throw new BadRequestError("Invalid path, must be 'plaintext' or 'wrapped'");
        let context: Buffer | undefined;
        let associatedData: Buffer | undefined;
        try {
          context = optionalBase64(f.get('context'));
        } catch {
          throw new BadRequestError('failed to base64-decode context');
        }
        try {
          optionalBase64(f.get('nonce'));
        } catch {
          throw new BadRequestError('failed to base64-decode nonce');
        }
        try {
          associatedData = optionalBase64(f.get('associated_data'));
        } catch {
          throw new BadRequestError('failed to base64-decode associated_data');
        }
        const key = await storeOf(ctx).get(f.get('name'));
        if (key === undefined) throw new BadRequestError(KEY_NOT_FOUND);
        const bits = f.get('bits');
        if (bits !== 128 && bits !== 256 && bits !== 512) throw new BadRequestError('invalid bits value');
        if (f.get('nonce') !== '') throw new BadRequestError(NONCE_NOT_ALLOWED);
        const dataKey = randomBytes(bits / 8);
        const { ciphertext, version } = encryptValue(key, {
          plaintext: dataKey,
          ...(context ? { context } : {}),
          ...(associatedData ? { associatedData } : {}),
          keyVersion: f.get('key_version'),
        });
        const data: Record<string, unknown> = { ciphertext, key_version: version };
        if (mode === 'plaintext') data['plaintext'] = dataKey.toString('base64');
        return { data };
      },
    },
    synopsis: 'Generate a data key',
    description: 'Generate a random data key, returned encrypted with the named key and, on the plaintext path, in the clear as well.',
  });

  return [encryptPath, decryptPath, rewrapPath, datakeyPath];
}
