import { describe, expect, it } from 'vitest';
import { decodeMessage, decodeMessages, encodeMessage, encodeMessages, type Message } from './messages.js';

const submitted: Message = { type: 'job.submitted', jobId: 'j1' };
const completed: Message = {
  type: 'task.completed',
  jobId: 'j1',
  taskId: 't1',
  nodeId: 'n1',
  result: 'hi',
  startedAt: '2026-01-01T00:00:00.000Z',
  includesStart: true,
  at: '2026-01-01T00:00:00.010Z',
};

describe('the message catalog on the wire', () => {
  it('reads back one message, and several written together, each as it was', () => {
    expect(decodeMessage(encodeMessage(completed))).toEqual({ ok: true, message: completed });
    expect(decodeMessages(encodeMessage(submitted))).toEqual({ ok: true, messages: [submitted] });
    expect(decodeMessages(encodeMessages([submitted, completed]))).toEqual({
      ok: true,
      messages: [submitted, completed],
    });
  });

  it('refuses a list with any message of another version or shape, saying which, and an empty list', () => {
    const wrong = JSON.stringify([
      { v: 1, ...submitted },
      { v: 1, type: 'job.submitted' },
    ]);
    const refused = decodeMessages(wrong);
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.reason).toMatch(/^message 1: job.submitted/);
    expect(decodeMessages(JSON.stringify([{ v: 2, ...submitted }]))).toEqual({
      ok: false,
      reason: 'message 0: unknown version 2',
    });
    expect(decodeMessages('[]')).toEqual({ ok: false, reason: 'an empty list of messages' });
    expect(decodeMessages('{')).toEqual({ ok: false, reason: 'not JSON' });
    // A single message never reads as a list.
    expect(decodeMessage(encodeMessages([submitted]))).toEqual({ ok: false, reason: 'not an object' });
  });

  it('refuses includesStart other than true', () => {
    const body = JSON.stringify({ v: 1, ...completed, includesStart: false });
    expect(decodeMessage(body)).toMatchObject({ ok: false });
  });
});
