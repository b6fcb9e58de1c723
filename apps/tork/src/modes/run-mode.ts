import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { RunningScheduler } from '@tork/scheduler';
import type { RunningWorker } from '@tork/worker';
import { errorMessage, type Broker, type Datastore, type Runtime } from '@tork/domain';
import type { Mode, TorkConfig } from '../config.js';
import { closeServer, listeningPort, serveHealth } from '../health-server.js';
import { readInFlight } from '../metrics/in-flight.js';
import { PrometheusMetrics } from '../metrics/prometheus-metrics.js';
import { stopInOrder, type Stop } from '../lifecycle.js';
import { VERSION } from '../version.js';
import { createBroker, createDatastore, createRuntime } from './adapters.js';
import { workQueuesOfNodes } from './known-queues.js';
import { checkBinding } from './binding.js';
import { runScheduler, runWorker, serveApi } from './services.js';

/** Which services each mode runs in its one process. */
const PARTS: Record<Exclude<Mode, 'migration'>, { api: boolean; scheduler: boolean; worker: boolean }> = {
  standalone: { api: true, scheduler: true, worker: true },
  coordinator: { api: true, scheduler: true, worker: false },
  api: { api: true, scheduler: false, worker: false },
  scheduler: { api: false, scheduler: true, worker: false },
  worker: { api: false, scheduler: false, worker: true },
};

/** Why a mode cannot run with the chosen adapters, or undefined when it can. */
export function unsupportedCombination(config: TorkConfig): string | undefined {
  if (config.mode === 'migration') {
    return config.datastore === 'postgres' ? undefined : 'mode migration needs -datastore postgres';
  }
  if (config.mode !== 'standalone' && config.broker === 'inmemory') {
    return `mode ${config.mode} runs beside other processes, which reach it only through a shared broker: add -broker rabbitmq`;
  }
  if ((config.mode === 'api' || config.mode === 'scheduler') && config.datastore === 'inmemory') {
    return `mode ${config.mode} shares its jobs with other processes through a shared datastore: add -datastore postgres (or run -mode coordinator)`;
  }
  return undefined;
}

/** Labels what a standalone engine creates with its port, unique per host among running engines. */
const STANDALONE_LABEL = 'tork.standalone';

/**
 * A standalone engine that was killed leaves containers, volumes and networks behind, and no other
 * worker is there to remove them: the next one started on the same port and Docker host does.
 */
async function removeEarlierLeftovers(runtime: Runtime, port: number, logger: Logger): Promise<void> {
  try {
    const removed = await runtime.removeLeftovers({ [STANDALONE_LABEL]: String(port) });
    if (removed.containers + removed.volumes + removed.networks > 0)
      logger.info({ ...removed }, 'removed what an earlier standalone engine left behind');
  } catch (error) {
    logger.warn(
      { err: errorMessage(error) },
      'could not look for what an earlier standalone engine left behind',
    );
  }
}

/** Starts the services of a mode; resolves to the function that stops them gracefully. */
export async function runMode(
  config: TorkConfig & { mode: Exclude<Mode, 'migration'> },
  logger: Logger,
): Promise<Stop> {
  const parts = PARTS[config.mode];
  if (config.encryptionKeys.length === 0)
    logger.warn(
      {},
      'no encryption key: secret env values are stored in the datastore and sent through the broker as given; set -encryption-key ID:BASE64 or TORK_ENCRYPTION_KEYS (openssl rand -base64 32)',
    );
  let draining = false;
  let datastore: Datastore | undefined;
  let runtime: Runtime | undefined;
  let scheduler: RunningScheduler | undefined;
  let worker: RunningWorker | undefined;
  let api: FastifyInstance | undefined;
  let health: Server | undefined;
  // The API reports what is in flight engine-wide, from the datastore, when it is scraped.
  const metrics = new PrometheusMetrics(
    parts.api
      ? {
          inFlight: () =>
            datastore === undefined ? Promise.reject(new Error('no datastore')) : readInFlight(datastore),
        }
      : {},
  );
  // GET /queues without RabbitMQ's management API lists the queues workers consume, once the datastore is open.
  const broker: Broker = await createBroker(config, logger, metrics, () => workQueuesOfNodes(datastore));

  // In reverse order of start: stop taking requests, drain the worker, then close the adapters.
  const stop: Stop = () =>
    stopInOrder([
      async () => {
        draining = true;
        await api?.close();
        if (health !== undefined) await closeServer(health);
      },
      async () => {
        // Running tasks finish within the drain timeout; then they are stopped and handed back.
        await worker?.stop({ drainTimeoutMs: config.drainTimeoutMs });
      },
      async () => {
        await scheduler?.stop();
      },
      () => broker.close(),
      async () => {
        await datastore?.close();
      },
      async () => {
        await runtime?.close();
      },
    ]);

  try {
    if (parts.api || parts.scheduler) datastore = await createDatastore(config, logger, metrics);
    if (parts.api && datastore !== undefined) await checkBinding(config, datastore, logger);
    if (parts.worker) {
      runtime = await createRuntime(config, logger);
      if (config.mode === 'standalone') await removeEarlierLeftovers(runtime, config.port, logger);
    }
    if (parts.scheduler && datastore !== undefined) {
      scheduler = await runScheduler(config, { datastore, broker, logger, metrics });
    }
    if (parts.worker && runtime !== undefined)
      worker = await runWorker(config, {
        broker,
        runtime,
        logger,
        metrics,
        // What a standalone engine creates carries its port: the next one on this host removes what it left.
        labels: config.mode === 'standalone' ? { [STANDALONE_LABEL]: String(config.port) } : {},
      });
    if (parts.api && datastore !== undefined) {
      const store = datastore;
      api = await serveApi(config, {
        datastore: store,
        broker,
        logger,
        metrics,
        draining: () => draining,
        ...(runtime === undefined ? {} : { features: runtime.features }),
      });
    } else {
      const store = datastore;
      const engine = runtime;
      const runner = worker;
      health = await serveHealth(
        config.healthHost,
        config.healthPorts,
        VERSION,
        {
          readiness: () => (draining ? Promise.reject(new Error('shutting down')) : Promise.resolve()),
          broker: () => broker.healthCheck(),
          ...(store === undefined ? {} : { datastore: () => store.healthCheck() }),
          ...(engine === undefined ? {} : { runtime: () => engine.healthCheck() }),
          // Down while its runtime failed and it takes no tasks, until the runtime answers again.
          ...(runner === undefined ? {} : { worker: () => runner.healthCheck() }),
        },
        logger,
        metrics,
      );
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  logger.info(
    {
      mode: config.mode,
      port: health === undefined ? config.port : listeningPort(health),
      queues: parts.worker ? config.queues : undefined,
    },
    `tork ${VERSION} running in ${config.mode} mode`,
  );
  return stop;
}
