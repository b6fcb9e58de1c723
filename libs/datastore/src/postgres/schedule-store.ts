import { sql, type Kysely, type RawBuilder } from 'kysely';
import pg from 'pg';
import {
  TorkError,
  type Job,
  type JobViewer,
  type Page,
  type PageQuery,
  type ScheduledJob,
  type ScheduledJobState,
  type ScheduleStore,
} from '@tork/domain';
import { page, UNIQUE_VIOLATION } from './page.js';
import type { Database } from './rows/database.js';
import { jobToRow } from './rows/jobs.js';
import { scheduledJobFromRow, scheduledJobToRow } from './rows/scheduled-jobs.js';

export class PgScheduleStore implements ScheduleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(scheduled: ScheduledJob): Promise<void> {
    try {
      await this.db.insertInto('scheduled_jobs').values(scheduledJobToRow(scheduled)).execute();
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION)
        throw new TorkError('CONFLICT', `scheduled job ${scheduled.id} already exists`, { cause: error });
      throw error;
    }
  }

  async get(id: string): Promise<ScheduledJob | undefined> {
    const row = await this.db
      .selectFrom('scheduled_jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : scheduledJobFromRow(row);
  }

  async list(query: PageQuery & { readonly visibleTo?: JobViewer }): Promise<Page<ScheduledJob>> {
    const where = visibleTo(query.visibleTo);
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('scheduled_jobs')
        .selectAll()
        .where(where)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.db
        .selectFrom('scheduled_jobs')
        .where(where)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(scheduledJobFromRow), query, Number(total.count));
  }

  async due(now: string, limit: number): Promise<ScheduledJob[]> {
    const rows = await this.db
      .selectFrom('scheduled_jobs')
      .selectAll()
      .where('state', '=', 'ACTIVE')
      .where('next_fire_at', '<=', new Date(now))
      .orderBy('next_fire_at')
      .limit(limit)
      .execute();
    return rows.map(scheduledJobFromRow);
  }

  async nextFireAfter(after: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('scheduled_jobs')
      .select('next_fire_at')
      .where('state', '=', 'ACTIVE')
      .where('next_fire_at', '>', new Date(after))
      .orderBy('next_fire_at')
      .limit(1)
      .executeTakeFirst();
    return row?.next_fire_at?.toISOString();
  }

  async setState(id: string, from: ScheduledJobState, to: ScheduledJobState, at: string): Promise<boolean> {
    const updated = await this.db
      .updateTable('scheduled_jobs')
      .set({ state: to, ...(to === 'ACTIVE' ? { active_since: at, next_fire_at: at } : {}) })
      .where('id', '=', id)
      .where('state', '=', from)
      .returning('id')
      .executeTakeFirst();
    return updated !== undefined;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('scheduled_jobs').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  fire(id: string, fireAt: string, job: Job, nextFireAt: string | undefined): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The claim: a concurrent claim of the same tick waits on the row, then finds it fired.
      const claimed = await trx
        .updateTable('scheduled_jobs')
        .set({ last_fired_at: fireAt, next_fire_at: nextFireAt ?? null })
        .where('id', '=', id)
        .where('state', '=', 'ACTIVE')
        .where((eb) => eb.or([eb('last_fired_at', 'is', null), eb('last_fired_at', '<', new Date(fireAt))]))
        .returning('id')
        .executeTakeFirst();
      if (claimed === undefined) return false;
      // The tick's job id is derived from the tick: one that exists already fired before.
      const result = await trx
        .with('inserted', (qb) =>
          qb
            .insertInto('jobs')
            .values(jobToRow(job))
            .onConflict((oc) => oc.column('id').doNothing())
            .returning(['id', 'state', 'created_at']),
        )
        .insertInto('job_events')
        .columns(['job_id', 'state', 'at'])
        .expression((eb) => eb.selectFrom('inserted').select(['id', 'state', 'created_at']))
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    });
  }

  async advance(id: string, from: string, to: string | undefined): Promise<boolean> {
    const moved = await this.db
      .updateTable('scheduled_jobs')
      .set({ next_fire_at: to ?? null })
      .where('id', '=', id)
      .where('state', '=', 'ACTIVE')
      .where('next_fire_at', '=', new Date(from))
      .returning('id')
      .executeTakeFirst();
    return moved !== undefined;
  }
}

/** The SQL of isJobVisibleTo over a scheduled job's creator and its spec's permissions. */
function visibleTo(viewer: JobViewer | undefined): RawBuilder<boolean> {
  if (viewer === undefined || viewer.role === 'admin') return sql<boolean>`true`;
  return sql<boolean>`(spec -> 'permissions' is null
    or created_by ->> 'name' = ${viewer.name}
    or spec -> 'permissions' @> ${JSON.stringify([{ user: viewer.name }])}::jsonb
    or spec -> 'permissions' @> ${JSON.stringify([{ role: viewer.role }])}::jsonb)`;
}
