/**
 * Benchmark orchestrator: `npm run bench -- [--quick] [--only=name,...]`. Runs each scenario
 * (servers and load in separate processes), prints medians, ratios against the baselines
 * measured in this same run and the issue-8 targets, and writes JSON to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/arca-server.js';
import { parseArgs } from './lib/args.js';
import { apiOk } from './lib/http-client.js';
import { closeLoadWorker, runLoad, useLoadGenerator } from './lib/load-driver.js';
import { wrkAvailable } from './lib/wrk.js';
import { measureKvReadBytes } from './lib/kv-read-size.js';
import { loadAverage, machineInfo } from './lib/machine.js';
import { recommendedServerFlags } from './lib/server-flags.js';
import { type HostedNode, startHostedNode } from './lib/node-host-client.js';
import { HOT_KEY, KV_WRITE_BODY, SECRET, kvDataPath } from './lib/payload.js';
import { setProfileDir } from './lib/profiling.js';
import { type ReportRow, renderTable } from './lib/report.js';
import { ratio, round } from './lib/stats.js';
import { selectScenarios } from './scenarios/index.js';
import type { BenchContext, RunSettings, ScenarioResult, TargetCheck } from './scenarios/types.js';

const FULL: RunSettings = { quick: false, reps: 3, warmupSeconds: 2, durationSeconds: 10, maxRequests: 500_000 };
/** Quick mode must finish in under a minute including the build: short runs on one shared dev server. */
const QUICK: RunSettings = { quick: true, reps: 1, warmupSeconds: 0.5, durationSeconds: 1, maxRequests: 200_000 };

interface Judged {
  readonly result: ScenarioResult;
  readonly baseline?: string;
  readonly ratio?: number;
  /** Baseline CPU per request / this scenario's. */
  readonly cpuRatio?: number;
  readonly target?: TargetCheck;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const settings = args.quick ? QUICK : FULL;
  const scenarios = selectScenarios(args.only);
  if (args.load === 'wrk' && !wrkAvailable()) {
    throw new Error('wrk is not installed: apt-get install wrk (scripts/install-test-deps.sh installs it), or run with --load=autocannon');
  }
  useLoadGenerator(args.load);
  const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
  let readBytes: Promise<number> | undefined;
  const sharedResources = new Map<string, Promise<{ stop(): Promise<void> }>>();
  const shared = <T extends { stop(): Promise<void> }>(key: string, start: () => Promise<T>): Promise<T> => {
    let r = sharedResources.get(key);
    if (r === undefined) sharedResources.set(key, (r = start()));
    return r as Promise<T>;
  };
  const devServer = (): ReturnType<BenchContext['devServer']> =>
    shared('dev', async () => {
      const node = await startHostedNode({ storage: 'inmem', prefill: 0, prefillTimeoutMs: 120_000 });
      await warmUp(node, settings);
      return node;
    });
  const ctx: BenchContext = {
    settings,
    log,
    devServer,
    shared,
    kvReadBytes: () => (readBytes ??= devServer().then(measureKvReadBytes)),
  };

  const started = new Date();
  const loadBefore = loadAverage();
  const stamp = `${started.toISOString().replace(/[:.]/g, '-')}-${settings.quick ? 'quick' : 'full'}`;
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  if (args.cpuProf) {
    const profiles = join(resultsDir, 'profiles', stamp);
    mkdirSync(profiles, { recursive: true });
    setProfileDir(profiles);
    log(`server CPU profiles: ${profiles} (summarise with: node dist/bench/lib/profile-top.js FILE)`);
  }
  const t0 = Date.now();
  const judged: Judged[] = [];
  const byName = new Map<string, ScenarioResult>();
  try {
    for (const s of scenarios) {
      log(`> ${s.name}`);
      const started = Date.now();
      const result = await s.run(ctx);
      log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      byName.set(s.name, result);
      const base = s.baseline !== undefined ? byName.get(s.baseline) : undefined;
      const target = s.target?.(result, base);
      judged.push({
        result,
        ...(s.baseline !== undefined
          ? {
              baseline: s.baseline,
              ratio: ratio(result.median?.rps ?? Number.NaN, base?.median?.rps ?? Number.NaN),
              cpuRatio: ratio(base?.median?.cpuUs ?? Number.NaN, result.median?.cpuUs ?? Number.NaN),
            }
          : {}),
        ...(target !== undefined ? { target } : {}),
      });
    }
  } finally {
    closeLoadWorker();
    for (const r of sharedResources.values()) await (await r.catch(() => undefined))?.stop();
  }
  const elapsedSeconds = (Date.now() - t0) / 1000;
  const loadAfter = loadAverage();

  const machine = machineInfo();
  const times = (q: number | undefined): string => (q === undefined || Number.isNaN(q) ? '-' : `${q.toFixed(2)}x`);
  const rows: ReportRow[] = judged.map(({ result: r, baseline, ratio: q, cpuRatio, target }) => ({
    name: r.name,
    ...(r.median !== undefined ? { rps: r.median.rps, p50: r.median.p50, p99: r.median.p99 } : {}),
    ...(r.median?.cpuUs !== undefined ? { cpuUs: r.median.cpuUs } : {}),
    ...(baseline !== undefined ? { versus: `${times(q)} ${baseline}`, cpuVersus: times(cpuRatio) } : {}),
    ...(otherColumn(r) !== '' ? { other: otherColumn(r) } : {}),
    ...(target !== undefined ? { target: `${target.met ? 'MET' : 'MISSED'}: ${target.text}` } : {}),
  }));
  const out = process.stdout;
  out.write(`\nArca bench (${settings.quick ? 'quick' : 'full'}) ${started.toISOString()}\n`);
  out.write(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}\n`);
  out.write(`load average (1 min) at start ${loadBefore}, at end ${loadAfter}${loadBefore > 1 ? ' (other work was running at start: figures are pessimistic)' : ''}\n`);
  out.write(`${settings.reps} x ${settings.durationSeconds} s per load scenario (medians), 64 connections, load from ${args.load}, ${elapsedSeconds.toFixed(0)} s total\n`);
  out.write(`Arca servers started as: node ${[...recommendedServerFlags(), 'bin/arca server'].join(' ')} (src/server/node-flags.ts)\n\n`);
  out.write(`${renderTable(rows)}\n`);
  for (const { result } of judged) for (const note of result.notes) out.write(`  ${result.name}: ${note}\n`);

  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${stamp}.json`);
  const json = {
    date: started.toISOString(),
    mode: settings.quick ? 'quick' : 'full',
    serverNodeFlags: recommendedServerFlags(),
    elapsedSeconds: round(elapsedSeconds, 1),
    machine,
    loadAverage: { start: loadBefore, end: loadAfter },
    settings,
    loadGenerator: args.load,
    results: judged.map((j) => ({ ...j.result, baseline: j.baseline, ratio: j.ratio, cpuRatio: j.cpuRatio, target: j.target })),
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  out.write(`\nresults: ${file}\n`);
}

/**
 * The shared dev node serves half the scenarios, the first of them right after it starts: give
 * its JIT one read and write load first (quick runs are short enough for compilation to show).
 */
async function warmUp(node: HostedNode, settings: RunSettings): Promise<void> {
  await apiOk(node.url, 'POST', kvDataPath(HOT_KEY), { token: node.token, body: { data: SECRET } });
  const base = { url: node.url, connections: 64, warmupSeconds: 0, durationSeconds: settings.warmupSeconds, maxRequests: settings.maxRequests };
  await runLoad({ ...base, path: kvDataPath('warm/w{i}'), keyCount: 1000, method: 'POST', headers: { 'X-Vault-Token': node.token }, body: KV_WRITE_BODY });
  await runLoad({ ...base, path: kvDataPath(HOT_KEY), method: 'GET', headers: { 'X-Vault-Token': node.token } });
}

/** Memory and non-load measurements, compactly, for the table's last figures column. */
function otherColumn(r: ScenarioResult): string {
  const parts: string[] = [];
  if (r.memory !== undefined) {
    const leases = r.memory.leases !== undefined && r.memory.leases > 0 ? ` + ${r.memory.leases.toLocaleString('en-US')} leases` : '';
    parts.push(`${(r.memory.rssBytes / 2 ** 20).toFixed(0)} MiB RSS, ${r.memory.entries.toLocaleString('en-US')} KV${leases}`);
  }
  for (const m of r.measurements ?? []) parts.push(`${m.name} ${m.value.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${m.unit}`);
  return parts.join('; ');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
