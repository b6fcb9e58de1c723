import { describe, expect, it } from 'vitest';
import type { Execution, Job } from './api-types.js';
import { renderJobView } from './job-view.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

const JOB: Job = { id: 'j1', name: 'squares', state: 'RUNNING', progress: 33, startedAt: at(0) };
const EXECUTIONS: Execution[] = [
  { id: 'a', position: 1, name: 'prepare', state: 'COMPLETED', startedAt: at(0), completedAt: at(1.5) },
  {
    id: 'b',
    position: 2,
    kind: 'each',
    name: 'square',
    state: 'RUNNING',
    startedAt: at(2),
    childCount: 4,
    childCounts: { COMPLETED: 1, RUNNING: 2, CREATED: 1 },
  },
  {
    id: 'b1',
    parentId: 'b',
    position: 1,
    name: 'square',
    item: { index: '0', value: 1 },
    state: 'COMPLETED',
    startedAt: at(2),
    completedAt: at(4),
  },
  {
    id: 'b2',
    parentId: 'b',
    position: 2,
    name: 'square',
    item: { index: '1', value: 2 },
    state: 'RUNNING',
    startedAt: at(3),
    progress: 40,
  },
  { id: 'b2-old', parentId: 'b', position: 2, attempt: 0, name: 'square', state: 'FAILED' },
  {
    id: 'b3',
    parentId: 'b',
    position: 3,
    name: 'square',
    item: { index: '2', value: 3 },
    state: 'RUNNING',
    startedAt: at(3),
  },
  { id: 'b4', parentId: 'b', position: 4, name: 'square', item: { index: '3', value: 4 }, state: 'CREATED' },
  { id: 'c', position: 3, kind: 'subjob', name: 'child job', state: 'PENDING', subjobId: 'j2' },
];

describe('renderJobView', () => {
  const options = { width: 100, height: 40, color: false };

  it('draws the tree: children nested, each state, durations, an each with done/total and a bar', () => {
    const b2 = { ...EXECUTIONS[3]!, attempt: 1 };
    const lines = renderJobView(
      {
        job: JOB,
        executions: EXECUTIONS.map((e) => (e.id === 'b2' ? b2 : e)),
        subjobTasks: new Map(),
        logTail: [],
      },
      T0 + 6_000,
      options,
    );
    expect(lines[0]).toBe('Job squares j1  RUNNING  6.0s  [###.......] 33%');
    expect(lines.slice(2)).toEqual([
      '  prepare                   COMPLETED     1.5s',
      '  square                    RUNNING       4.0s  [###.......] 1/4',
      '    square #0               COMPLETED     2.0s',
      '    square #1               RUNNING       3.0s  [####......] 40%',
      '    square #2               RUNNING       3.0s',
      '    square #3               CREATED',
      '  child job                 PENDING',
    ]);
  });

  it("nests a subjob's own tasks, and shows the tail of the logs", () => {
    const lines = renderJobView(
      {
        job: JOB,
        executions: [EXECUTIONS[7]!],
        subjobTasks: new Map([['j2', [{ id: 's1', position: 1, name: 'inner', state: 'RUNNING' }]]]),
        logTail: [{ taskId: 's1', task: 'inner', text: 'working' }],
      },
      T0,
      options,
    );
    expect(lines.slice(2)).toEqual([
      '  child job                 PENDING             [..........] 0/1',
      '    inner                   RUNNING',
      '',
      'Logs:',
      '  inner | working',
    ]);
  });

  it('fits the terminal: lines cut to its width, the frame to its height; colours only when asked', () => {
    const view = { job: JOB, executions: EXECUTIONS, subjobTasks: new Map(), logTail: [] };
    const narrow = renderJobView(view, T0, { width: 20, height: 3, color: false });
    expect(narrow).toHaveLength(3);
    expect(narrow.every((line) => line.length <= 20)).toBe(true);
    expect(renderJobView(view, T0, options).join('\n')).not.toContain('\x1b');
    expect(renderJobView(view, T0, { ...options, color: true })[0]).toContain('\x1b[36mRUNNING\x1b[0m');
  });
});
