/**
 * Keyless helpers: hash(/<algorithm>) and random(/<source>)(/<bytes>). Transit mounts them at its
 * root; the system backend mounts the same paths under tools/ (Vault's sys/tools/hash and
 * sys/tools/random).
 */
import { createHash, randomBytes } from 'node:crypto';
import { BadRequestError } from '../../errors.js';
import { definePath, type PathDef } from '../../framework/index.js';
import { Base64Error, decodeBase64 } from './base64.js';

/** Vault's ceiling on random/ output. */
const MAX_RANDOM_BYTES = 128 * 1024;

const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
};

function encode(bytes: Buffer, format: string): string {
  return format === 'hex' ? bytes.toString('hex') : bytes.toString('base64');
}

export function utilityPaths(prefix = ''): PathDef[] {
  const hashPath = definePath({
    pattern: `${prefix}hash(?:/(?<urlalgorithm>[\\w-]+))?`,
    fields: {
      urlalgorithm: { type: 'string', description: 'Hash algorithm, given in the path.' },
      algorithm: { type: 'string', description: 'Hash algorithm: sha2-224/256/384/512, sha3-224/256/384/512.', default: 'sha2-256' },
      input: { type: 'string', description: 'Base64 input data.', sensitive: true },
      format: { type: 'string', description: 'Output encoding: hex or base64.', default: 'hex' },
    },
    operations: {
      update: async (_req, f) => {
        const input = f.getOk('input');
        if (input === undefined) throw new BadRequestError('input missing');
        let bytes: Buffer;
        try {
          bytes = decodeBase64(input);
        } catch (err) {
          if (err instanceof Base64Error) throw new BadRequestError(`unable to decode input as base64: ${err.message}`);
          throw err;
        }
        const format = f.get('format');
        if (format !== 'hex' && format !== 'base64') throw new BadRequestError(`unsupported encoding format ${format}; must be "hex" or "base64"`);
        const algorithm = f.get('urlalgorithm') !== '' ? f.get('urlalgorithm') : f.get('algorithm');
        const hash = Object.prototype.hasOwnProperty.call(HASH_ALGORITHMS, algorithm) ? HASH_ALGORITHMS[algorithm] : undefined;
        if (hash === undefined) throw new BadRequestError(`unsupported algorithm ${algorithm}`);
        return { data: { sum: encode(createHash(hash).update(bytes).digest(), format) } };
      },
    },
    synopsis: 'Generate a hash sum for input data',
    description: 'Generates a hash sum of the given algorithm against the given input data.',
  });

  const randomPath = definePath({
    pattern: `${prefix}random(?:/(?<source>platform|seal|all))?(?:/(?<urlbytes>[0-9]+))?`,
    fields: {
      urlbytes: { type: 'string', description: 'Number of bytes, given in the path.' },
      bytes: { type: 'int', description: 'Number of bytes to return.', default: 32 },
      format: { type: 'string', description: 'Output encoding: base64 or hex.', default: 'base64' },
      source: { type: 'string', description: 'Entropy source: platform, seal or all (all are the platform here).', default: 'platform' },
    },
    operations: {
      update: async (_req, f) => {
        let count: number;
        const fromUrl = f.get('urlbytes');
        if (fromUrl !== '') {
          count = Number(fromUrl);
          if (!Number.isSafeInteger(count) || count > 2 ** 63 - 1) {
            throw new BadRequestError(`error parsing url-set byte count: strconv.Atoi: parsing ${JSON.stringify(fromUrl)}: value out of range`);
          }
        } else {
          count = f.get('bytes');
        }
        const format = f.get('format');
        if (count < 1) throw new BadRequestError('"bytes" cannot be less than 1');
        if (count > MAX_RANDOM_BYTES) throw new BadRequestError(`"bytes" should be less than ${MAX_RANDOM_BYTES}`);
        if (format !== 'hex' && format !== 'base64') throw new BadRequestError(`unsupported encoding format ${JSON.stringify(format)}; must be "hex" or "base64"`);
        const source = f.get('source');
        if (source !== '' && source !== 'platform' && source !== 'seal' && source !== 'all') {
          throw new BadRequestError(`unsupported entropy source ${JSON.stringify(source)}; must be "platform" or "seal", or "all"`);
        }
        // No seal-backed entropy source exists here; every source reads the platform's CSPRNG.
        return { data: { random_bytes: encode(randomBytes(count), format) } };
      },
    },
    synopsis: 'Generate random bytes',
    description: 'This function can be used to generate high-entropy random bytes.',
  });

  return [hashPath, randomPath];
}
