/** Runs lib/repl-writer.js in its own process for one paced write run, bounded in time. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WriterResult, WriterSpec } from './repl-writer.js';

const WRITER = fileURLToPath(new URL('./repl-writer.js', import.meta.url));

export function runPacedWrites(spec: WriterSpec): Promise<WriterResult> {
  const w = fork(WRITER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const budgetMs = spec.seconds * 1000 + 30_000;
  return new Promise<WriterResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      w.kill('SIGKILL');
      reject(new Error(`repl writer exceeded its ${budgetMs} ms budget`));
    }, budgetMs);
    w.once('message', (msg: { type: 'result'; result: WriterResult } | { type: 'error'; message: string }) => {
      clearTimeout(timer);
      if (msg.type === 'result') resolve(msg.result);
      else reject(new Error(`repl writer: ${msg.message}`));
    });
    w.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`repl writer exited (${signal ?? code}) without a result`));
    });
    w.send(spec);
  });
}
