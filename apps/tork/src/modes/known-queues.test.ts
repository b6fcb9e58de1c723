import type { NodeInfo } from '@tork/domain';
import { describe, expect, it } from 'vitest';
import { workQueuesOfNodes } from './known-queues.js';

const AT = '2026-01-01T00:00:00.000Z';

describe('workQueuesOfNodes', () => {
  it("answers every queue a worker's heartbeat named, once each, and none without a datastore", async () => {
    const node = { hostname: 'h', runningTasks: 0, startedAt: AT, lastHeartbeatAt: AT };
    const nodes: NodeInfo[] = [
      { ...node, id: 'n1', queues: { default: 2, gpu: 1 } },
      { ...node, id: 'n2', queues: { default: 4, transcoding: 3 } },
    ];
    const datastore = {
      nodes: {
        upsert: () => Promise.resolve(),
        list: () => Promise.resolve(nodes),
        prune: () => Promise.resolve(0),
      },
    };

    expect(await workQueuesOfNodes(datastore)).toEqual(['default', 'gpu', 'transcoding']);
    expect(await workQueuesOfNodes(undefined)).toEqual([]);
  });
});
