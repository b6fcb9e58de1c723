import { describe, expect, it } from 'vitest';
import { TorkError } from './errors.js';
import { newJob } from './workflow/executions.js';
import { parseJobSpec } from './job-spec/parse.js';
import { isJobVisibleTo, type Permission } from './principal.js';

const tasks = [{ image: 'busybox' }];

function jobWith(permissions?: Permission[]) {
  return newJob(
    parseJobSpec(permissions === undefined ? { tasks } : { tasks, permissions }),
    '2024-01-01T00:00:00.000Z',
    { createdBy: { kind: 'user', name: 'carol' } },
  );
}

function problemsOf(body: unknown): string[] {
  try {
    parseJobSpec(body);
  } catch (error) {
    if (error instanceof TorkError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('isJobVisibleTo', () => {
  it('shows a job without permissions to everyone', () => {
    expect(isJobVisibleTo(jobWith(), { name: 'dave', role: 'user' })).toBe(true);
  });

  it('shows a job with permissions to its creator, admins, and the users and roles named', () => {
    const job = jobWith([{ user: 'erin' }]);
    expect(isJobVisibleTo(job, { name: 'carol', role: 'user' })).toBe(true);
    expect(isJobVisibleTo(job, { name: 'root-key', role: 'admin' })).toBe(true);
    expect(isJobVisibleTo(job, { name: 'erin', role: 'user' })).toBe(true);
    expect(isJobVisibleTo(job, { name: 'dave', role: 'user' })).toBe(false);
    expect(isJobVisibleTo(jobWith([{ role: 'user' }]), { name: 'dave', role: 'user' })).toBe(true);
    expect(isJobVisibleTo(jobWith([{ role: 'admin' }]), { name: 'dave', role: 'user' })).toBe(false);
  });

  it('records who created the job and its permissions', () => {
    expect(jobWith([{ role: 'admin' }, { user: 'erin' }])).toMatchObject({
      createdBy: { kind: 'user', name: 'carol' },
      permissions: [{ role: 'admin' }, { user: 'erin' }],
    });
  });
});

describe('job permissions in the spec', () => {
  it('refuses an unknown role, an entry with both or neither key, an unknown key and an empty list', () => {
    expect(problemsOf({ tasks, permissions: [{ role: 'boss' }] })).toEqual([
      'permissions[0].role: must be one of admin, user',
    ]);
    expect(problemsOf({ tasks, permissions: [{ role: 'user', user: 'erin' }] })).toEqual([
      'permissions[0]: must have only one field',
    ]);
    expect(problemsOf({ tasks, permissions: [{}] })).toEqual([
      'permissions[0]: must have at least 1 field(s)',
    ]);
    expect(problemsOf({ tasks, permissions: [{ group: 'x' }] })).toContain(
      'permissions[0].group: unknown field',
    );
    expect(problemsOf({ tasks, permissions: [] })).toEqual(['permissions: must have at least 1 item(s)']);
    expect(problemsOf({ tasks, permissions: [{ user: '' }] })).toEqual([
      'permissions[0].user: must not be empty',
    ]);
  });
});
