import { describe, expect, it } from 'vitest';
import { TorkError } from '../errors.js';
import {
  jobOfTick,
  newScheduledJob,
  parseScheduledJob,
  parseScheduledJobText,
  tickBaseline,
  tickJobId,
} from './scheduled-job.js';

const tasks = [{ name: 'say hello', image: 'busybox', run: 'echo hello' }];

function problemsOf(body: unknown): { path: string; message: string }[] {
  try {
    parseScheduledJob(body);
  } catch (error) {
    if (error instanceof TorkError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the body to be refused');
}

describe('parseScheduledJob', () => {
  it('splits the schedule from the job spec', () => {
    const parsed = parseScheduledJob({
      name: 'nightly',
      schedule: { cron: '0 3 * * *', timezone: 'Europe/Paris' },
      tasks,
    });
    expect(parsed.schedule).toEqual({ cron: '0 3 * * *', timezone: 'Europe/Paris' });
    expect(parsed.spec).toMatchObject({ name: 'nightly', tasks });
    expect(parsed.spec).not.toHaveProperty('schedule');
  });

  it('reads YAML', () => {
    const parsed = parseScheduledJobText(
      'name: hourly\nschedule:\n  cron: "0 * * * *"\ntasks:\n  - name: a\n    image: busybox\n',
      'yaml',
    );
    expect(parsed.schedule).toEqual({ cron: '0 * * * *' });
  });

  it('lists the problems of the schedule and of the job together, each by its field', () => {
    const problems = problemsOf({
      schedule: { cron: 'every day', timezone: 'Nowhere/Land', at: 'noon' },
      wait: { timeout: '1m' },
      tasks: [{ name: 'no image' }],
    });
    const paths = problems.map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining(['schedule.cron', 'schedule.timezone', 'schedule.at', 'wait', 'tasks[0].image']),
    );
  });

  it('requires a schedule with a cron', () => {
    expect(problemsOf({ tasks }).map((problem) => problem.path)).toEqual(['schedule']);
    expect(problemsOf({ schedule: {}, tasks }).map((problem) => problem.path)).toEqual(['schedule.cron']);
  });
});

describe('ticks', () => {
  const scheduled = newScheduledJob(
    parseScheduledJob({ name: 'tick', schedule: { cron: '* * * * * *' }, tasks, secrets: { TOKEN: 'x' } }),
    'a'.repeat(32),
    '2024-01-01T00:00:00.000Z',
    { kind: 'key', name: 'ci' },
  );

  it('is ACTIVE from its creation, next fired at its first tick after it', () => {
    expect(scheduled).toMatchObject({
      state: 'ACTIVE',
      activeSince: '2024-01-01T00:00:00.000Z',
      nextFireAt: '2024-01-01T00:00:01.000Z',
    });
  });

  it('creates a PENDING job from the spec, carrying its schedule and creator', () => {
    const job = jobOfTick(scheduled, '2024-01-01T00:00:05.000Z', '2024-01-01T00:00:05.010Z');
    expect(job).toMatchObject({
      id: tickJobId(scheduled.id, '2024-01-01T00:00:05.000Z'),
      name: 'tick',
      state: 'PENDING',
      tasks,
      secrets: { TOKEN: 'x' },
      createdBy: { kind: 'key', name: 'ci' },
      schedule: { id: scheduled.id, cron: '* * * * * *' },
    });
  });

  it('gives one tick one job id, and each tick its own', () => {
    expect(tickJobId('s', '2024-01-01T00:00:05.000Z')).toBe(tickJobId('s', '2024-01-01T00:00:05.000Z'));
    expect(tickJobId('s', '2024-01-01T00:00:05.000Z')).not.toBe(tickJobId('s', '2024-01-01T00:00:06.000Z'));
  });

  it('waits from the later of the last tick and the last resume', () => {
    expect(tickBaseline({ activeSince: '2024-01-01T00:00:00Z', lastFiredAt: '2024-01-01T00:00:09Z' })).toBe(
      '2024-01-01T00:00:09Z',
    );
    expect(tickBaseline({ activeSince: '2024-01-01T00:01:00Z', lastFiredAt: '2024-01-01T00:00:09Z' })).toBe(
      '2024-01-01T00:01:00Z',
    );
    expect(tickBaseline({ activeSince: '2024-01-01T00:01:00Z' })).toBe('2024-01-01T00:01:00Z');
  });
});
