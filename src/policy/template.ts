/**
 * Identity templating in policy paths (`secret/data/{{identity.entity.id}}/*`). A templated
 * path is resolved when an ACL is compiled for a caller; a path whose value the caller does
 * not have (no entity, no such group or metadata key) is dropped from the ACL, as Vault
 * does, so it grants nothing rather than matching a half-filled path.
 */

export interface TemplateAlias {
  readonly mountAccessor: string;
  readonly id: string;
  readonly name: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly customMetadata?: Readonly<Record<string, string>>;
}

export interface TemplateGroup {
  readonly id: string;
  readonly name: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What the caller's identity offers to templates. */
export interface IdentityTemplateContext {
  readonly entity?: {
    readonly id: string;
    readonly name: string;
    readonly metadata?: Readonly<Record<string, string>>;
    readonly aliases?: readonly TemplateAlias[];
  };
  readonly groups?: readonly TemplateGroup[];
}

const PLACEHOLDER = /\{\{(.*?)\}\}/g;

// The parameter names Vault documents; the last capture of a metadata form is the key.
const FORMS: readonly RegExp[] = [
  /^identity\.entity\.(id|name)$/,
  /^identity\.entity\.metadata\.(.+)$/,
  /^identity\.entity\.aliases\.([^.]+)\.(id|name)$/,
  /^identity\.entity\.aliases\.([^.]+)\.(metadata|custom_metadata)\.(.+)$/,
  /^identity\.groups\.ids\.([^.]+)\.(name|metadata)(?:\.(.+))?$/,
  /^identity\.groups\.names\.([^.]+)\.(id|metadata)(?:\.(.+))?$/,
];

export function isTemplated(path: string): boolean {
  return path.includes('{{') && path.includes('}}');
}

/** The first placeholder that names no known parameter, or undefined when all are valid. */
export function invalidPlaceholder(path: string): string | undefined {
  for (const m of path.matchAll(PLACEHOLDER)) {
    const key = (m[1] ?? '').trim();
    if (!FORMS.some((re) => validForm(re, key))) return key;
  }
  return undefined;
}

function validForm(re: RegExp, key: string): boolean {
  const m = re.exec(key);
  if (m === null) return false;
  // Group metadata needs a key; group name/id must not have one.
  if (re === FORMS[4] || re === FORMS[5]) return (m[2] === 'metadata') === (m[3] !== undefined);
  return true;
}

/** The path with every placeholder filled, or undefined when the caller lacks a value. */
export function resolveTemplate(path: string, ctx: IdentityTemplateContext | undefined): string | undefined {
  let missing = false;
  const out = path.replace(PLACEHOLDER, (_all, raw: string) => {
    const value = lookup(raw.trim(), ctx);
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}

function lookup(key: string, ctx: IdentityTemplateContext | undefined): string | undefined {
  const entity = ctx?.entity;
  let m = FORMS[0]!.exec(key);
  if (m) return m[1] === 'id' ? entity?.id : entity?.name;
  m = FORMS[1]!.exec(key);
  if (m) return own(entity?.metadata, m[1]!);
  m = FORMS[2]!.exec(key);
  if (m) {
    const alias = entity?.aliases?.find((a) => a.mountAccessor === m![1]);
    return m[2] === 'id' ? alias?.id : alias?.name;
  }
  m = FORMS[3]!.exec(key);
  if (m) {
    const alias = entity?.aliases?.find((a) => a.mountAccessor === m![1]);
    return own(m[2] === 'metadata' ? alias?.metadata : alias?.customMetadata, m[3]!);
  }
  m = FORMS[4]!.exec(key);
  if (m) {
    const group = ctx?.groups?.find((g) => g.id === m![1]);
    return m[2] === 'name' ? group?.name : own(group?.metadata, m[3] ?? '');
  }
  m = FORMS[5]!.exec(key);
  if (m) {
    const group = ctx?.groups?.find((g) => g.name === m![1]);
    return m[2] === 'id' ? group?.id : own(group?.metadata, m[3] ?? '');
  }
  return undefined;
}

function own(map: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  return map !== undefined && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}
