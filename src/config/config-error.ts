/**
 * Every problem found while loading server configuration: a syntax error, an unknown or
 * invalid key, a missing required stanza, an unreadable file. The message names the file and,
 * when there is one, the line, so an operator can go straight to it. Values are never quoted
 * in messages (a storage connection URL can hold a password); keys and stanza names are.
 */
export class ConfigError extends Error {
  /** The file (or, for problems of the merged result, the files) concerned. */
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The message without the file and line prefix. */
  readonly problem: string;

  constructor(file: string, problem: string, line?: number, column?: number, options?: { cause?: unknown }) {
    const where = line === undefined ? '' : column === undefined ? `line ${line}: ` : `line ${line}, column ${column}: `;
    super(`error loading ${file}: ${where}${problem}`, options);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.problem = problem;
  }
}
