import { describe, expect, it } from 'vitest';
import { noopMetrics, type Metrics } from '@tork/domain';
import { QueueOccupancy } from './queue-occupancy.js';

function gauges(): { metrics: Metrics; running: Map<string, number>; free: Map<string, number> } {
  const running = new Map<string, number>();
  const free = new Map<string, number>();
  return {
    running,
    free,
    metrics: {
      ...noopMetrics,
      setRunningTasks: (queue, value) => {
        running.set(queue, value);
      },
      setFreeSlots: (queue, value) => {
        free.set(queue, value);
      },
    },
  };
}

describe('QueueOccupancy', () => {
  it('reports every queue idle at once, then running tasks and free slots as tasks start and end', () => {
    const { metrics, running, free } = gauges();
    const occupancy = new QueueOccupancy(metrics, { default: 2, gpu: 1 });
    expect(Object.fromEntries(free)).toEqual({ default: 2, gpu: 1 });
    expect(Object.fromEntries(running)).toEqual({ default: 0, gpu: 0 });

    occupancy.started('default');
    occupancy.started('default');
    occupancy.started('gpu');
    expect(Object.fromEntries(running)).toEqual({ default: 2, gpu: 1 });
    expect(Object.fromEntries(free)).toEqual({ default: 0, gpu: 0 });

    occupancy.ended('default');
    expect(running.get('default')).toBe(1);
    expect(free.get('default')).toBe(1);
  });
});
