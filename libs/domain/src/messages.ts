import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { FAILURE_KINDS, type ContainerTaskSpec } from './task.js';

/**
 * The message catalog: what travels on each queue. Each message type has a schema; brokers
 * encode and decode through {@link encodeMessage} and {@link decodeMessage}, so a message that
 * does not fit its schema is refused at the door instead of failing a handler.
 *
 * | queue         | producer          | consumer  | messages                              |
 * |---------------|-------------------|-----------|---------------------------------------|
 * | jobs          | api, scheduler    | scheduler | job.submitted, job.cancel, job.restart|
 * | pending       | scheduler         | scheduler | task.pending                          |
 * | <task queue>  | scheduler         | worker    | task.run                              |
 * | started       | worker            | scheduler | task.started                          |
 * | completed     | worker            | scheduler | task.completed                        |
 * | error         | worker, api purge | scheduler | task.failed                           |
 * | heartbeat     | worker            | scheduler | node.heartbeat                        |
 * | logs          | worker            | scheduler | task.log                              |
 * | progress      | worker            | scheduler | task.progress                         |
 * | x-<worker id> | scheduler         | worker    | task.cancel, node.lost                |
 */

/** The version of the wire format; a process refuses messages of a version it does not know. */
export const MESSAGE_VERSION = 1;

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Timestamp = Type.String({ minLength: 1, maxLength: 40 });

/**
 * On a task's end: its worker sent no `task.started` (the task ended before its start was due to be
 * reported), so this report is its start as well, at `startedAt`.
 */
const IncludesStart = Type.Literal(true);

const StepSchema = Type.Object({
  kind: Type.Union([Type.Literal('pre'), Type.Literal('main'), Type.Literal('post')]),
  index: Type.Integer({ minimum: 0 }),
  name: Type.Optional(Type.String()),
  image: Type.Optional(Type.String()),
  state: Type.Union([Type.Literal('COMPLETED'), Type.Literal('FAILED'), Type.Literal('CANCELLED')]),
  error: Type.Optional(Type.String()),
  startedAt: Timestamp,
  endedAt: Timestamp,
});

const FailureSchema = Type.Object({
  kind: Type.Union(FAILURE_KINDS.map((kind) => Type.Literal(kind))),
  exitCode: Type.Optional(Type.Integer()),
});

const jobMessage = <T extends string>(type: T) => Type.Object({ type: Type.Literal(type), jobId: Id });

export const MESSAGE_SCHEMAS = {
  'job.submitted': jobMessage('job.submitted'),
  'job.cancel': jobMessage('job.cancel'),
  'job.restart': jobMessage('job.restart'),
  'task.pending': Type.Object({ type: Type.Literal('task.pending'), jobId: Id, taskId: Id }),
  'task.run': Type.Object({
    type: Type.Literal('task.run'),
    task: Type.Object({
      id: Id,
      jobId: Id,
      attempt: Type.Integer({ minimum: 1 }),
      queue: Type.String({ minLength: 1 }),
      // The spec was validated at submission; here only its shape matters to the worker.
      spec: Type.Unsafe<ContainerTaskSpec>(
        Type.Object({ image: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: true }),
      ),
      masks: Type.Optional(Type.Array(Type.String())),
    }),
  }),
  'task.started': Type.Object({
    type: Type.Literal('task.started'),
    jobId: Id,
    taskId: Id,
    nodeId: Id,
    /** The task's `timeout`, from which the scheduler keeps a deadline of its own. */
    timeout: Type.Optional(Type.String()),
    at: Timestamp,
  }),
  'task.completed': Type.Object({
    type: Type.Literal('task.completed'),
    jobId: Id,
    taskId: Id,
    nodeId: Id,
    result: Type.String(),
    steps: Type.Optional(Type.Array(StepSchema)),
    /** When the task started: a completion may overtake its start message. */
    startedAt: Type.Optional(Timestamp),
    includesStart: Type.Optional(IncludesStart),
    at: Timestamp,
  }),
  'task.failed': Type.Object({
    type: Type.Literal('task.failed'),
    jobId: Id,
    taskId: Id,
    /** Absent when no worker had the task (an operator purged the queue it waited in). */
    nodeId: Type.Optional(Id),
    error: Type.String(),
    failure: Type.Optional(FailureSchema),
    /** The worker stopped (shut down or died), not the task: the task runs again elsewhere. */
    workerLost: Type.Optional(Type.Boolean()),
    steps: Type.Optional(Type.Array(StepSchema)),
    startedAt: Type.Optional(Timestamp),
    includesStart: Type.Optional(IncludesStart),
    at: Timestamp,
  }),
  'node.heartbeat': Type.Object({
    type: Type.Literal('node.heartbeat'),
    node: Type.Object({
      id: Id,
      hostname: Type.String({ maxLength: 256 }),
      queues: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
      runningTasks: Type.Integer({ minimum: 0 }),
      cpuPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
      version: Type.Optional(Type.String({ maxLength: 64 })),
      startedAt: Timestamp,
      lastHeartbeatAt: Timestamp,
    }),
  }),
  'task.log': Type.Object({
    type: Type.Literal('task.log'),
    jobId: Id,
    taskId: Id,
    entries: Type.Array(
      Type.Object({
        taskId: Id,
        number: Type.Integer({ minimum: 1 }),
        stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
        text: Type.String(),
        at: Timestamp,
      }),
    ),
  }),
  'task.progress': Type.Object({
    type: Type.Literal('task.progress'),
    jobId: Id,
    taskId: Id,
    /** 0-100, as the task wrote it to `$TORK_PROGRESS`. */
    progress: Type.Number({ minimum: 0, maximum: 100 }),
    at: Timestamp,
  }),
  'task.cancel': Type.Object({ type: Type.Literal('task.cancel'), taskId: Id }),
  /** Tells a live worker that another one died, so it removes any container the dead one left running. */
  'node.lost': Type.Object({ type: Type.Literal('node.lost'), nodeId: Id }),
} as const satisfies Record<string, TSchema>;

type Schemas = typeof MESSAGE_SCHEMAS;
export type MessageType = keyof Schemas;
type MessageOf<T extends MessageType> = Static<Schemas[T]>;

export type JobSubmitted = MessageOf<'job.submitted'>;
export type JobCancel = MessageOf<'job.cancel'>;
export type JobRestart = MessageOf<'job.restart'>;
export type TaskPending = MessageOf<'task.pending'>;
export type TaskRunMessage = MessageOf<'task.run'>;
export type TaskStarted = MessageOf<'task.started'>;
export type TaskCompleted = MessageOf<'task.completed'>;
export type TaskFailed = MessageOf<'task.failed'>;
export type NodeHeartbeat = MessageOf<'node.heartbeat'>;
export type TaskLog = MessageOf<'task.log'>;
export type TaskProgress = MessageOf<'task.progress'>;
export type TaskCancel = MessageOf<'task.cancel'>;
export type NodeLost = MessageOf<'node.lost'>;

export type JobsMessage = JobSubmitted | JobCancel | JobRestart;
export type WorkerMessage = TaskStarted | TaskCompleted | TaskFailed;
export type Message = { [T in MessageType]: MessageOf<T> }[MessageType];

const checkers = Object.fromEntries(
  Object.entries(MESSAGE_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
) as { [T in MessageType]: ReturnType<typeof TypeCompiler.Compile<Schemas[T]>> };

/** The bytes a message travels as: JSON with the wire version beside its fields. */
export function encodeMessage(message: Message): Buffer {
  return Buffer.from(JSON.stringify({ v: MESSAGE_VERSION, ...message }));
}

export type Decoded =
  { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly reason: string };

/**
 * The bytes several messages for one queue travel as together (a broker may coalesce messages
 * published at the same moment): a JSON array of what {@link encodeMessage} writes.
 */
export function encodeMessages(messages: readonly Message[]): Buffer {
  return Buffer.from(JSON.stringify(messages.map((message) => ({ v: MESSAGE_VERSION, ...message }))));
}

export type DecodedMany =
  | { readonly ok: true; readonly messages: readonly Message[] }
  | { readonly ok: false; readonly reason: string };

/** Reads one message, or the several of {@link encodeMessages}: all of them, or the first reason one is refused. */
export function decodeMessages(bytes: Buffer | string): DecodedMany {
  const value = parseJson(bytes);
  if (value === NOT_JSON) return { ok: false, reason: 'not JSON' };
  if (!Array.isArray(value)) {
    const one = checkMessage(value);
    return one.ok ? { ok: true, messages: [one.message] } : one;
  }
  if (value.length === 0) return { ok: false, reason: 'an empty list of messages' };
  const messages: Message[] = [];
  for (const [index, item] of value.entries()) {
    const one = checkMessage(item);
    if (!one.ok) return { ok: false, reason: `message ${String(index)}: ${one.reason}` };
    messages.push(one.message);
  }
  return { ok: true, messages };
}

const NOT_JSON = Symbol('not JSON');

function parseJson(bytes: Buffer | string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

/** Reads a message, refusing anything that is not one of the catalog's, of this version, as its schema says. */
export function decodeMessage(bytes: Buffer | string): Decoded {
  const value = parseJson(bytes);
  if (value === NOT_JSON) return { ok: false, reason: 'not JSON' };
  return checkMessage(value);
}

function checkMessage(value: unknown): Decoded {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'not an object' };
  const { v, ...fields } = value as Record<string, unknown>;
  if (v !== MESSAGE_VERSION)
    return { ok: false, reason: `unknown version ${v === undefined ? 'none' : JSON.stringify(v)}` };
  const type = fields['type'];
  if (typeof type !== 'string' || !Object.hasOwn(checkers, type))
    return { ok: false, reason: `unknown type ${String(type)}` };
  const checker = checkers[type as MessageType];
  if (!checker.Check(fields)) {
    const first = checker.Errors(fields).First();
    return {
      ok: false,
      reason: `${type}: ${first === undefined ? 'invalid' : `${first.path || '/'} ${first.message}`}`,
    };
  }
  return { ok: true, message: fields };
}

/**
 * A payload as it may be logged: its shape, with every string replaced by its length, so that a
 * refused message never puts a secret in the logs.
 */
export function maskPayload(bytes: Buffer | string, maxChars = 500): string {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `<${text.length} bytes, not JSON>`;
  }
  const masked = JSON.stringify(value, (key, item: unknown) =>
    typeof item === 'string' && key !== 'type' ? `<${item.length} chars>` : item,
  );
  return masked.length > maxChars ? `${masked.slice(0, maxChars)}…` : masked;
}
