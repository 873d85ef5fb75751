/**
 * Optional CPU profiling of the server processes (`--cpu-prof`): the orchestrator sets a
 * directory once, and every server child is started with Node's --cpu-prof writing there.
 * Load workers are never profiled, so the profile shows only the server's costs.
 */
let profileDir: string | undefined;

export function setProfileDir(dir: string): void {
  profileDir = dir;
}

/** Node flags for a server child: --cpu-prof when profiling is on, else none. */
export function serverExecArgv(): string[] {
  return profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
}
