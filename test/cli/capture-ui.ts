/** A Ui that records output and serves a fixed stdin, for in-process tests of the CLI. */
import type { Ui } from '../../src/cli/ui.js';

export class CaptureUi implements Ui {
  stdout = '';
  stderr = '';
  private stdinUsed = false;

  constructor(
    private readonly stdin = '',
    readonly stdoutIsTTY = false,
    readonly stdinIsTTY = false,
  ) {}

  out(text: string): void {
    this.stdout += `${text}\n`;
  }
  raw(text: string): void {
    this.stdout += text;
  }
  err(text: string): void {
    this.stderr += `${text}\n`;
  }
  async readStdin(): Promise<string> {
    if (this.stdinUsed) throw new Error('stdin has already been read');
    this.stdinUsed = true;
    return this.stdin;
  }
  async promptSecret(): Promise<string> {
    throw new Error('no terminal in tests');
  }
}
