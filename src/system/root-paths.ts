/**
 * The system backend's root-protected paths: a non-root token needs `sudo` on the matching
 * rule besides the operation's own capability. This is Vault's documented list of
 * "root protected API endpoints" under sys/, including endpoints Arca does not serve yet, so
 * a policy written for Vault means the same here the day they arrive. Relative to sys/;
 * a trailing "*" matches by prefix, anything else matches exactly (a trailing "/" allowed).
 *
 * Not root-protected (as in Vault): sys/mounts and sys/mounts/*, sys/auth (the list),
 * sys/key-status, sys/policy*, sys/capabilities*.
 */
export const SYS_ROOT_PATHS: readonly string[] = [
  // Auth methods: enable, read, disable, tune (the list sys/auth is not protected).
  'auth/*',
  'remount',
  'audit',
  'audit/*',
  'raw',
  'raw/*',
  'rotate',
  'rotate/config',
  'seal',
  'step-down',
  'config/cors',
  'config/auditing/*',
  'config/ui/headers/*',
  'plugins/catalog/*',
  'revoke-prefix/*',
  'revoke-force/*',
  'leases/revoke-prefix/*',
  'leases/revoke-force/*',
  'leases/lookup/*',
  'internal/inspect/*',
  'storage/raft/snapshot-auto/config/*',
  'replication/reindex',
  'replication/primary/secondary-token',
  'replication/performance/primary/secondary-token',
  'replication/performance/reindex',
  'replication/dr/primary/secondary-token',
  'replication/dr/reindex',
];
