import { describe, expect, it } from 'vitest';
import { parseJobSpec } from '../job-spec/parse.js';
import { newExecution, newJob } from './executions.js';
import { sealSecrets } from './seal-secrets.js';

const NOW = '2024-01-01T12:00:00.000Z';

function taskOf(task: unknown) {
  const job = newJob(parseJobSpec({ secrets: { token: 'tok-123' }, tasks: [task] }), NOW);
  const spec = job.tasks[0];
  if (spec === undefined) throw new Error('no task');
  return newExecution({
    job,
    index: 0,
    spec,
    context: { inputs: {}, secrets: { token: 'tok-123' }, tasks: {} },
    now: NOW,
  });
}

describe('sealSecrets', () => {
  it('encrypts an env value holding a secret when there is a key, and leaves the others', () => {
    const task = taskOf({ image: 'busybox', env: { AUTH_HEADER: 'Bearer {{ secrets.token }}', PLAIN: 'x' } });
    const sealed = sealSecrets(task, ['tok-123'], (value) => `enc(${value})`);
    expect(sealed.spec.env).toEqual({ AUTH_HEADER: 'enc(Bearer tok-123)', PLAIN: 'x' });
    expect(sealed.masks).toBeUndefined();
  });

  it('lists the secrets to mask when there is no key', () => {
    const task = taskOf({ image: 'busybox', env: { H: 'Bearer {{ secrets.token }}' } });
    const sealed = sealSecrets(task, ['tok-123']);
    expect(sealed.spec.env).toEqual({ H: 'Bearer tok-123' });
    expect(sealed.masks).toEqual(['tok-123']);
  });

  it('fails a task that would show a secret in its name or image, naming the field, never the value', () => {
    const sealed = sealSecrets(taskOf({ name: 'run {{ secrets.token }}', image: 'busybox' }), ['tok-123']);
    expect(sealed).toMatchObject({ state: 'FAILED', failure: { kind: 'rejected' } });
    expect(sealed.error).toContain('in name');
    expect(sealed.error).not.toContain('tok-123');
  });
});

describe('sealSecrets: cmd', () => {
  it('fails a task whose cmd (evaluated, then shown) would hold a secret, naming the argument', () => {
    const sealed = sealSecrets(
      taskOf({ image: 'busybox', cmd: ['curl', '-H', 'Bearer {{ secrets.token }}'] }),
      ['tok-123'],
    );

    expect(sealed).toMatchObject({ state: 'FAILED', failure: { kind: 'rejected' } });
    expect(sealed.error).toContain('in cmd[2]');
    expect(sealed.error).not.toContain('tok-123');
  });
});
