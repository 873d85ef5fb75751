/**
 * Child-process plumbing shared by every scenario: spawn a Node script, wait for the line that
 * says it is ready, read its RSS from /proc, stop it with a bounded SIGTERM -> SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Child {
  readonly proc: ChildProcess;
  /** The capture groups of the ready pattern. */
  readonly ready: readonly string[];
  output(): string;
  /** Resident set size in bytes, read from /proc/<pid>/status. */
  rss(): number;
  /** CPU time (user + system, all threads) consumed so far, in seconds, from /proc/<pid>/stat. */
  cpuSeconds(): number;
  /** Write one line to the child's stdin, then wait (bounded) for a stdout line matching `reply`; returns its groups. */
  ask(line: string, reply: RegExp, timeoutMs: number): Promise<string[]>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly args: readonly string[];
  readonly ready: RegExp;
  readonly timeoutMs: number;
  readonly cwd?: string;
  readonly execArgv?: readonly string[];
}

/** Keeps captured output bounded: a chatty child cannot grow the orchestrator's memory. */
const MAX_OUTPUT = 256 * 1024;

export async function spawnNode(script: string, opts: SpawnOptions): Promise<Child> {
  const proc = spawn(process.execPath, [...(opts.execArgv ?? []), script, ...opts.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  let out = '';
  const append = (d: Buffer): void => {
    out = (out + d.toString()).slice(-MAX_OUTPUT);
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const ready = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} not ready within ${opts.timeoutMs} ms:\n${out}`));
    }, opts.timeoutMs);
    const check = (): void => {
      const m = opts.ready.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve(m.slice(1));
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${signal ?? code}) before ready:\n${out}`));
    });
  });

  return {
    proc,
    ready,
    output: () => out,
    rss: () => readRss(proc.pid),
    cpuSeconds: () => readCpuSeconds(proc.pid),
    ask: (line, reply, timeoutMs) => ask(proc, line, reply, timeoutMs),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.kill('SIGTERM');
      await exited;
      clearTimeout(t);
    },
  };
}

function ask(proc: ChildProcess, line: string, reply: RegExp, timeoutMs: number): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    let seen = '';
    const finish = (err: Error | undefined, groups?: string[]): void => {
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.off('exit', onExit);
      if (err === undefined) resolve(groups ?? []);
      else reject(err);
    };
    const onData = (d: Buffer): void => {
      seen = (seen + d.toString()).slice(-MAX_OUTPUT);
      const m = reply.exec(seen);
      if (m !== null) finish(undefined, m.slice(1));
    };
    const onExit = (): void => finish(new Error(`child exited while waiting for ${String(reply)}:\n${seen}`));
    const timer = setTimeout(() => finish(new Error(`no ${String(reply)} within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    proc.stdout!.on('data', onData);
    proc.once('exit', onExit);
    proc.stdin!.write(`${line}\n`);
  });
}

function readRss(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

/** Linux reports utime and stime in clock ticks, 100 per second on every common build. */
const CLOCK_TICKS = 100;

function readCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Runs a script to completion and returns its stdout; killed if it outlives timeoutMs. */
export async function runNode(script: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-MAX_OUTPUT)));
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-MAX_OUTPUT)));
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${script} failed (${signal ?? code}):\n${err}`));
    });
  });
}
