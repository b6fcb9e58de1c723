import { describe, expect, it } from 'vitest';
import { errorOf } from './api-client.js';
import { EXIT, exitCodeOfJobState, exitCodeOfStatus } from './exit-codes.js';

describe('exit codes', () => {
  it('are 0, 1 and 3 for a completed, failed and cancelled job', () => {
    expect(exitCodeOfJobState('COMPLETED')).toBe(0);
    expect(exitCodeOfJobState('FAILED')).toBe(1);
    expect(exitCodeOfJobState('CANCELLED')).toBe(3);
  });

  it('are 2 for what the API refuses as bad input, 4 when it cannot serve', () => {
    for (const status of [400, 404, 409, 413, 415]) expect(exitCodeOfStatus(status)).toBe(EXIT.usage);
    for (const status of [401, 403, 408, 429, 500, 502, 503])
      expect(exitCodeOfStatus(status)).toBe(EXIT.unavailable);
  });

  it("read the API's 400 body: every problem with its field path", () => {
    const error = errorOf(
      400,
      JSON.stringify({
        error: 'invalid job: tasks[0].image: required; tasks[1].timeout: bad',
        problems: [
          { path: 'tasks[0].image', message: 'required' },
          { path: 'tasks[1].timeout', message: 'bad' },
        ],
      }),
    );
    expect(error.message).toBe('HTTP 400: invalid job');
    expect(error.exitCode).toBe(2);
    expect(error.problems).toEqual([
      { path: 'tasks[0].image', message: 'required' },
      { path: 'tasks[1].timeout', message: 'bad' },
    ]);
  });

  it('quote a body that is not JSON (a proxy page) and keep its status', () => {
    const error = errorOf(502, '<html>Bad gateway</html>');
    expect(error.message).toBe('HTTP 502: <html>Bad gateway</html>');
    expect(error.exitCode).toBe(4);
  });
});
