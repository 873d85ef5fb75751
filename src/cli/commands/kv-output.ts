/** The sectioned table layout of the kv commands ("== Secret Path ==", "==== Data ===="). */
import { keyValueTable, objectRows, pathBanner, sectionBanner } from '../format.js';
import type { Ui } from '../ui.js';

/** "== Title ==" banner, then the path, then a blank line. */
export function printPathHeader(ui: Ui, title: string, path: string): void {
  ui.out(pathBanner(title, path));
  ui.out(path);
  ui.out('');
}

/** A titled Key/Value section. */
export function printSection(ui: Ui, title: string, data: Readonly<Record<string, unknown>>): void {
  ui.out(sectionBanner(title, Object.keys(data)));
  ui.out(keyValueTable(objectRows(data)));
}
