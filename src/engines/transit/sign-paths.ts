/**
 * sign/<name>(/<algorithm>), verify/<name>(/<algorithm>) and hmac/<name>(/<algorithm>).
 * Vault answers batches of these with 200 and the failures inside batch_results.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, genericName, type FieldSchemas, type PathDef } from '../../framework/index.js';
import type { Response } from '../../logical/request.js';
import {
  batchResults,
  has,
  itemString,
  optionalBase64,
  readBatch,
  runItem,
  singleResult,
  unknownFieldsWarning,
  withWarnings,
  type BatchItem,
  type ItemOutcome,
} from './batch.js';
import { Base64Error, decodeBase64, encodeBase64 } from './base64.js';
import { nodeHash, typeInfo } from './key-types.js';
import { storeOf } from './key-store.js';
import type { LoadedKey } from './loaded-key.js';
import { NAME_FIELD } from './keys-paths.js';
import { hmacInput, hmacVersion, signInput, verifyHmac, verifyInput, type SignatureOptions } from './signing.js';

const URL_ALGORITHM = '(?:/(?<urlalgorithm>[\\w-]+))?';

const ALGORITHM_FIELDS = {
  ...NAME_FIELD,
  urlalgorithm: { type: 'string', description: 'Hash algorithm, given in the path.' },
  algorithm: { type: 'string', description: 'Hash algorithm (deprecated name of hash_algorithm for sign/verify).' },
  input: { type: 'string', description: 'Base64 input data.', sensitive: true },
  reference: { type: 'string', description: 'Echoed in the batch result of the item.' },
} as const satisfies FieldSchemas;

const SIGNATURE_FIELDS = {
  ...ALGORITHM_FIELDS,
  hash_algorithm: { type: 'string', description: 'Hash algorithm: sha1, sha2-*, sha3-*, or none.' },
  context: { type: 'string', description: 'Base64 context for derived ed25519 keys.' },
  prehashed: { type: 'bool', description: 'The input is already a digest.' },
  signature_algorithm: { type: 'string', description: 'RSA scheme: pss (default) or pkcs1v15.' },
  marshaling_algorithm: { type: 'string', description: 'asn1 (default) or jws.', default: 'asn1' },
  salt_length: { type: 'string', description: 'RSA-PSS salt: auto, hash, or a byte count.', default: 'auto' },
} as const satisfies FieldSchemas;

const SIGN_FIELDS = {
  ...SIGNATURE_FIELDS,
  key_version: { type: 'int', description: 'Key version to sign with; latest when 0.' },
} as const satisfies FieldSchemas;

/** The hash named by the path, else hash_algorithm, else algorithm, else sha2-256. */
function hashName(...candidates: string[]): string {
  return candidates.find((c) => c !== '') ?? 'sha2-256';
}

interface Item {
  readonly input?: string;
  readonly context: string;
  readonly reference: string;
  readonly raw: BatchItem;
}

function itemsOf(data: Readonly<Record<string, unknown>>, single: () => Item): { items: Item[]; batch: boolean } {
  const batch = readBatch(data);
  if (batch === undefined) return { items: [single()], batch: false };
  const items = batch.map((it, i) => ({
    ...(has(it, 'input') ? { input: itemString(it, 'input', i) } : {}),
    context: itemString(it, 'context', i),
    reference: itemString(it, 'reference', i),
    raw: it,
  }));
  return { items, batch: true };
}

function decodeInput(b64: string): Buffer {
  try {
    return decodeBase64(b64);
  } catch (err) {
    if (err instanceof Base64Error) throw new BadRequestError(`unable to decode input as base64: ${err.message}`);
    throw err;
  }
}

function decodeContext(b64: string): Buffer | undefined {
  try {
    return optionalBase64(b64);
  } catch {
    throw new BadRequestError('failed to base64-decode context');
  }
}

function signatureOptions(f: {
  hash: string;
  prehashed: boolean;
  signatureAlgorithm: string;
  marshaling: string;
  saltLength: string;
  key: LoadedKey;
}): Omit<SignatureOptions, 'context'> {
  let hash: string | undefined;
  const isRsa = typeInfo(f.key.policy.type).family === 'rsa';
  const sigAlg = f.signatureAlgorithm === '' ? 'pss' : f.signatureAlgorithm;
  if (f.hash === 'none') {
    if (!f.prehashed || sigAlg !== 'pkcs1v15') {
      throw new BadRequestError('hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15');
    }
  } else {
    hash = nodeHash(f.hash);
    if (hash === undefined) throw new BadRequestError(`invalid hash algorithm ${JSON.stringify(f.hash)}`);
  }
  if (f.marshaling !== 'asn1' && f.marshaling !== 'jws') throw new BadRequestError(`invalid marshaling type ${JSON.stringify(f.marshaling)}`);
  if (isRsa && sigAlg !== 'pss' && sigAlg !== 'pkcs1v15') throw new BadRequestError(`unsupported rsa signature algorithm ${sigAlg}`);
  let saltLength: SignatureOptions['saltLength'];
  if (f.saltLength === 'auto' || f.saltLength === 'hash') saltLength = f.saltLength;
  else if (/^[0-9]+$/.test(f.saltLength)) saltLength = Number(f.saltLength);
  else throw new BadRequestError(`invalid salt_length: ${f.saltLength}`);
  return {
    hash,
    prehashed: f.prehashed,
    signatureAlgorithm: sigAlg === 'pkcs1v15' ? 'pkcs1v15' : 'pss',
    marshaling: f.marshaling,
    saltLength,
  };
}

function respond(batch: boolean, outcomes: ItemOutcome[], items: readonly Item[], onError: Record<string, unknown>): Response {
  if (!batch) return { data: singleResult(outcomes[0]!) };
  return { data: { batch_results: batchResults(outcomes, items.map((it) => it.reference), onError) } };
}

export function signPaths(): PathDef[] {
  const signPath = definePath({
    pattern: `sign/${genericName('name')}${URL_ALGORITHM}`,
    fields: SIGN_FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (req, f, ctx) => {
        const key = await storeOf(ctx).get(f.get('name'));
        if (key === undefined) throw new BadRequestError('signing key not found');
        if (!typeInfo(key.policy.type).signing) throw new BadRequestError(`key type ${key.policy.type} does not support signing`);
        const opts = signatureOptions({
          hash: hashName(f.get('urlalgorithm'), f.get('hash_algorithm'), f.get('algorithm')),
          prehashed: f.get('prehashed'),
          signatureAlgorithm: f.get('signature_algorithm'),
          marshaling: f.get('marshaling_algorithm'),
          saltLength: f.get('salt_length'),
          key,
        });
        const { items, batch } = itemsOf(req.data, () => ({ input: f.get('input'), context: f.get('context'), reference: '', raw: {} }));
        const outcomes = items.map((it) =>
          runItem(() => {
            if (it.input === undefined) throw new BadRequestError('missing input');
            const input = decodeInput(it.input);
            const context = decodeContext(it.context);
            const signed = signInput(key, input, f.get('key_version'), { ...opts, ...(context ? { context } : {}) });
            const out: Record<string, unknown> = { signature: signed.signature };
            if (signed.publicKey !== undefined) out[batch ? 'publickey' : 'public_key'] = encodeBase64(signed.publicKey);
            out['key_version'] = signed.version;
            return out;
          }),
        );
        return withWarnings(respond(batch, outcomes, items, {}), [unknownFieldsWarning(req.data, SIGN_FIELDS)]);
      },
    },
    synopsis: 'Generate a signature for input data using the named key',
    description: 'Generates a signature of the input data using the named key and the given hash algorithm.',
  });

  const VERIFY_FIELDS = {
    ...SIGNATURE_FIELDS,
    signature: { type: 'string', description: 'Signature from sign/.' },
    hmac: { type: 'string', description: 'HMAC from hmac/.' },
  } as const satisfies FieldSchemas;

  const verifyPath = definePath({
    pattern: `verify/${genericName('name')}${URL_ALGORITHM}`,
    fields: VERIFY_FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (req, f, ctx) => {
        const { items, batch } = itemsOf(req.data, () => ({
          input: f.get('input'),
          context: f.get('context'),
          reference: '',
          raw: {
            ...(f.getOk('signature') !== undefined ? { signature: f.get('signature') } : {}),
            ...(f.getOk('hmac') !== undefined ? { hmac: f.get('hmac') } : {}),
          },
        }));
        const sigFound = items.some((it) => has(it.raw, 'signature'));
        const hmacFound = items.some((it) => has(it.raw, 'hmac'));
        const missing = items.some((it) => !has(it.raw, 'signature') && !has(it.raw, 'hmac'));
        if (!batch && sigFound && hmacFound) throw new BadRequestError("provide one of 'signature' or 'hmac'");
        if (!batch && !sigFound && !hmacFound) throw new BadRequestError("neither a 'signature' nor an 'hmac' were given to verify");
        if (sigFound && hmacFound) throw new BadRequestError("elements of batch_input must all provide 'signature' or all provide 'hmac'");
        if (missing && sigFound) throw new BadRequestError("some elements of batch_input are missing 'signature'");
        if (missing && hmacFound) throw new BadRequestError("some elements of batch_input are missing 'hmac'");
        if (missing) throw new BadRequestError("no batch_input elements have 'signature' or 'hmac'");

        const key = await storeOf(ctx).get(f.get('name'));
        const hash = hashName(f.get('urlalgorithm'), f.get('hash_algorithm'), f.get('algorithm'));
        let check: (it: Item, input: Buffer) => boolean;
        if (hmacFound) {
          if (key === undefined) throw new BadRequestError('encryption key not found');
          const nodeName = hash === 'none' ? undefined : nodeHash(hash);
          if (nodeName === undefined) throw new BadRequestError(`unsupported algorithm ${JSON.stringify(hash)}`);
          check = (it, input) => verifyHmac(key, nodeName, input, itemString(it.raw, 'hmac', 0));
        } else {
          if (key === undefined) throw new BadRequestError('signature verification key not found');
          if (!typeInfo(key.policy.type).signing) throw new BadRequestError(`key type ${key.policy.type} does not support verification`);
          const opts = signatureOptions({
            hash,
            prehashed: f.get('prehashed'),
            signatureAlgorithm: f.get('signature_algorithm'),
            marshaling: f.get('marshaling_algorithm'),
            saltLength: f.get('salt_length'),
            key,
          });
          check = (it, input) => {
            const context = decodeContext(it.context);
            return verifyInput(key, input, itemString(it.raw, 'signature', 0), { ...opts, ...(context ? { context } : {}) });
          };
        }
        const outcomes = items.map((it) =>
          runItem(() => {
            if (it.input === undefined) throw new BadRequestError('missing input');
            return { valid: check(it, decodeInput(it.input)) };
          }),
        );
        return withWarnings(respond(batch, outcomes, items, { valid: false }), [unknownFieldsWarning(req.data, VERIFY_FIELDS)]);
      },
    },
    synopsis: 'Verify a signature or HMAC for input data created using the named key',
    description: 'Verifies a signature or HMAC of the input data using the named key and the given hash algorithm.',
  });

  const HMAC_FIELDS = {
    ...ALGORITHM_FIELDS,
    algorithm: { type: 'string', description: 'Hash algorithm.', default: 'sha2-256' },
    key_version: { type: 'int', description: 'Key version to use; latest when 0.' },
  } as const satisfies FieldSchemas;

  const hmacPath = definePath({
    pattern: `hmac/${genericName('name')}${URL_ALGORITHM}`,
    fields: HMAC_FIELDS,
    takesArbitraryInput: true,
    operations: {
      update: async (req, f, ctx) => {
        const key = await storeOf(ctx).get(f.get('name'));
        if (key === undefined) throw new BadRequestError('encryption key not found');
        const version = hmacVersion(key, f.get('key_version'));
        const algorithm = hashName(f.get('urlalgorithm'), f.get('algorithm'));
        const hash = nodeHash(algorithm);
        if (hash === undefined) throw new BadRequestError(`unsupported algorithm ${JSON.stringify(algorithm)}`);
        const { items, batch } = itemsOf(req.data, () => ({ input: f.get('input'), context: '', reference: '', raw: {} }));
        const outcomes = items.map((it) =>
          runItem(() => {
            if (it.input === undefined) throw new BadRequestError('missing input for HMAC');
            return { hmac: hmacInput(key, version, hash, decodeInput(it.input)) };
          }),
        );
        return withWarnings(respond(batch, outcomes, items, {}), [unknownFieldsWarning(req.data, HMAC_FIELDS)]);
      },
    },
    synopsis: 'Generate an HMAC for input data using the named key',
    description: 'Generates an HMAC of the input data with the named key (each key version has its own HMAC key).',
  });

  return [signPath, verifyPath, hmacPath];
}
