/**
 * Timestamps as Vault renders them (Go's RFC3339Nano in UTC): fractional seconds without
 * trailing zeros, and none at all on a whole second.
 */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.120Z
  const dot = iso.indexOf('.');
  const fraction = iso.slice(dot + 1, -1).replace(/0+$/, '');
  return `${iso.slice(0, dot)}${fraction === '' ? '' : `.${fraction}`}Z`;
}
