/**
 * The terminal as commands see it. Commands never touch process.stdout/stdin directly so the
 * dispatcher can be driven in-process by tests and so stdin is read at most once (it can hold
 * a JSON body, an unseal key or an encoded token, and a second reader would see nothing).
 */
import type { Readable, Writable } from 'node:stream';

/** Upper bound on what we accept from stdin: a JSON body or a key, never a stream of data. */
const MAX_STDIN_BYTES = 32 * 1024 * 1024;
/** Upper bound on a typed secret (unseal key, OTP): far above any real key. */
const MAX_PROMPT_CHARS = 4096;

export interface Ui {
  /** A line on stdout. */
  out(text: string): void;
  /** Text on stdout exactly as given (used by -field, which prints no newline). */
  raw(text: string): void;
  /** A line on stderr. */
  err(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  /** All of stdin as text; a second call fails, as the data is gone. */
  readStdin(): Promise<string>;
  /** Ask for a secret on the terminal without echoing it. Only valid when stdinIsTTY. */
  promptSecret(prompt: string): Promise<string>;
}

interface TtyInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

interface TtyOutput extends Writable {
  isTTY?: boolean;
}

export class StreamUi implements Ui {
  private stdinUsed = false;

  constructor(
    private readonly stdin: TtyInput,
    private readonly stdout: TtyOutput,
    private readonly stderr: TtyOutput,
  ) {}

  get stdoutIsTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  get stdinIsTTY(): boolean {
    return this.stdin.isTTY === true;
  }

  out(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  raw(text: string): void {
    this.stdout.write(text);
  }

  err(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  async readStdin(): Promise<string> {
    this.claimStdin();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.stdin) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
      size += buf.length;
      if (size > MAX_STDIN_BYTES) throw new Error(`stdin is larger than ${MAX_STDIN_BYTES} bytes`);
      chunks.push(buf);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  promptSecret(prompt: string): Promise<string> {
    this.claimStdin();
    const input = this.stdin;
    if (input.setRawMode === undefined) return Promise.reject(new Error('stdin is not a terminal'));
    // Raw mode first: a key typed the moment the prompt shows must already be unechoed.
    input.setRawMode(true);
    this.stderr.write(prompt);
    input.setEncoding('utf8');
    input.resume();
    return new Promise<string>((resolve, reject) => {
      let typed = '';
      const finish = (err?: Error): void => {
        input.off('data', onData);
        input.setRawMode?.(false);
        input.pause();
        this.stderr.write('\n');
        if (err !== undefined) reject(err);
        else resolve(typed);
      };
      const onData = (data: string): void => {
        for (const ch of data) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
          if (ch === '\u0003') return finish(new Error('interrupted'));
          if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
          else if (typed.length >= MAX_PROMPT_CHARS) return finish(new Error('input too long'));
          else typed += ch;
        }
      };
      input.on('data', onData);
    });
  }

  private claimStdin(): void {
    if (this.stdinUsed) throw new Error('stdin has already been read');
    this.stdinUsed = true;
  }
}

/** The real terminal. */
export function processUi(): Ui {
  return new StreamUi(process.stdin, process.stdout, process.stderr);
}

/**
 * Read one secret value the way Vault's operator commands do: from the argument, from stdin
 * when the argument is "-" or stdin is not a terminal, else by a hidden prompt. Surrounding
 * whitespace (the newline of `echo KEY |`) is dropped; from a pipe only
 * the first line counts, as a prompt would read it.
 */
export async function readSecretInput(ui: Ui, arg: string | undefined, prompt: string): Promise<string> {
  if (arg !== undefined && arg !== '-') return arg.trim();
  if (arg === '-' || !ui.stdinIsTTY) return firstLine(await ui.readStdin());
  return (await ui.promptSecret(prompt)).trim();
}

function firstLine(text: string): string {
  return (text.trim().split(/\r?\n/)[0] ?? '').trim();
}
