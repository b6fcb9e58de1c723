import { describe, expect, it } from 'vitest';
import { parseJobSpec, parseJobSpecText } from './parse.js';
import { oneTask, problemsOf } from './test-helpers.js';

describe('parseJobSpecText: a policy of allowed queues', () => {
  const policy = { allowedQueues: ['default', 'transcoding'] };

  it('accepts the allowed queues, and a task without one when default is allowed', () => {
    const text = 'tasks:\n  - image: a\n    queue: transcoding\n  - image: b\n';

    expect(parseJobSpecText(text, 'yaml', policy).tasks).toHaveLength(2);
  });

  it('rejects any other queue, and a task without one when default is not allowed', () => {
    expect(problemsOf(() => parseJobSpec(oneTask({ queue: 'zzz' }), policy))).toEqual([
      'tasks[0].queue: "zzz" is not one of the allowed queues (default, transcoding)',
    ]);
    expect(problemsOf(() => parseJobSpec(oneTask({}), { allowedQueues: ['gpu'] }))).toEqual([
      'tasks[0].queue: required: the default queue is not among the allowed queues (gpu)',
    ]);
  });
});
