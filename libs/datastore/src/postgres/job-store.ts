import { sql, type Kysely, type RawBuilder } from 'kysely';
import pg from 'pg';
import {
  TorkError,
  type Job,
  searchWords,
  type JobChange,
  type JobListItem,
  type JobListQuery,
  type JobQuery,
  type JobState,
  type JobStore,
  type Page,
} from '@tork/domain';
import { Batcher } from './batcher.js';
import { selectByIds, updateRows, type RowChange } from './batched-statements.js';
import { MAX_BATCH, page, UNIQUE_VIOLATION } from './page.js';
import { FINISHED_STATES, JOB_FINISHED_AT, JOB_SEARCH_DOCUMENT } from './migrations/0008-search-retention.js';
import type { Database } from './rows/database.js';
import {
  JOB_LIST_COLUMNS,
  jobFromRow,
  jobListItemFromRow,
  jobPatchToRow,
  jobToRow,
  type JobRow,
} from './rows/jobs.js';
import { shapeOf, type ShapedBatchers } from './shapes.js';

export class PgJobStore implements JobStore {
  private readonly inserts: Batcher<Job, undefined>;
  private readonly reads: Batcher<string, JobRow | undefined>;
  private readonly updates: ShapedBatchers<{ id: string } | undefined>;

  constructor(private readonly db: Kysely<Database>) {
    // A batch with a duplicate id fails whole, then each job is inserted on its own: only the
    // duplicate's caller hears of the conflict.
    this.inserts = new Batcher<Job, undefined>(
      async (jobs) => {
        await db
          .with('inserted', (qb) =>
            qb.insertInto('jobs').values(jobs.map(jobToRow)).returning(['id', 'state', 'created_at']),
          )
          .insertInto('job_events')
          .columns(['job_id', 'state', 'at'])
          .expression((eb) => eb.selectFrom('inserted').select(['id', 'state', 'created_at']))
          .execute();
        return jobs.map(() => undefined);
      },
      (job) => job.id,
      MAX_BATCH,
    );
    this.reads = new Batcher(
      (ids) => selectByIds(db, 'jobs', ids),
      (id) => id,
      MAX_BATCH,
    );
    this.updates = new Map();
  }

  async create(job: Job): Promise<void> {
    try {
      await this.inserts.submit(job);
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION)
        throw new TorkError('CONFLICT', `job ${job.id} already exists`, { cause: error });
      throw error;
    }
  }

  async get(id: string): Promise<Job | undefined> {
    const row = await this.reads.submit(id);
    return row === undefined ? undefined : jobFromRow(row);
  }

  async list(query: JobListQuery): Promise<Page<JobListItem>> {
    const where = listFilter(query);
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('jobs')
        .select(JOB_LIST_COLUMNS)
        .select(sql<number>`jsonb_array_length(tasks)`.as('task_count'))
        .where(where)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.db
        .selectFrom('jobs')
        .where(where)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(jobListItemFromRow), query, Number(total.count));
  }

  async find(query: JobQuery): Promise<Job[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where((eb) => eb('state', '=', eb.fn.any(eb.val([...query.states]))))
      .where('created_at', '<=', new Date(query.createdBefore))
      .orderBy('created_at')
      .orderBy('id')
      .limit(query.limit)
      .execute();
    return rows.map(jobFromRow);
  }

  async count(states: readonly JobState[]): Promise<number> {
    const row = await this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where((eb) => eb('state', '=', eb.fn.any(eb.val([...states]))))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  async update(id: string, change: JobChange): Promise<boolean> {
    const values = jobPatchToRow(change.patch);
    const { key, states, columns } = shapeOf(change.from, values);
    let batcher = this.updates.get(key);
    if (batcher === undefined) {
      batcher = new Batcher(
        (changes: readonly RowChange[]) => updateRows(this.db, 'jobs', states, columns, changes, 'id'),
        (rowChange) => rowChange.id,
        MAX_BATCH,
      );
      this.updates.set(key, batcher);
    }
    return (await batcher.submit({ id, values, at: change.at ?? new Date().toISOString() })) !== undefined;
  }

  async vars(jobId: string): Promise<Record<string, string>> {
    const rows = await this.db
      .selectFrom('job_vars')
      .select(['name', 'value'])
      .where('job_id', '=', jobId)
      .execute();
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  }

  async deleteExpired(now: string, limit: number): Promise<number> {
    // Tasks, logs, vars and events go with their job (foreign keys on delete cascade).
    const result = await sql`
      delete from jobs where id in (
        select id from jobs where delete_at <= ${new Date(now)} order by delete_at limit ${limit}
      )`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  async deleteFinished(before: string, limit: number): Promise<number> {
    // The same expression and predicate as jobs_finished_at_idx, so the index finds the batch.
    const result = await sql`
      delete from jobs where id in (
        select id from jobs
        where state in ${FINISHED_STATES} and ${JOB_FINISHED_AT} < ${new Date(before)}
        order by ${JOB_FINISHED_AT} limit ${limit}
      )`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }
}

/** The WHERE of a job list: visibility, text, tags and states. */
function listFilter(query: JobListQuery): RawBuilder<boolean> {
  const { visibleTo } = query;
  // The SQL of isJobVisibleTo: no permissions, the viewer's own job, or a permission naming them.
  const visible =
    visibleTo === undefined || visibleTo.role === 'admin'
      ? sql<boolean>`true`
      : sql<boolean>`(permissions is null
          or created_by ->> 'name' = ${visibleTo.name}
          or permissions @> ${JSON.stringify([{ user: visibleTo.name }])}::jsonb
          or permissions @> ${JSON.stringify([{ role: visibleTo.role }])}::jsonb)`;
  const filters = [visible];
  // The words as the in-memory search sees them, so both datastores find the same jobs.
  const words = searchWords(query.text ?? '');
  if (words.length > 0)
    filters.push(
      sql<boolean>`${JOB_SEARCH_DOCUMENT} @@ plainto_tsquery('simple'::regconfig, ${words.join(' ')})`,
    );
  if (query.tags !== undefined && query.tags.length > 0)
    filters.push(sql<boolean>`tags ?| ${[...query.tags]}::text[]`);
  if (query.states !== undefined && query.states.length > 0)
    filters.push(sql<boolean>`state = any(${[...query.states]}::text[])`);
  if (query.scheduledJobId !== undefined)
    filters.push(sql<boolean>`schedule ->> 'id' = ${query.scheduledJobId}`);
  return sql<boolean>`(${sql.join(filters, sql` and `)})`;
}
