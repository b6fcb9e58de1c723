import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Execution } from './api-types.js';
import { PlainView } from './plain-view.js';

const SAY: Execution = { id: 't1', name: 'say hello', state: 'RUNNING' };
const NEXT: Execution = { id: 't2', name: 'next', state: 'RUNNING' };

describe('PlainView', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("prints a task's output before its end, even when the output is stored a moment after the end", () => {
    let out = '';
    const view = new PlainView((text) => (out += text));
    view.state({ jobId: 'j', state: 'RUNNING' }, undefined);
    view.state({ jobId: 'j', taskId: 't1', state: 'RUNNING' }, SAY);
    view.log({ taskId: 't1', text: 'first\n' }, SAY);
    view.state({ jobId: 'j', taskId: 't1', state: 'COMPLETED' }, { ...SAY, state: 'COMPLETED' });
    view.state({ jobId: 'j', taskId: 't2', state: 'RUNNING' }, NEXT);
    view.log({ taskId: 't1', text: 'last\n' }, SAY);
    vi.advanceTimersByTime(1_000);
    view.state({ jobId: 'j', state: 'COMPLETED' }, undefined);
    view.close();
    const lines = out
      .trimEnd()
      .split('\n')
      .map((line) => line.slice(9));
    expect(lines).toEqual([
      'job RUNNING',
      'task say hello RUNNING',
      'say hello | first',
      'say hello | last',
      'task say hello COMPLETED',
      'task next RUNNING',
      'job COMPLETED',
    ]);
    expect(out).not.toContain('\x1b');
  });

  it("never prints a task's output before its start, and says why a task failed", () => {
    let out = '';
    const view = new PlainView((text) => (out += text));
    view.state(
      { jobId: 'j', taskId: 't1', state: 'FAILED' },
      { ...SAY, state: 'FAILED', error: 'exit code 3\nmore' },
    );
    view.state({ jobId: 'j', taskId: 't2', state: 'RUNNING' }, NEXT);
    view.log({ taskId: 't2', text: 'a\nb\n' }, NEXT);
    view.close();
    expect(
      out
        .trimEnd()
        .split('\n')
        .map((line) => line.slice(9)),
    ).toEqual(['task say hello FAILED: exit code 3', 'task next RUNNING', 'next | a', 'next | b']);
  });
});
