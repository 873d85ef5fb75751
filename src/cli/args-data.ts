/**
 * Request data from command-line arguments, with the conventions of Vault's `write` and
 * `kv put`:
 *
 *   key=value        a string field
 *   key=@path        the field's value is the contents of the file at path
 *   key=-            the field's value is all of stdin
 *   @path            the file holds a JSON object merged into the data
 *   -                stdin holds a JSON object merged into the data
 *
 * A key given twice becomes a list of its values (e.g. policies=a policies=b).
 */
import { readFile } from 'node:fs/promises';

/** Where file and stdin contents come from; injectable so the parser is testable alone. */
export interface DataSources {
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
}

export const fileSystemSources = (readStdin: () => Promise<string>): DataSources => ({
  readStdin,
  readFile: (path) => readFile(path, 'utf8'),
});

/** A malformed argument or unreadable input: a local error. */
export class DataArgError extends Error {}

export async function parseArgsData(args: readonly string[], sources: DataSources): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let stdinUsed = false;
  const stdin = async (): Promise<string> => {
    if (stdinUsed) throw new DataArgError('stdin can only be read once');
    stdinUsed = true;
    return sources.readStdin();
  };
  const file = async (path: string): Promise<string> => {
    try {
      return await sources.readFile(path);
    } catch (err) {
      throw new DataArgError(`error reading ${path}: ${(err as Error).message}`);
    }
  };
  const add = (key: string, value: unknown): void => {
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      out[key] = value;
      return;
    }
    const prev = out[key];
    out[key] = Array.isArray(prev) ? [...(prev as unknown[]), value] : [prev, value];
  };

  for (const [index, arg] of args.entries()) {
    if (arg === '-') {
      mergeJson(out, await stdin(), 'stdin');
      continue;
    }
    if (arg.startsWith('@')) {
      mergeJson(out, await file(arg.slice(1)), arg.slice(1));
      continue;
    }
    const eq = arg.indexOf('=');
    // The argument itself is not echoed: it may well be a secret typed without its key.
    if (eq <= 0) throw new DataArgError(`format must be key=value (data argument ${index + 1})`);
    const key = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    if (raw === '-') add(key, await stdin());
    else if (raw.startsWith('@')) add(key, await file(raw.slice(1)));
    else add(key, raw);
  }
  return out;
}

function mergeJson(out: Record<string, unknown>, text: string, source: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DataArgError(`error parsing JSON from ${source}: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DataArgError(`JSON from ${source} must be an object`);
  }
  Object.assign(out, parsed);
}
