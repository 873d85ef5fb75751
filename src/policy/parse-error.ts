import { BadRequestError } from '../errors.js';

/** A policy that does not parse (400); `line` is 1-based when the problem has a place. */
export class PolicyParseError extends BadRequestError {
  readonly line: number | undefined;

  constructor(reason: string, line?: number) {
    super(`failed to parse policy: ${reason}`);
    this.line = line;
  }
}
