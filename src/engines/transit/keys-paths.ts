/**
 * keys/ (LIST), keys/<name> (create, read, delete), keys/<name>/config, keys/<name>/rotate and
 * keys/<name>/trim.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, genericName, type FieldSchemas, type PathDef } from '../../framework/index.js';
import type { Response } from '../../logical/request.js';
import { optionalBase64 } from './batch.js';
import { createPolicy, MIN_AUTO_ROTATE_SECONDS, renderPolicy, rotatePolicy, rotationAllowed, trimPolicy, type KeyPolicy } from './key-policy.js';
import { storeOf } from './key-store.js';
import { MAX_HMAC_KEY_SIZE, MIN_HMAC_KEY_SIZE, isKeyType, typeInfo } from './key-types.js';
import type { LoadedKey } from './loaded-key.js';

export const NAME_FIELD = {
  name: { type: 'string', description: 'Name of the key.' },
} as const satisfies FieldSchemas;

const AUTO_ROTATE_ERROR = 'auto rotate period must be 0 to disable or at least an hour';

export function checkAutoRotate(seconds: number): void {
  if (seconds !== 0 && seconds < MIN_AUTO_ROTATE_SECONDS) throw new BadRequestError(AUTO_ROTATE_ERROR);
}

export function render(key: LoadedKey, warnings: readonly string[] = []): Response {
  return { data: renderPolicy(key.policy, key.versions), ...(warnings.length > 0 ? { warnings: [...warnings] } : {}) };
}

export const KEY_FIELDS = {
  ...NAME_FIELD,
  type: { type: 'string', description: 'Type of key to create.', default: 'aes256-gcm96' },
  derived: { type: 'bool', description: 'Require a context on every operation and derive a key from it.' },
  convergent_encryption: { type: 'bool', description: 'Same plaintext and context give the same ciphertext; requires derived.' },
  exportable: { type: 'bool', description: 'Allow the key material to be exported.' },
  allow_plaintext_backup: { type: 'bool', description: 'Allow plaintext backups of the key.' },
  auto_rotate_period: { type: 'duration', description: 'Rotate the key this often; 0 disables, otherwise at least 1h.' },
  key_size: { type: 'int', description: 'Key size in bytes, for HMAC keys only.' },
  context: { type: 'string', description: 'Base64 context; on read of a derived ed25519 key, the public key for it.' },
} as const satisfies FieldSchemas;

export function keysPaths(): PathDef[] {
  const keyPath = definePath({
    pattern: `keys/${genericName('name')}`,
    fields: KEY_FIELDS,
    operations: {
      update: async (_req, f, ctx) => {
        const name = f.get('name');
        const type = f.get('type');
        if (!isKeyType(type)) throw new BadRequestError(`unknown key type ${type}`);
        const derived = f.get('derived');
        const convergent = f.get('convergent_encryption');
        if (convergent && !derived) throw new BadRequestError('convergent encryption requires derivation to be enabled');
        const keySize = f.get('key_size');
        if (keySize !== 0 && type !== 'hmac') throw new BadRequestError(`key_size is not valid for algorithm ${type}`);
        if (keySize !== 0 && (keySize < MIN_HMAC_KEY_SIZE || keySize > MAX_HMAC_KEY_SIZE)) {
          throw new BadRequestError(`invalid key_size ${keySize}: hmac keys are ${MIN_HMAC_KEY_SIZE} to ${MAX_HMAC_KEY_SIZE} bytes`);
        }
        const autoRotatePeriod = f.get('auto_rotate_period');
        checkAutoRotate(autoRotatePeriod);
        const info = typeInfo(type);
        if (derived && !info.derivation) {
          throw new BadRequestError(`key derivation and convergent encryption not supported for keys of type ${type}`);
        }
        if (convergent && info.family !== 'symmetric') throw new BadRequestError(`convergent encryption not supported for keys of type ${type}`);
        const { key, result: existed } = await storeOf(ctx).change(name, (current) => {
          if (current !== undefined) return { result: true };
          const next = createPolicy(
            { name, type, derived, convergentEncryption: convergent, exportable: f.get('exportable'), allowPlaintextBackup: f.get('allow_plaintext_backup'), autoRotatePeriod, ...(keySize !== 0 ? { keySize } : {}) },
            ctx.clock.now(),
          );
          return { next, result: false };
        });
        return render(key!, existed ? [`key ${name} already existed`] : []);
      },
      read: async (_req, f, ctx) => {
        const key = await storeOf(ctx).get(f.get('name'));
        if (key === undefined) return undefined;
        let context: Buffer | undefined;
        try {
          context = optionalBase64(f.get('context'));
        } catch {
          throw new BadRequestError('failed to base64-decode context');
        }
        return { data: renderPolicy(key.policy, key.versions, context) };
      },
      delete: async (_req, f, ctx) => {
        const name = f.get('name');
        await storeOf(ctx).change(name, (current) => {
          if (current === undefined) throw new BadRequestError(`error deleting policy ${name}: could not delete key; not found`);
          if (!current.policy.deletionAllowed) throw new BadRequestError(`error deleting policy ${name}: deletion is not allowed for this key`);
          return { next: null, result: undefined };
        });
        return undefined;
      },
    },
    synopsis: 'Managed named encryption keys',
    description: `
This path is used to manage the named keys that are available. Doing a write with
no value against a new named key will create it using a randomly generated key.`,
  });

  const listPath = definePath({
    pattern: 'keys/?',
    fields: {},
    operations: {
      list: async (_req, _f, ctx) => {
        const keys = await storeOf(ctx).list();
        return keys.length === 0 ? undefined : { data: { keys } };
      },
    },
    synopsis: 'Managed named encryption keys',
    description: 'List the named keys of this mount.',
  });

  const configPath = definePath({
    pattern: `keys/${genericName('name')}/config`,
    fields: {
      ...NAME_FIELD,
      min_decryption_version: { type: 'int', description: 'Oldest version that may still decrypt, verify or check an HMAC.' },
      min_encryption_version: { type: 'int', description: 'Oldest version that may encrypt, sign or HMAC; 0 = latest only.' },
      deletion_allowed: { type: 'bool', description: 'Whether the key may be deleted.' },
      exportable: { type: 'bool', description: 'Allow export; cannot be turned off once on.' },
      allow_plaintext_backup: { type: 'bool', description: 'Allow plaintext backups; cannot be turned off once on.' },
      auto_rotate_period: { type: 'duration', description: 'Rotate the key this often; 0 disables, otherwise at least 1h.' },
    },
    operations: {
      update: async (_req, f, ctx) => {
        const name = f.get('name');
        const warnings: string[] = [];
        const { key } = await storeOf(ctx).change(name, (current) => {
          if (current === undefined) throw new BadRequestError(`no existing key named ${name} could be found`);
          const p = current.policy;
          let next: KeyPolicy = p;
          const minDec = f.getOk('min_decryption_version');
          if (minDec !== undefined) {
            if (minDec < 0) throw new BadRequestError('min decryption version cannot be negative');
            let wanted = minDec;
            if (wanted === 0) {
              wanted = 1;
              warnings.push('since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1');
            }
            if (wanted !== p.minDecryptionVersion) {
              if (wanted > p.latestVersion) {
                throw new BadRequestError(`cannot set min decryption version of ${wanted}, latest key version is ${p.latestVersion}`);
              }
              if (wanted < p.minAvailableVersion) {
                throw new BadRequestError(`cannot set min decryption version of ${wanted}, min available version is ${p.minAvailableVersion}`);
              }
              next = { ...next, minDecryptionVersion: wanted };
            }
          }
          const minEnc = f.getOk('min_encryption_version');
          if (minEnc !== undefined) {
            if (minEnc < 0) throw new BadRequestError('min encryption version cannot be negative');
            if (minEnc !== p.minEncryptionVersion) {
              if (minEnc > p.latestVersion) {
                throw new BadRequestError(`cannot set min encryption version of ${minEnc}, latest key version is ${p.latestVersion}`);
              }
              next = { ...next, minEncryptionVersion: minEnc };
            }
          }
          if (next.minEncryptionVersion > 0 && next.minEncryptionVersion < next.minDecryptionVersion) {
            throw new BadRequestError(
              `cannot set min encryption/decryption values; min encryption version of ${next.minEncryptionVersion} must be greater than or equal to min decryption version of ${next.minDecryptionVersion}`,
            );
          }
          const deletionAllowed = f.getOk('deletion_allowed');
          if (deletionAllowed !== undefined) next = { ...next, deletionAllowed };
          // Exportability and plaintext backup are one-way switches: false is ignored, as in Vault.
          if (f.getOk('exportable') === true) next = { ...next, exportable: true };
          if (f.getOk('allow_plaintext_backup') === true) next = { ...next, allowPlaintextBackup: true };
          const autoRotate = f.getOk('auto_rotate_period');
          if (autoRotate !== undefined) {
            checkAutoRotate(autoRotate);
            if (autoRotate > 0 && !rotationAllowed(p)) throw new BadRequestError('auto rotation cannot be set for an imported key that does not allow rotation');
            next = { ...next, autoRotatePeriod: autoRotate };
          }
          return { next: next === p ? undefined : next, result: undefined };
        });
        return render(key!, warnings);
      },
    },
    synopsis: 'Configure a named encryption key',
    description: 'Tune the version window, deletion, exportability, plaintext backup and auto-rotation of a key.',
  });

  const rotatePath = definePath({
    pattern: `keys/${genericName('name')}/rotate`,
    fields: { ...NAME_FIELD },
    operations: {
      update: async (_req, f, ctx) => {
        const { key } = await storeOf(ctx).change(f.get('name'), (current) => {
          if (current === undefined) throw new BadRequestError('key not found');
          if (!rotationAllowed(current.policy)) throw new BadRequestError(`imported key ${current.policy.name} does not allow rotation within Vault`);
          return { next: rotatePolicy(current.policy, ctx.clock.now()), result: undefined };
        });
        return render(key!);
      },
    },
    synopsis: 'Rotate named encryption key',
    description: 'Add a new version of the key; new encryptions use it, older ciphertexts still decrypt.',
  });

  const trimPath = definePath({
    pattern: `keys/${genericName('name')}/trim`,
    fields: {
      ...NAME_FIELD,
      min_available_version: { type: 'int', description: 'Versions below this one are deleted for good.' },
    },
    operations: {
      update: async (_req, f, ctx) => {
        const { key } = await storeOf(ctx).change(f.get('name'), (current) => {
          if (current === undefined) throw new BadRequestError('invalid key name');
          const wanted = f.getOk('min_available_version');
          if (wanted === undefined) throw new BadRequestError('missing min_available_version');
          const p = current.policy;
          if (wanted < 0) throw new BadRequestError('minimum available version cannot be negative');
          if (wanted < p.minAvailableVersion) throw new BadRequestError('minimum available version cannot be decremented');
          if (p.minEncryptionVersion === 0) {
            throw new BadRequestError('minimum available version cannot be set when minimum encryption version is not set');
          }
          if (p.minDecryptionVersion === 0) {
            throw new BadRequestError('minimum available version cannot be set when minimum decryption version is not set');
          }
          if (wanted > p.minEncryptionVersion) {
            throw new BadRequestError('minimum available version cannot be greater than minimum encryption version');
          }
          if (wanted > p.minDecryptionVersion) {
            throw new BadRequestError('minimum available version cannot be greater than minimum decryption version');
          }
          return { next: wanted === p.minAvailableVersion ? undefined : trimPolicy(p, wanted), result: undefined };
        });
        return render(key!);
      },
    },
    synopsis: 'Trim key versions of a named key',
    description: 'Delete every version below min_available_version; they can never be recovered.',
  });

  return [listPath, keyPath, configPath, rotatePath, trimPath];
}
