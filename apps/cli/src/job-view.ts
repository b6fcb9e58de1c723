import { ENDED_TASK_STATES, type Execution, type Job } from './api-types.js';
import { formatDuration, progressBar } from './output.js';
import { buildTaskTree, childProgress, type TaskNode } from './task-tree.js';

/** What the live view of a job shows; the watcher keeps it, the renderer draws it. */
export interface JobView {
  readonly job: Job;
  readonly executions: readonly Execution[];
  /** A subjob's own job's executions, by that job's id. */
  readonly subjobTasks: ReadonlyMap<string, readonly Execution[]>;
  /** The last log lines, with the name of the task that wrote each. */
  readonly logTail: readonly LogLine[];
}

export interface LogLine {
  readonly taskId: string;
  readonly task: string;
  readonly text: string;
}

export interface RenderOptions {
  /** Columns of the terminal: a longer line is cut (a wrapped line would break the redraw). */
  readonly width: number;
  /** Rows the view may use. */
  readonly height: number;
  /** ANSI colours for states. */
  readonly color: boolean;
}

const COLORS: Readonly<Record<string, string>> = {
  COMPLETED: '32',
  FAILED: '31',
  CANCELLED: '33',
  RUNNING: '36',
  SKIPPED: '90',
};
const NAME_WIDTH = 28;
const LOG_LINES = 6;
/** Children of one composite shown at most; the rest are counted. */
const MAX_CHILDREN = 12;

/** The lines of the live view of a job at time `now` (pure: the same view gives the same lines). */
export function renderJobView(view: JobView, now: number, options: RenderOptions): string[] {
  const { job } = view;
  const paint = (state: string): string => {
    const code = COLORS[state];
    return options.color && code !== undefined ? `\x1b[${code}m${state}\x1b[0m` : state;
  };
  const share = (job.progress ?? 0) / 100;
  const header = [
    `Job ${job.name ?? ''} ${job.id}`.trimEnd(),
    paint(job.state),
    duration(job, now),
    `${progressBar(share)} ${Math.round(share * 100)}%`,
  ].join('  ');
  const lines: string[] = [header, ''];
  const tree = buildTaskTree(view.executions, view.subjobTasks);
  const draw = (node: TaskNode, depth: number): void => {
    lines.push(taskLine(node, depth, now, paint));
    const shown = visibleChildren(node.children);
    for (const child of shown) draw(child, depth + 1);
    const hidden = node.children.length - shown.length;
    if (hidden > 0) lines.push(`${'  '.repeat(depth + 2)}… ${hidden} more`);
  };
  for (const node of tree) draw(node, 0);
  if (view.logTail.length > 0) {
    lines.push('', 'Logs:');
    for (const line of view.logTail.slice(-LOG_LINES)) lines.push(`  ${line.task} | ${line.text}`);
  }
  return lines.slice(0, Math.max(1, options.height)).map((line) => cut(line, options.width));
}

function taskLine(node: TaskNode, depth: number, now: number, paint: (state: string) => string): string {
  const { execution } = node;
  const name = `${'  '.repeat(depth + 1)}${taskName(execution)}`;
  const padding = ' '.repeat(Math.max(1, NAME_WIDTH - name.length));
  const state = paint(execution.state) + ' '.repeat(Math.max(1, 10 - execution.state.length));
  const parts = [`${name}${padding}${state}`, duration(execution, now).padStart(6)];
  const children = childProgress(node);
  if (children !== undefined && children.total > 0)
    parts.push(`${progressBar(children.done / children.total)} ${children.done}/${children.total}`);
  else if (execution.progress !== undefined && execution.state === 'RUNNING')
    parts.push(`${progressBar(execution.progress / 100)} ${Math.round(execution.progress)}%`);
  return parts.join('  ').trimEnd();
}

/** A task's name as the views show it: an each item by its index. */
export function taskName(execution: Execution): string {
  const name = execution.name ?? execution.kind ?? 'task';
  return execution.item === undefined ? name : `${name} #${execution.item.index}`;
}

/** Running and failed children first, then the rest in order, at most {@link MAX_CHILDREN}. */
function visibleChildren(children: readonly TaskNode[]): readonly TaskNode[] {
  if (children.length <= MAX_CHILDREN) return children;
  const important = children.filter(
    (child) => !['COMPLETED', 'SKIPPED', 'CREATED', 'PENDING'].includes(child.execution.state),
  );
  const rest = children.filter((child) => !important.includes(child));
  const chosen = new Set([...important, ...rest].slice(0, MAX_CHILDREN));
  return children.filter((child) => chosen.has(child));
}

/** From start to end (or to `now` while it runs); blank before it started. */
function duration(
  timed: Pick<Execution, 'state' | 'startedAt' | 'completedAt' | 'failedAt' | 'cancelledAt'>,
  now: number,
): string {
  if (timed.startedAt === undefined) return '';
  const ended = timed.completedAt ?? timed.failedAt ?? timed.cancelledAt;
  const end =
    ended === undefined ? (ENDED_TASK_STATES.includes(timed.state) ? undefined : now) : Date.parse(ended);
  return end === undefined ? '' : formatDuration(end - Date.parse(timed.startedAt));
}

/** Cuts a line to `width` visible columns, keeping its colour codes whole. */
function cut(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= width) break;
    out += line[i] ?? '';
    visible++;
  }
  return out.includes('\x1b') && !out.endsWith('\x1b[0m') ? `${out}\x1b[0m` : out;
}
