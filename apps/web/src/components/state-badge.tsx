import type { JobState, TaskState } from '@tork/domain';

/** Every state's tone: one table, so that a new state fails the typecheck until it has a colour. */
const TONES: Record<JobState | TaskState, 'waiting' | 'active' | 'good' | 'bad' | 'muted'> = {
  CREATED: 'waiting',
  PENDING: 'waiting',
  SCHEDULED: 'waiting',
  RUNNING: 'active',
  COMPLETED: 'good',
  FAILED: 'bad',
  CANCELLED: 'muted',
  SKIPPED: 'muted',
};

export function toneOf(state: JobState | TaskState): string {
  return `tone-${TONES[state]}`;
}

export function StateBadge({ state }: { readonly state: JobState | TaskState }) {
  return <span className={`state-badge ${toneOf(state)}`}>{state}</span>;
}
