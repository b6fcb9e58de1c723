import { sql, type Kysely } from 'kysely';
import type {
  JobEvent,
  JobEventStore,
  LogStore,
  NodeInfo,
  NodeStore,
  Page,
  PageQuery,
  TaskLogEntry,
} from '@tork/domain';
import { INSERT_BATCH, page } from './page.js';
import type { Database } from './rows/database.js';
import { eventFromRow } from './rows/job-events.js';
import { nodeFromRow, nodeToRow } from './rows/nodes.js';
import { logFromRow, logToRow } from './rows/task-logs.js';

export class PgLogStore implements LogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(jobId: string, entries: readonly TaskLogEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += INSERT_BATCH) {
      // Each batch is idempotent on its own, so a failed call may simply be repeated.
      await this.db
        .insertInto('task_logs')
        .values(entries.slice(start, start + INSERT_BATCH).map((entry) => logToRow(jobId, entry)))
        .onConflict((oc) => oc.columns(['task_id', 'number']).doNothing())
        .execute();
    }
  }

  async byTask(taskId: string, query: PageQuery): Promise<Page<TaskLogEntry>> {
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('task_logs')
        .selectAll()
        .where('task_id', '=', taskId)
        .orderBy('number')
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.db
        .selectFrom('task_logs')
        .where('task_id', '=', taskId)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(logFromRow), query, Number(total.count));
  }

  async byJob(jobId: string, query: PageQuery): Promise<Page<TaskLogEntry>> {
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('task_logs')
        .selectAll()
        .where('job_id', '=', jobId)
        .orderBy('seq')
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.db
        .selectFrom('task_logs')
        .where('job_id', '=', jobId)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(logFromRow), query, Number(total.count));
  }

  async deleteBefore(before: string, limit: number): Promise<number> {
    const result = await sql`
      delete from task_logs where (task_id, number) in (
        select task_id, number from task_logs where at < ${new Date(before)} order by at limit ${limit}
      )`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }
}

export class PgNodeStore implements NodeStore {
  constructor(private readonly db: Kysely<Database>) {}

  async upsert(node: NodeInfo): Promise<void> {
    await this.db
      .insertInto('nodes')
      .values(nodeToRow(node))
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            hostname: eb.ref('excluded.hostname'),
            queues: eb.ref('excluded.queues'),
            running_tasks: eb.ref('excluded.running_tasks'),
            cpu_percent: eb.ref('excluded.cpu_percent'),
            version: eb.ref('excluded.version'),
            started_at: eb.ref('excluded.started_at'),
            last_heartbeat_at: eb.ref('excluded.last_heartbeat_at'),
          }))
          // An older heartbeat, delivered late, must not replace a newer one.
          .where('nodes.last_heartbeat_at', '<=', (eb) => eb.ref('excluded.last_heartbeat_at')),
      )
      .execute();
  }

  async list(query: { readonly heartbeatSince?: string } = {}): Promise<NodeInfo[]> {
    const { heartbeatSince } = query;
    const rows = await this.db
      .selectFrom('nodes')
      .selectAll()
      .$if(heartbeatSince !== undefined, (qb) =>
        qb.where((eb) =>
          eb.or([eb('last_heartbeat_at', '>=', new Date(heartbeatSince ?? 0)), eb.exists(holdsRunningTask)]),
        ),
      )
      .orderBy('last_heartbeat_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(nodeFromRow);
  }

  async prune(silentBefore: string): Promise<number> {
    const result = await this.db
      .deleteFrom('nodes')
      .where('last_heartbeat_at', '<', new Date(silentBefore))
      .where((eb) => eb.not(eb.exists(holdsRunningTask)))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** A RUNNING task of the worker in the outer query (tasks_active_node_idx answers it). */
const holdsRunningTask = sql`(select 1 from tasks where tasks.state = 'RUNNING' and tasks.node_id = nodes.id)`;

export class PgJobEventStore implements JobEventStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(jobId: string, query: { readonly after?: number; readonly limit: number }): Promise<JobEvent[]> {
    const rows = await this.db
      .selectFrom('job_events')
      .selectAll()
      .where('job_id', '=', jobId)
      .where('seq', '>', String(query.after ?? 0) as never)
      .orderBy('seq')
      .limit(query.limit)
      .execute();
    return rows.map(eventFromRow);
  }

  async since(after: number, limit: number): Promise<JobEvent[]> {
    const rows = await this.db
      .selectFrom('job_events')
      .selectAll()
      .where('seq', '>', String(after) as never)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }
}
