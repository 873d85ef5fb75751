/** The typed form of a parsed ACL policy; plain readonly data, safe to cache and share. */
import type { Capability } from './capabilities.js';

/** Allowed or denied values per parameter name (lower-cased); an empty list means any value. */
export type ParameterConstraints = ReadonlyMap<string, readonly unknown[]>;

export interface PathRule {
  /** The path as written, leading "/" removed; may end in "*", contain "+" and templates. */
  readonly path: string;
  /** Line of the `path` block in the policy text. */
  readonly line: number;
  /** Granted capabilities, legacy `policy` shorthand included; just ["deny"] when denied. */
  readonly capabilities: readonly Capability[];
  readonly requiredParameters: readonly string[];
  /** Undefined when the rule does not restrict parameters. */
  readonly allowedParameters: ParameterConstraints | undefined;
  readonly deniedParameters: ParameterConstraints | undefined;
  /** Seconds; 0 = unset. */
  readonly minWrappingTTL: number;
  readonly maxWrappingTTL: number;
  /** Whether `path` holds `{{identity...}}` placeholders. */
  readonly templated: boolean;
}

export interface Policy {
  /** Lower-cased, trimmed. */
  readonly name: string;
  /** The text as submitted, returned by sys/policy reads. */
  readonly raw: string;
  readonly paths: readonly PathRule[];
  readonly templated: boolean;
}
