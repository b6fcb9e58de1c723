import { describe, expect, it } from 'vitest';
import { httpFloor } from './http-floor.js';
import { smallSizes } from './sizes.fixture.js';

const SIZE = smallSizes(200);

describe('http-floor', () => {
  it('answers every submission and reports what one request cost the client and the server', async () => {
    const { rows, perTask } = await httpFloor(SIZE);
    expect(rows).toHaveLength(1);
    const [entry] = rows;
    expect(entry?.scenario).toBe('http-floor');
    expect(entry?.tasks).toBe(SIZE.jobs);
    expect(entry?.tasksPerSec).toBeGreaterThan(0);
    expect(entry?.p99Ms).toBeGreaterThanOrEqual(entry?.p50Ms ?? 0);
    expect(perTask?.['client and server CPU ms']).toBeGreaterThan(0);
  });
});
