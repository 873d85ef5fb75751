/**
 * Validation of secret paths, shared by KV v1 and v2. A secret path becomes part of a storage
 * key, so it must never name something outside the engine's own prefix ("..") nor produce
 * keys that list ambiguously (empty segments). Unicode and spaces are ordinary characters.
 */
import { BadRequestError } from '../../errors.js';

/** Well below the physical 2048-byte key limit, leaving room for the mount and engine prefixes. */
export const MAX_PATH_BYTES = 1024;

/** Printable ASCII: one byte per character, no NUL, no surrogate (the common case, checked at once). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function checkSegments(path: string): void {
  const ascii = PRINTABLE_ASCII.test(path);
  if ((ascii ? path.length : Buffer.byteLength(path, 'utf8')) > MAX_PATH_BYTES) {
    throw new BadRequestError(`invalid path: longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (!ascii) {
    if (path.includes('\0')) throw new BadRequestError('invalid path: contains a NUL character');
    // A lone surrogate has no UTF-8 form, so the storage key could not round-trip.
    if (/\p{Cs}/u.test(path)) throw new BadRequestError('invalid path: contains an unpaired surrogate');
  }
  // One pass over the path for the two segment rules, in the order a segment-by-segment walk would report them.
  const bad = BAD_SEGMENT.exec(path);
  if (bad !== null) {
    throw new BadRequestError(bad[1] !== undefined ? 'invalid path: empty path segment' : 'invalid path: relative paths are not supported');
  }
}

/** The first empty segment (group 1) or "." / ".." segment (group 2) of a path. */
const BAD_SEGMENT = /(?:^|\/)(?:(?=\/|$)()|(\.\.?)(?=\/|$))/;

/** A path naming one secret: non-empty, no leading or trailing slash. */
export function checkSecretPath(path: string): string {
  if (path === '') throw new BadRequestError('missing path');
  checkSegments(path);
  return path;
}

/** A folder to list: '' for the root, otherwise normalised to end with '/'. */
export function listPrefix(path: string): string {
  if (path === '' || path === '/') return '';
  const folder = path.endsWith('/') ? path.slice(0, -1) : path;
  checkSegments(folder);
  return `${folder}/`;
}

/** Like checkSecretPath, but answers false instead of throwing (existence checks). */
export function isValidSecretPath(path: string): boolean {
  try {
    checkSecretPath(path);
    return true;
  } catch {
    return false;
  }
}
