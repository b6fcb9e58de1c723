import { describe, expect, it } from 'vitest';
import { cpuMeter, type CoreTimes } from './cpu-meter.js';

const core = (busy: number, idle: number): CoreTimes => ({
  times: { user: busy, nice: 0, sys: 0, irq: 0, idle },
});

describe('cpuMeter', () => {
  it("reports the host's CPU use over each interval, across every core", () => {
    const samples: CoreTimes[][] = [
      [core(0, 0), core(0, 0)],
      // One core fully busy, the other idle: half the host.
      [core(1000, 0), core(0, 1000)],
      // Both busy for a quarter of the next interval.
      [core(1250, 750), core(250, 1750)],
    ];
    let index = 0;
    const measure = cpuMeter(() => samples[index++] ?? []);
    expect(measure()).toBe(50);
    expect(measure()).toBe(25);
  });

  it('reports 0 when no time passed', () => {
    const measure = cpuMeter(() => [core(10, 10)]);
    expect(measure()).toBe(0);
  });
});
