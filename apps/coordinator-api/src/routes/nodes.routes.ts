import { Type } from '@sinclair/typebox';
import { nodeStatus, type Datastore } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { NodeView } from '../schemas/nodes.schemas.js';

const listSchema: FastifySchema = {
  summary: 'List workers',
  description: 'Every worker that sent a heartbeat, most recent first.',
  tags: ['nodes'],
  response: { 200: Type.Array(Type.Ref('Node')) },
};

/** GET /nodes. */
export function nodesRoutes(app: FastifyInstance, options: { readonly datastore: Datastore }): Promise<void> {
  app.get('/nodes', { schema: listSchema }, async (): Promise<NodeView[]> => {
    const now = Date.now();
    const nodes = await options.datastore.nodes.list();
    return nodes.map((node) => ({
      ...node,
      status: nodeStatus(node, now),
      taskCount: node.runningTasks,
      cpuPercent: node.cpuPercent ?? 0,
    }));
  });
  return Promise.resolve();
}
