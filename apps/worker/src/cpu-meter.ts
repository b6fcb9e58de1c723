import { cpus, type CpuInfo } from 'node:os';

/** What `os.cpus()` says about one core; only its times matter here. */
export type CoreTimes = Pick<CpuInfo, 'times'>;

/**
 * The host's CPU use in percent (0-100, all cores) since the previous call, from the kernel's
 * per-core time counters; the first call measures since the meter was made.
 */
export function cpuMeter(read: () => readonly CoreTimes[] = cpus): () => number {
  let previous = totals(read());
  return () => {
    const current = totals(read());
    const busy = current.busy - previous.busy;
    const all = busy + current.idle - previous.idle;
    previous = current;
    if (all <= 0) return 0;
    return Math.round(Math.min(100, Math.max(0, (busy / all) * 100)) * 10) / 10;
  };
}

function totals(cores: readonly CoreTimes[]): { busy: number; idle: number } {
  let busy = 0;
  let idle = 0;
  for (const { times } of cores) {
    busy += times.user + times.nice + times.sys + times.irq;
    idle += times.idle;
  }
  return { busy, idle };
}
