/** The machine facts a result is meaningless without. */
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
  readonly totalMemoryBytes: number;
}

/**
 * 1-minute load average: other work on a 2-core machine (a parallel build or test run) skews
 * every figure, so each run records how busy the machine was when it started and ended.
 */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    totalMemoryBytes: totalmem(),
  };
}
