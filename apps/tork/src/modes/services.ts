import type { Logger } from 'pino';
import type { RunningScheduler } from '@tork/scheduler';
import type { RunningWorker } from '@tork/worker';
import {
  errorMessage,
  isLoopbackHost,
  Keyring,
  type Broker,
  type Datastore,
  type ExposedMetrics,
  type JobSpecPolicy,
  type Metrics,
  type Runtime,
  type RuntimeFeatures,
} from '@tork/domain';
import type { FastifyInstance } from 'fastify';
import type { TorkConfig } from '../config.js';
import { VERSION } from '../version.js';

// Each service is imported only by the modes that run it (see PARTS in run-mode.ts), so that an api
// process does not load the worker, nor a worker Fastify.

/** Starts the REST API on the configured host and port. */
export async function serveApi(
  config: TorkConfig,
  deps: {
    datastore: Datastore;
    broker: Broker;
    logger: Logger;
    metrics: ExposedMetrics;
    draining: () => boolean;
    /** The features of this process's own runtime, when it runs a worker too. */
    features?: RuntimeFeatures;
  },
): Promise<FastifyInstance> {
  const { buildApi } = await import('@tork/coordinator-api');
  const api = await buildApi({
    datastore: deps.datastore,
    broker: deps.broker,
    bodyLimit: config.bodyLimit,
    rateLimit: config.rateLimit,
    requestTimeoutMs: config.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
    ...(config.uiDir === undefined ? {} : { uiDir: config.uiDir }),
    streams: {
      maxStreams: config.maxStreams,
      ...(config.streamTokenSecret === undefined ? {} : { tokenSecret: config.streamTokenSecret }),
    },
    version: VERSION,
    logger: deps.logger.child({ app: 'api' }),
    readiness: () => (deps.draining() ? Promise.reject(new Error('shutting down')) : Promise.resolve()),
    jobSpecPolicy: jobSpecPolicyOf(config, deps.features),
    secretPolicy: config.secretPolicy,
    ...keyringOf(config),
    metrics: deps.metrics,
    auth: {
      metricsPublic: config.metricsPublic,
      staticKeys: config.apiKeys,
      anonymous: config.insecure ? 'any' : isLoopbackHost(config.host) ? 'loopback' : 'never',
    },
  });
  await api.listen({ host: config.host, port: config.port });
  return api;
}

/**
 * What the API refuses beyond the schema: the allowed queues, the workers' policy (the same flags),
 * and, when it knows its workers' runtime (its own, in one process), the fields it cannot honour.
 * No image is needed where the runtime runs none, or where the API is told `-runtime shell`.
 */
export function jobSpecPolicyOf(config: TorkConfig, features: RuntimeFeatures | undefined): JobSpecPolicy {
  return {
    ...(config.allowedQueues === undefined ? {} : { allowedQueues: config.allowedQueues }),
    worker: config.workerPolicy,
    ...(features === undefined ? {} : { features }),
    imagesOptional: features?.images === false || config.runtime === 'shell',
  };
}

export async function runScheduler(
  config: TorkConfig,
  deps: { datastore: Datastore; broker: Broker; logger: Logger; metrics: Metrics },
): Promise<RunningScheduler> {
  const { startScheduler } = await import('@tork/scheduler');
  if (config.webhookSecret === undefined)
    deps.logger.warn(
      {},
      'no -webhook-secret (TORK_WEBHOOK_SECRET): webhook deliveries are sent unsigned, and receivers cannot tell them from forgeries',
    );
  return startScheduler(
    {
      datastore: deps.datastore,
      broker: deps.broker,
      logger: deps.logger.child({ app: 'scheduler' }),
      metrics: deps.metrics,
      ...keyringOf(config),
    },
    {
      sweep: {
        deadAfterMs: config.deadWorkerAfterMs,
        scheduledTimeoutMs: config.scheduledTimeoutMs,
        retentionLogsMs: config.retentionLogsMs,
        retentionJobsMs: config.retentionJobsMs,
      },
      webhooks: {
        ...(config.webhookSecret === undefined ? {} : { secret: config.webhookSecret }),
        allowLinkLocal: config.webhookAllowLinkLocal,
        leaseMs: config.webhookLeaseMs,
      },
    },
  );
}

export async function runWorker(
  config: TorkConfig,
  deps: {
    broker: Broker;
    runtime: Runtime;
    logger: Logger;
    metrics: Metrics;
    labels?: Readonly<Record<string, string>>;
  },
): Promise<RunningWorker> {
  const { startWorker } = await import('@tork/worker');
  await deps.runtime.healthCheck().catch((error: unknown) => {
    deps.logger.warn(
      { err: errorMessage(error) },
      'the runtime is not reachable yet; tasks it gets are handed back until it answers',
    );
  });
  return startWorker(
    {
      broker: deps.broker,
      runtime: deps.runtime,
      logger: deps.logger.child({ app: 'worker' }),
      metrics: deps.metrics,
    },
    {
      queues: config.queues,
      policy: config.workerPolicy,
      ...(deps.labels === undefined ? {} : { labels: deps.labels }),
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      version: VERSION,
      secretPolicy: config.secretPolicy,
      ...keyringOf(config),
      ...(config.testKillOnTaskArrival
        ? {
            // Holds the task, then dies as a crash would, once whatever the process wrote has gone out.
            testOnTaskArrived: () =>
              new Promise<void>(() => {
                setTimeout(() => process.kill(process.pid, 'SIGKILL'), 500);
              }),
          }
        : {}),
      defaultLimits: {
        ...(config.defaultCpusLimit === undefined ? {} : { cpus: config.defaultCpusLimit }),
        ...(config.defaultMemoryLimit === undefined ? {} : { memoryBytes: config.defaultMemoryLimit }),
      },
    },
  );
}

/** The keyring of the configured encryption keys, as an optional field. */
function keyringOf(config: TorkConfig): { keyring?: Keyring } {
  return config.encryptionKeys.length === 0 ? {} : { keyring: new Keyring(config.encryptionKeys) };
}
