/**
 * The identity store's persisted records. One JSON record per object; aliases are separate
 * records (not embedded in their entity) so an alias of a local auth mount can live in local
 * storage while its entity replicates. Times are ms since the epoch.
 */

/** Vault's namespace id for the root namespace; Arca has no other. */
export const ROOT_NAMESPACE_ID = 'root';

export interface EntityRecord {
  readonly id: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Sorted, de-duplicated. */
  readonly policies: readonly string[];
  readonly disabled: boolean;
  /** Entities merged into this one; tokens still naming them resolve here. */
  readonly mergedEntityIds: readonly string[];
  readonly creationTime: number;
  readonly lastUpdateTime: number;
}

export interface EntityAliasRecord {
  readonly id: string;
  /** The entity this alias belongs to. */
  readonly canonicalId: string;
  readonly mountAccessor: string;
  readonly mountType: string;
  readonly name: string;
  /** Set by the auth method at login. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Set through the API only. */
  readonly customMetadata: Readonly<Record<string, string>>;
  /** The alias belongs to a local auth mount: stored in local storage, never replicated. */
  readonly local: boolean;
  readonly mergedFromCanonicalIds: readonly string[];
  readonly creationTime: number;
  readonly lastUpdateTime: number;
}

export type GroupType = 'internal' | 'external';

export interface GroupRecord {
  readonly id: string;
  readonly name: string;
  readonly type: GroupType;
  readonly metadata: Readonly<Record<string, string>>;
  readonly policies: readonly string[];
  /** Internal groups only. */
  readonly memberEntityIds: readonly string[];
  /** Groups whose members inherit this group's policies (internal groups only). */
  readonly memberGroupIds: readonly string[];
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  /** Bumped on every write, as Vault's modify_index. */
  readonly modifyIndex: number;
}

export interface GroupAliasRecord {
  readonly id: string;
  /** The (external) group this alias names. */
  readonly canonicalId: string;
  readonly mountAccessor: string;
  readonly mountType: string;
  readonly name: string;
  readonly mergedFromCanonicalIds: readonly string[];
  readonly creationTime: number;
  readonly lastUpdateTime: number;
}

/** What the store needs to know about a mount named by accessor. */
export interface MountInfo {
  readonly accessor: string;
  readonly type: string;
  /** Full routing path, e.g. "auth/userpass/". */
  readonly path: string;
  readonly local: boolean;
}

export type MountResolver = (accessor: string) => MountInfo | undefined;

/** An entity's effective identity at request time. */
export interface ResolvedIdentity {
  readonly entity: EntityRecord;
  /** Entity policies plus those of every group it is in, directly or by inheritance; sorted. */
  readonly policies: readonly string[];
  readonly directGroupIds: readonly string[];
  readonly inheritedGroupIds: readonly string[];
}
