import { Type, type Static } from '@sinclair/typebox';

/** A worker as `GET /nodes` shows it. */
export const NodeSchema = Type.Object(
  {
    id: Type.String({ description: 'The worker id; its command queue is `x-<id>`.' }),
    hostname: Type.String(),
    status: Type.Unsafe<'UP' | 'OFFLINE'>({
      type: 'string',
      enum: ['UP', 'OFFLINE'],
      description: 'OFFLINE after three missed heartbeats.',
    }),
    queues: Type.Record(Type.String(), Type.Integer(), { description: 'Queue name → concurrency.' }),
    runningTasks: Type.Integer({ description: 'Tasks running at the last heartbeat.' }),
    taskCount: Type.Integer({ description: "Tork's name for runningTasks." }),
    cpuPercent: Type.Number({
      description:
        "The host's CPU use (0-100) over the last heartbeat interval; 0 when the worker sent none.",
    }),
    version: Type.Optional(Type.String({ description: "The worker's engine version." })),
    startedAt: Type.String(),
    lastHeartbeatAt: Type.String(),
  },
  { $id: 'Node' },
);

export type NodeView = Static<typeof NodeSchema>;
