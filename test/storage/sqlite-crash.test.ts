/**
 * Crash safety: a child process writes under load and is SIGKILLed mid-stream. Whatever it
 * acknowledged must be on disk, whole; every batch must be all-or-nothing. Three crashes in a
 * row on the same file, each run re-checking what earlier runs acknowledged.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { SqlitePhysical } from '../../src/storage/sqlite.js';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.js', import.meta.url));
const KILL_AFTER_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'arca-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Acks {
  readonly puts: string[];
  /** Batch folder -> highest acknowledged generation. */
  readonly batches: Map<string, number>;
}

/** Run the writer until it has acknowledged `killAt` writes (or 10 s passed), then SIGKILL it. */
async function crashWriter(path: string, run: number, killAt: number): Promise<Acks> {
  const child = spawn(process.execPath, [WRITER, path, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Acks = { puts: [], batches: new Map() };
  let count = 0;
  let pending = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? ''; // an unterminated line is not an acknowledgement
    for (const line of lines) {
      const [word, kind, key, gen] = line.split(' ');
      assert.equal(word, 'ack', `unexpected output: ${line}`);
      if (kind === 'put' && key !== undefined) acks.puts.push(key);
      else if (kind === 'batch' && key !== undefined && gen !== undefined) acks.batches.set(key, Number(gen));
      else assert.fail(`unexpected output: ${line}`);
      if (++count === killAt) child.kill('SIGKILL');
    }
  });
  const [code, signal] = (await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])))) as [number | null, string | null];
  clearTimeout(timer);
  assert.equal(signal, 'SIGKILL', `writer ended on its own (code ${code}): ${stderr}`);
  assert.ok(count >= killAt, `only ${count} acknowledgements before the 10 s limit: ${stderr}`);
  return acks;
}

/** The payload of a value written by the child, or a failure if the value is torn. */
function unseal(key: string, value: Buffer | undefined): Buffer {
  assert.ok(value !== undefined, `acknowledged key ${key} is missing`);
  assert.ok(value.length >= 32, `value of ${key} is truncated`);
  const payload = value.subarray(32);
  assert.ok(createHash('sha256').update(payload).digest().equals(value.subarray(0, 32)), `value of ${key} is torn`);
  return payload;
}

async function verify(p: SqlitePhysical, run: number, acks: Acks): Promise<void> {
  for (const key of acks.puts) unseal(key, await p.get(key));
  // Values nobody acknowledged may be absent, but none may be torn.
  for (const w of await p.list(`r${run}/put/`)) {
    for (const n of await p.list(`r${run}/put/${w}`)) {
      const key = `r${run}/put/${w}${n}`;
      unseal(key, await p.get(key));
    }
  }
  for (const w of await p.list(`r${run}/batch/`)) {
    const folder = `r${run}/batch/${w.slice(0, -1)}`;
    assert.deepEqual(await p.list(`${folder}/`), ['0', '1', '2', '3', '4'], `batch ${folder} is partial`);
    const gens = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const payload = unseal(`${folder}/${i}`, await p.get(`${folder}/${i}`));
      assert.equal(payload.readUInt32BE(4), i);
      gens.add(payload.readUInt32BE(0));
    }
    assert.equal(gens.size, 1, `batch ${folder} mixes generations ${[...gens].join(',')}`);
    const gen = [...gens][0] as number;
    const acked = acks.batches.get(folder);
    if (acked !== undefined) assert.ok(gen >= acked, `batch ${folder} lost acknowledged generation ${acked}`);
  }
  for (const folder of acks.batches.keys()) {
    assert.ok((await p.list(`${folder}/`)).length === 5, `acknowledged batch ${folder} is missing`);
  }
}

test('sqlite: acknowledged writes survive SIGKILL, values are whole, batches all-or-nothing', async () => {
  const path = join(dir, 'crash.sqlite');
  const runs: Acks[] = [];
  for (let run = 0; run < 3; run++) {
    // Thousands of ops per run: the checkpoint thread (one request per 1,000 ops) is at work when the kill lands.
    runs.push(await crashWriter(path, run, 1500 + 500 * run));
    const p = SqlitePhysical.open(path);
    try {
      for (let earlier = 0; earlier <= run; earlier++) await verify(p, earlier, runs[earlier] as Acks);
    } finally {
      await p.close();
    }
  }
});
