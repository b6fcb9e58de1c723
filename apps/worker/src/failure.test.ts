import { RuntimeError } from '@tork/domain';
import { expect, it } from 'vitest';
import { failureOf } from './failure.js';
import { TaskAbort } from './task-abort.js';

const exited = (exitCode: number, oomKilled = false) => ({
  outcome: { exitCode, oomKilled, result: '', tail: '' },
});

it.each([
  ['a non-zero exit', exited(3), { kind: 'exit', exitCode: 3 }],
  ['a kill for memory', exited(137, true), { kind: 'oom', exitCode: 137 }],
  ['its timeout', { error: new TaskAbort('timeout', 'timed out') }, { kind: 'timeout' }],
  ['a cancel', { error: new TaskAbort('cancelled', 'cancelled') }, { kind: 'cancelled' }],
  ["the worker's shutdown", { error: new TaskAbort('shutdown', 'bye') }, { kind: 'worker-lost' }],
  ["the worker's refusal", { error: new TaskAbort('rejected', 'no') }, { kind: 'rejected' }],
  ['a missing image', { error: new RuntimeError('image', 'not found') }, { kind: 'image' }],
  ['a field the runtime refuses', { error: new RuntimeError('rejected', 'no GPU') }, { kind: 'rejected' }],
  ['an engine outage', { error: new RuntimeError('runtime', 'connect ECONNREFUSED') }, { kind: 'runtime' }],
  [
    'a sidecar that never answered its probe',
    { error: new RuntimeError('timeout', 'sidecar "db" did not answer 200 on :5432/ within 30s') },
    { kind: 'timeout' },
  ],
  ['a runtime breaking its contract', { error: new Error('boom') }, { kind: 'runtime' }],
] as const)('a task ended by %s fails with %j', (_, ending, failure) => {
  expect(failureOf(ending)).toEqual(failure);
});
