/** The machine facts a result is meaningless without. */
import { cpus, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
  readonly totalMemoryBytes: number;
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
