/** sys/host-info: the host's CPUs, CPU times, root disk, identity and memory, in Vault's field names. */
import { statfs } from 'node:fs/promises';
import * as os from 'node:os';
import { formatTime } from '../framework/time-format.js';

async function disk(path: string): Promise<Record<string, unknown>[]> {
  try {
    const s = await statfs(path);
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    const used = total - s.bfree * s.bsize;
    return [
      {
        path,
        fstype: '',
        total,
        free,
        used,
        usedPercent: total === 0 ? 0 : (used / total) * 100,
        inodesTotal: s.files,
        inodesUsed: s.files - s.ffree,
        inodesFree: s.ffree,
        inodesUsedPercent: s.files === 0 ? 0 : ((s.files - s.ffree) / s.files) * 100,
      },
    ];
  } catch {
    return [];
  }
}

export async function hostInfo(nowMs: number): Promise<Record<string, unknown>> {
  const cpus = os.cpus();
  const total = os.totalmem();
  const free = os.freemem();
  const uptime = Math.floor(os.uptime());
  return {
    cpu: cpus.map((c, i) => ({
      cpu: i,
      vendorId: '',
      family: '',
      model: '',
      stepping: 0,
      physicalId: '',
      coreId: String(i),
      cores: 1,
      modelName: c.model,
      mhz: c.speed,
      cacheSize: 0,
      flags: [],
      microcode: '',
    })),
    // Vault reports seconds; node gives milliseconds.
    cpu_times: cpus.map((c, i) => ({
      cpu: `cpu${i}`,
      user: c.times.user / 1000,
      system: c.times.sys / 1000,
      idle: c.times.idle / 1000,
      nice: c.times.nice / 1000,
      iowait: 0,
      irq: c.times.irq / 1000,
      softirq: 0,
      steal: 0,
      guest: 0,
      guestNice: 0,
    })),
    disk: await disk('/'),
    host: {
      hostname: os.hostname(),
      uptime,
      bootTime: Math.floor(nowMs / 1000) - uptime,
      procs: 0,
      os: os.platform(),
      platform: os.type(),
      platformFamily: '',
      platformVersion: os.release(),
      kernelVersion: os.release(),
      kernelArch: os.arch(),
      virtualizationSystem: '',
      virtualizationRole: '',
      hostid: '',
    },
    memory: { total, available: free, used: total - free, usedPercent: total === 0 ? 0 : ((total - free) / total) * 100, free },
    timestamp: formatTime(nowMs),
  };
}
