/** Command-line options of `npm run bench -- [--quick] [--cpu-prof] [--only=name,name] [--load=wrk|autocannon]`. */

export interface BenchArgs {
  readonly quick: boolean;
  /** Scenario names to run (their baselines are added); empty = all. */
  readonly only: readonly string[];
  /** Profile every server process with --cpu-prof into bench/results/profiles/. */
  readonly cpuProf: boolean;
  /** The load generator; wrk unless told otherwise. */
  readonly load: 'wrk' | 'autocannon';
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let cpuProf = false;
  let load: BenchArgs['load'] = 'wrk';
  const only: string[] = [];
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--cpu-prof') cpuProf = true;
    else if (arg.startsWith('--only=')) only.push(...arg.slice('--only='.length).split(',').filter((s) => s !== ''));
    else if (arg === '--load=wrk' || arg === '--load=autocannon') load = arg.slice('--load='.length) as BenchArgs['load'];
    else throw new Error(`unknown argument ${JSON.stringify(arg)} (expected --quick, --cpu-prof, --only=name[,name], --load=wrk|autocannon)`);
  }
  return { quick, only, cpuProf, load };
}
