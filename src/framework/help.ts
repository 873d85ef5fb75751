/**
 * Help text for the 'help' operation, rendered from the declarations themselves so it can
 * never drift from what the path accepts. Vault clients read it from `data.help`.
 */
import type { Response } from '../logical/request.js';
import type { PathDef } from './path.js';

function indent(text: string, by: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => (line === '' ? '' : by + line))
    .join('\n');
}

export function helpResponse(help: string): Response {
  return { data: { help, see_also: [] } };
}

/** Help for one path, as answered for a request that matched it. */
export function pathHelp(requestPath: string, path: PathDef, route: string): string {
  const parts = [`Request:        ${requestPath}`, `Matching Route: ${route}`, '', path.synopsis.trim()];
  const names = Object.keys(path.fields).sort();
  if (names.length > 0) {
    parts.push('', '## PARAMETERS', '');
    for (const name of names) {
      const field = path.fields[name]!;
      parts.push(`    ${name} (${field.type})`, '', indent(field.description, '        '), '');
    }
  } else {
    parts.push('');
  }
  parts.push('## DESCRIPTION', '', path.description.trim());
  return parts.join('\n') + '\n';
}

/** Help for the backend's root: its description and every path's synopsis. */
export function rootHelp(backendHelp: string, paths: readonly PathDef[]): string {
  const parts = ['## DESCRIPTION', '', backendHelp.trim(), '', '## PATHS', ''];
  parts.push('The following paths are supported by this backend. To view help for', 'any of the paths below, use the help command with any route matching', 'the path pattern.', '');
  for (const path of paths) parts.push(`    ${path.pattern}`, indent(path.synopsis, '        '), '');
  return parts.join('\n');
}
