import { ENDED_TASK_STATES, type Execution, type Job, type LogEntry } from './api-types.js';
import type { FollowSink } from './job-follower.js';
import { renderJobView, taskName, type JobView, type LogLine } from './job-view.js';
import { splitLines } from './plain-view.js';
import type { Screen } from './screen.js';

const TAIL = 50;

/** The watch on a terminal: the job's tree, redrawn in place as it changes. */
export class LiveView implements FollowSink {
  private view: JobView;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly screen: Screen,
    job: Job,
    private readonly color: boolean,
  ) {
    this.view = { job, executions: [], subjobTasks: new Map(), logTail: [] };
    // Durations of running tasks move on between changes.
    this.ticker = setInterval(() => {
      this.draw();
    }, 1_000);
  }

  snapshot(
    job: Job,
    executions: ReadonlyMap<string, Execution>,
    subjobTasks: ReadonlyMap<string, readonly Execution[]>,
  ): void {
    this.view = {
      ...this.view,
      job,
      executions: [...executions.values()],
      subjobTasks: new Map(subjobTasks),
    };
    this.draw();
  }

  state(): void {
    // A state change is followed by a snapshot, which draws.
  }

  log(entry: LogEntry, execution: Execution | undefined): void {
    const task = execution === undefined ? (entry.taskId ?? '') : taskName(execution);
    const lines: LogLine[] = splitLines(entry.text).map((text) => ({
      taskId: entry.taskId ?? '',
      task,
      text,
    }));
    this.view = { ...this.view, logTail: [...this.view.logTail, ...lines].slice(-TAIL) };
    this.draw();
  }

  /** The last frame, with the logs of tasks still running only while the job runs. */
  close(): void {
    clearInterval(this.ticker);
    this.draw();
    this.screen.close();
  }

  private draw(): void {
    this.screen.update(() => {
      const { width, height } = this.screen.size;
      const running = new Set(
        this.view.executions.filter((e) => !ENDED_TASK_STATES.includes(e.state)).map((e) => e.id),
      );
      // The tail of the running tasks' logs; once the job ended, the last lines it wrote.
      const ended = !['PENDING', 'SCHEDULED', 'RUNNING'].includes(this.view.job.state);
      const logTail = ended
        ? this.view.logTail
        : this.view.logTail.filter((line) => running.has(line.taskId));
      return renderJobView({ ...this.view, logTail }, Date.now(), {
        width,
        height: height - 1,
        color: this.color,
      });
    });
  }
}
