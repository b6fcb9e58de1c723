import type { Datastore } from '@tork/domain';

/**
 * The work queues workers said they consume (their heartbeats), for brokers that cannot list
 * queues by themselves (RabbitMQ without its management API). None before the datastore is open.
 */
export async function workQueuesOfNodes(datastore: Pick<Datastore, 'nodes'> | undefined): Promise<string[]> {
  if (datastore === undefined) return [];
  const nodes = await datastore.nodes.list();
  return [...new Set(nodes.flatMap((node) => Object.keys(node.queues)))].sort();
}
