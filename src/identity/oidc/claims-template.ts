/**
 * A role's claims template: JSON (optionally base64-encoded) with `{{...}}` parameters in value
 * positions, e.g. `{"groups": {{identity.entity.groups.names}}, "nbf": {{time.now}}}`. Each
 * parameter is replaced by its value as JSON; one the entity does not have (a metadata key,
 * an alias on another mount) becomes "" or {} by its type, as Vault documents. The result must
 * be a JSON object whose top-level keys do not override the claims Arca sets itself.
 */
import { BadRequestError } from '../../errors.js';
import type { IdentityTemplateContext } from '../../policy/index.js';
import { parseDurationSeconds } from '../../util/duration.js';

/** Claims the issuer sets; a template may not name them at the top level. */
export const RESERVED_CLAIMS: readonly string[] = ['iat', 'aud', 'exp', 'iss', 'sub', 'namespace', 'nonce', 'auth_time', 'at_hash', 'c_hash'];

const PARAMETER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The template text: base64 when it decodes to something that looks like JSON, else as given. */
export function templateText(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.startsWith('{')) return trimmed;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64').toString('utf8').trim();
    if (decoded.startsWith('{')) return decoded;
  }
  return trimmed;
}

/** Render the template for a caller: the claims it adds (an empty object for no template). */
export function renderClaims(raw: string, identity: IdentityTemplateContext, nowSeconds: number): Record<string, unknown> {
  const text = templateText(raw);
  if (text === '') return {};
  const json = text.replace(PARAMETER, (_all, name: string) => JSON.stringify(valueOf(name, identity, nowSeconds)));
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new BadRequestError(`error parsing template JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadRequestError('template must be a JSON object');
  const claims = parsed as Record<string, unknown>;
  for (const key of Object.keys(claims)) {
    if (RESERVED_CLAIMS.includes(key)) {
      throw new BadRequestError(`top level key "${key}" not allowed. Restricted keys: ${RESERVED_CLAIMS.join(', ')}`);
    }
  }
  return claims;
}

/** Check a template when a role is written: it must render (for an entity with nothing set). */
export function checkTemplate(raw: string): void {
  renderClaims(raw, {}, 0);
}

function valueOf(name: string, ctx: IdentityTemplateContext, now: number): unknown {
  const e = ctx.entity;
  if (name === 'time.now') return now;
  let m = /^time\.now\.(plus|minus)\.(.+)$/.exec(name);
  if (m !== null) {
    let seconds: number;
    try {
      seconds = parseDurationSeconds(m[2]);
    } catch {
      throw new BadRequestError(`invalid duration in template parameter "${name}"`);
    }
    return m[1] === 'plus' ? now + seconds : now - seconds;
  }
  if (name === 'identity.entity.id') return e?.id ?? '';
  if (name === 'identity.entity.name') return e?.name ?? '';
  if (name === 'identity.entity.groups.ids') return (ctx.groups ?? []).map((g) => g.id);
  if (name === 'identity.entity.groups.names') return (ctx.groups ?? []).map((g) => g.name);
  if (name === 'identity.entity.metadata') return e?.metadata ?? {};
  m = /^identity\.entity\.metadata\.(.+)$/.exec(name);
  if (m !== null) return e?.metadata?.[m[1]!] ?? '';
  m = /^identity\.entity\.aliases\.([^.]+)\.(id|name|metadata|custom_metadata)(?:\.(.+))?$/.exec(name);
  if (m !== null) {
    const [, accessor, field, key] = m;
    const alias = e?.aliases?.find((a) => a.mountAccessor === accessor);
    if (field === 'id' || field === 'name') {
      if (key !== undefined) throw unknownParameter(name);
      return (field === 'id' ? alias?.id : alias?.name) ?? '';
    }
    const map = (field === 'metadata' ? alias?.metadata : alias?.customMetadata) ?? {};
    return key === undefined ? map : (map[key] ?? '');
  }
  throw unknownParameter(name);
}

function unknownParameter(name: string): BadRequestError {
  return new BadRequestError(`error parsing template: unknown template parameter "${name}"`);
}
