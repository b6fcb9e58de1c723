import { buildApi } from '@tork/coordinator-api';
import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import { DockerRuntime } from '@tork/runtime';
import { startScheduler } from '@tork/scheduler';
import { startWorker } from '@tork/worker';
import { errorMessage } from '@tork/domain';
import type { Logger } from 'pino';
import type { TorkConfig } from '../config.js';
import { stopInOrder, type Stop } from '../lifecycle.js';
import { VERSION } from '../version.js';

/** Everything in one process: API, scheduler and worker over the in-memory broker and datastore. */
export async function runStandalone(config: TorkConfig, logger: Logger): Promise<Stop> {
  const datastore = new InMemoryDatastore();
  const broker = new InMemoryBroker({
    onError: (queue, message, error) => {
      logger.warn({ queue, type: message.type, err: errorMessage(error) }, 'message handler failed');
    },
  });
  const runtime = new DockerRuntime({
    ...(config.dockerHost === undefined ? {} : { host: config.dockerHost }),
    ...(config.tempDir === undefined ? {} : { tempDir: config.tempDir }),
  });
  await runtime.healthCheck().catch((error: unknown) => {
    logger.warn(
      { err: errorMessage(error) },
      'the Docker engine is not reachable yet; tasks will fail until it is',
    );
  });
  const now = (): string => new Date().toISOString();
  const scheduler = await startScheduler({
    datastore,
    broker,
    logger: logger.child({ app: 'scheduler' }),
    now,
  });
  const worker = await startWorker(
    { broker, runtime, logger: logger.child({ app: 'worker' }), now },
    {
      queues: config.queues,
      defaultLimits: {
        ...(config.defaultCpusLimit === undefined ? {} : { cpus: config.defaultCpusLimit }),
        ...(config.defaultMemoryLimit === undefined ? {} : { memoryBytes: config.defaultMemoryLimit }),
      },
    },
  );
  const api = await buildApi({
    datastore,
    broker,
    bodyLimit: config.bodyLimit,
    version: VERSION,
    logger: logger.child({ app: 'api' }),
  });
  const address = await api.listen({ host: config.host, port: config.port });
  logger.info({ address, queues: config.queues }, `tork ${VERSION} running in standalone mode`);
  return () =>
    stopInOrder([
      () => api.close(),
      () => worker.stop({ abort: true }),
      () => scheduler.stop(),
      () => broker.close(),
      () => datastore.close(),
      () => runtime.close(),
    ]);
}
