import type { Job, JobState } from './job.js';

/**
 * A job as lists show it: no task definitions, inputs, result, error or context, so a page of jobs
 * stays small and the datastore reads only these columns. (A result or error may hold a secret that
 * only the task definitions let a view mask: the job's own view shows them.)
 */
export type JobListItem = Pick<
  Job,
  | 'id'
  | 'name'
  | 'description'
  | 'tags'
  | 'state'
  | 'parentId'
  | 'position'
  | 'createdAt'
  | 'scheduledAt'
  | 'startedAt'
  | 'completedAt'
  | 'failedAt'
  | 'cancelledAt'
  | 'deleteAt'
  | 'progress'
  | 'createdBy'
  | 'permissions'
  | 'schedule'
> & {
  /** How many top-level tasks the job has. */
  readonly taskCount: number;
};

/** The list item of a job (what a datastore answers from its own columns). */
export function toJobListItem(job: Job): JobListItem {
  const item: Record<keyof JobListItem, unknown> = {
    id: job.id,
    name: job.name,
    description: job.description,
    tags: job.tags,
    state: job.state,
    parentId: job.parentId,
    position: job.position,
    createdAt: job.createdAt,
    scheduledAt: job.scheduledAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    failedAt: job.failedAt,
    cancelledAt: job.cancelledAt,
    deleteAt: job.deleteAt,
    progress: job.progress,
    createdBy: job.createdBy,
    permissions: job.permissions,
    schedule: job.schedule,
    taskCount: job.tasks.length,
  };
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined)) as JobListItem;
}

/** What `GET /jobs?q=` asks for: words every job must contain, and tags of which it needs one. */
export interface JobSearch {
  /** Free text, as typed (the datastore splits it into words). */
  readonly text?: string;
  /** A job matches when it has at least one of them (Tork: array overlap). */
  readonly tags?: readonly string[];
}

/**
 * Splits Tork's query syntax: `tag:x` and `tags:a,b` are tag filters, every other word is free text.
 * `deploy tag:prod tags:eu,us` → text `deploy`, tags `prod`, `eu`, `us`.
 */
export function parseJobSearch(q: string): JobSearch {
  const words: string[] = [];
  const tags: string[] = [];
  for (const part of q.split(/\s+/).filter((word) => word !== '')) {
    if (part.startsWith('tag:')) tags.push(part.slice('tag:'.length));
    else if (part.startsWith('tags:')) tags.push(...part.slice('tags:'.length).split(','));
    else words.push(part);
  }
  const named = tags.filter((tag) => tag !== '');
  return {
    ...(words.length === 0 ? {} : { text: words.join(' ') }),
    ...(named.length === 0 ? {} : { tags: named }),
  };
}

/**
 * The words of a text as the search sees them: lowercased runs of letters and digits. PostgreSQL's
 * `simple` text-search configuration gives the same words for such text, so both datastores agree.
 */
export function searchWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

/** Whether a job matches a search and a state filter: every word of the text, one of the tags, one of the states. */
export function matchesJobSearch(
  job: Pick<Job, 'name' | 'description' | 'state' | 'tags'>,
  search: JobSearch & { readonly states?: readonly JobState[] },
): boolean {
  if (search.states !== undefined && search.states.length > 0 && !search.states.includes(job.state))
    return false;
  if (search.tags !== undefined && search.tags.length > 0) {
    const tags = job.tags ?? [];
    if (!search.tags.some((tag) => tags.includes(tag))) return false;
  }
  const wanted = searchWords(search.text ?? '');
  if (wanted.length === 0) return true;
  const words = new Set(searchWords([job.state, job.name ?? '', job.description ?? ''].join(' ')));
  return wanted.every((word) => words.has(word));
}

/** A finished job's end: the latest of its completion, failure and cancellation times. */
export function jobFinishedAt(
  job: Pick<Job, 'completedAt' | 'failedAt' | 'cancelledAt'>,
): string | undefined {
  const ends = [job.completedAt, job.failedAt, job.cancelledAt].filter((at) => at !== undefined);
  return ends.sort().at(-1);
}

/** The states in which a job has ended for good (unless restarted): what retention deletes. */
export const FINISHED_JOB_STATES: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
