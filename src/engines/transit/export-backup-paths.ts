/**
 * export/<type>/<name>(/<version>), backup/<name> and restore(/<name>).
 *
 * A backup is base64 of a JSON document holding the whole key record (every live version's
 * material); it is only produced for keys that are both exportable and allow plaintext
 * backup. Restore validates the document field by field and parses every version before
 * anything is written. Vault answers the backup and restore failures below with 500, and so
 * do we (clients such as hvac expect InternalServerError there).
 */
import { BadRequestError, InternalError } from '../../errors.js';
import { definePath, genericName, type PathDef } from '../../framework/index.js';
import { Base64Error, decodeBase64 } from './base64.js';
import { exportPrivateKey, formatPublicKey } from './key-material.js';
import { checkPolicyRecord, type KeyPolicy } from './key-policy.js';
import { storeOf } from './key-store.js';
import { typeInfo } from './key-types.js';
import { loadKey, type LoadedKey } from './loaded-key.js';
import { NAME_FIELD } from './keys-paths.js';

const EXPORT_TYPES = ['encryption-key', 'signing-key', 'hmac-key', 'public-key'] as const;
type ExportType = (typeof EXPORT_TYPES)[number];

/** Marks our backup documents (and their layout version). */
const BACKUP_FORMAT = 'arca-transit-backup-v1';

const KEY_NAME = /^\w(?:[\w.-]*\w)?$/;

function exportValue(key: LoadedKey, version: number, type: ExportType): string {
  const v = key.versions.get(version)!;
  if (type === 'hmac-key') return v.hmacKey.toString('base64');
  // Public keys are not secret: shown as keys/<name> shows them, exportable or not.
  if (type === 'public-key') return formatPublicKey(key.policy.type, v.publicKey!);
  const family = typeInfo(key.policy.type).family;
  if (family === 'symmetric') return v.secret!.toString('base64');
  return exportPrivateKey(key.policy.type, v);
}

export function exportBackupPaths(): PathDef[] {
  const exportPath = definePath({
    pattern: `export/${genericName('type')}/${genericName('name')}(?:/${genericName('version')})?`,
    fields: {
      ...NAME_FIELD,
      type: { type: 'string', description: 'encryption-key, signing-key, hmac-key or public-key.' },
      version: { type: 'string', description: 'Version to export, or "latest"; all versions when absent.' },
    },
    operations: {
      read: async (_req, f, ctx) => {
        const type = f.get('type');
        if (!(EXPORT_TYPES as readonly string[]).includes(type)) throw new BadRequestError(`invalid export type: ${type}`);
        const exportType = type as ExportType;
        const key = await storeOf(ctx).get(f.get('name'));
        if (key === undefined) return undefined;
        const p = key.policy;
        const info = typeInfo(p.type);
        if (exportType === 'public-key') {
          if (info.family === 'symmetric' || info.family === 'hmac') throw new BadRequestError(`public-key export is not supported for key type ${p.type}`);
        } else if (!p.exportable) {
          throw new BadRequestError('private key material is not exportable');
        }
        if (exportType === 'encryption-key' && !info.encryption) throw new BadRequestError('encryption not supported for the key');
        if (exportType === 'signing-key' && !info.signing) throw new BadRequestError('signing not supported for the key');
        const keys: Record<string, string> = {};
        const requested = f.get('version');
        if (requested === '') {
          for (const version of key.versions.keys()) keys[String(version)] = exportValue(key, version, exportType);
        } else {
          let version = p.latestVersion;
          if (requested !== 'latest') {
            const digits = requested.startsWith('v') ? requested.slice(1) : requested;
            if (!/^[+-]?[0-9]+$/.test(digits)) throw new BadRequestError('invalid key version');
            version = Number(digits);
          }
          if (version < p.minDecryptionVersion) throw new BadRequestError('version for export is below minimum decryption version');
          if (!key.versions.has(version)) throw new BadRequestError('version does not exist or cannot be found');
          keys[String(version)] = exportValue(key, version, exportType);
        }
        return { data: { name: p.name, type: p.type, keys } };
      },
    },
    synopsis: 'Export named encryption or signature key',
    description: 'Return the key material of an exportable key (any asymmetric key\'s public key), all versions or one.',
  });

  const backupPath = definePath({
    pattern: `backup/${genericName('name')}`,
    fields: { ...NAME_FIELD },
    operations: {
      read: async (_req, f, ctx) => {
        const name = f.get('name');
        const { result } = await storeOf(ctx).change(name, (current) => {
          if (current === undefined) throw new InternalError(`key ${JSON.stringify(name)} not found`);
          if (!current.policy.exportable) throw new InternalError('exporting is disallowed on the policy');
          if (!current.policy.allowPlaintextBackup) throw new InternalError('plaintext backup is disallowed on the policy');
          const next: KeyPolicy = { ...current.policy, backupInfo: { time: ctx.clock.now(), version: current.policy.latestVersion } };
          const backup = Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, policy: next }), 'utf8').toString('base64');
          return { next, result: backup };
        });
        return { data: { backup: result } };
      },
    },
    synopsis: 'Backup the named key',
    description: 'Return a plaintext backup of the key (configuration and every live version).',
  });

  const restorePath = definePath({
    pattern: `restore(?:/${genericName('name')})?`,
    fields: {
      ...NAME_FIELD,
      backup: { type: 'string', description: 'The output of backup/.', sensitive: true },
      force: { type: 'bool', description: 'Overwrite a key of the same name.' },
    },
    operations: {
      update: async (_req, f, ctx) => {
        const backup = f.get('backup');
        if (backup === '') throw new BadRequestError("'backup' must be supplied");
        let record: KeyPolicy;
        try {
          const doc = JSON.parse(decodeBase64(backup).toString('utf8')) as { format?: unknown; policy?: unknown };
          if (typeof doc !== 'object' || doc === null || doc.format !== BACKUP_FORMAT) throw new Error('invalid backup: unknown format');
          record = checkPolicyRecord(doc.policy);
          loadKey(record);
        } catch (err) {
          if (err instanceof Base64Error) throw new InternalError(err.message);
          if (err instanceof SyntaxError) throw new InternalError('invalid backup: not JSON');
          throw new InternalError(err instanceof Error && err.message.startsWith('invalid backup') ? err.message : 'invalid backup: bad key material');
        }
        const name = f.get('name') !== '' ? f.get('name') : record.name;
        if (!KEY_NAME.test(name)) throw new BadRequestError('invalid key name');
        const force = f.get('force');
        await storeOf(ctx).change(name, (current) => {
          if (current !== undefined && !force) throw new InternalError(`key ${JSON.stringify(name)} already exists`);
          const next: KeyPolicy = { ...record, name, restoreInfo: { time: ctx.clock.now(), version: record.latestVersion } };
          return { next, result: undefined };
        });
        return undefined;
      },
    },
    synopsis: 'Restore the named key',
    description: 'Restore a key from the output of backup/, under its own name or the one in the path.',
  });

  return [exportPath, backupPath, restorePath];
}
