import type { Logger } from 'pino';
import { errorMessage, type Broker, type Datastore, type Metrics, type Runtime } from '@tork/domain';
import type { DatabaseSystem } from '@tork/datastore';
import type { DatastoreKind, TorkConfig } from '../config.js';

// Each adapter library is imported only when a mode asks for one of its adapters, so that a process
// loads the drivers it uses and no others: a worker no pg or kysely, an api or a scheduler no dockerode.

/**
 * The broker the flags name; `knownQueues` are work queues to list where RabbitMQ's management API
 * is not configured. With tracing on, messages carry the trace context in their headers.
 */
export async function createBroker(
  config: TorkConfig,
  logger: Logger,
  metrics: Metrics,
  knownQueues?: () => Promise<readonly string[]>,
): Promise<Broker> {
  const { TraceContextBroker } = await import('@tork/broker');
  const broker = await connectBroker(config, logger, metrics, knownQueues);
  return config.tracing === undefined ? broker : new TraceContextBroker(broker);
}

async function connectBroker(
  config: TorkConfig,
  logger: Logger,
  metrics: Metrics,
  knownQueues?: () => Promise<readonly string[]>,
): Promise<Broker> {
  const { InMemoryBroker, RabbitMqBroker } = await import('@tork/broker');
  switch (config.broker) {
    case 'inmemory':
      return new InMemoryBroker({
        onError: (queue, message, error) => {
          logger.warn({ queue, type: message.type, err: errorMessage(error) }, 'message handler failed');
        },
      });
    case 'rabbitmq':
      return RabbitMqBroker.connect({
        url: config.rabbitmqUrl,
        logger: logger.child({ adapter: 'rabbitmq' }),
        connectionName: `tork-${config.mode}`,
        ...(config.rabbitmqManagementUrl === undefined
          ? {}
          : { managementUrl: config.rabbitmqManagementUrl }),
        ...(knownQueues === undefined ? {} : { knownQueues }),
        metrics,
      });
  }
}

/** The datastore the flags name. With tracing on, its calls made inside a span get spans of their own. */
export async function createDatastore(
  config: TorkConfig,
  logger: Logger,
  metrics: Metrics,
): Promise<Datastore> {
  const { TracingDatastore } = await import('@tork/datastore');
  const datastore = await connectDatastore(config, logger, metrics);
  if (config.tracing === undefined) return datastore;
  return new TracingDatastore(datastore, DATABASE_SYSTEM[config.datastore]);
}

/** The `db.system` of each datastore's spans. */
const DATABASE_SYSTEM: Record<DatastoreKind, DatabaseSystem> = { inmemory: 'memory', postgres: 'postgresql' };

async function connectDatastore(
  config: TorkConfig,
  logger: Logger,
  metrics: Metrics,
): Promise<Datastore> {
  const { InMemoryDatastore, PostgresDatastore } = await import('@tork/datastore');
  switch (config.datastore) {
    case 'inmemory':
      return new InMemoryDatastore({ maxFinishedJobs: config.inMemoryMaxJobs });
    case 'postgres':
      return new PostgresDatastore({
        dsn: config.postgresDsn,
        poolSize: config.postgresPoolSize,
        logger: logger.child({ adapter: 'postgres' }),
        metrics,
      });
  }
}

/**
 * The runtime the flags name. `logger` receives what the runtime cannot report to a task: containers,
 * volumes or networks it failed to remove, pulls. With tracing on, its calls made inside a span (a
 * task's run) get spans of their own.
 */
export async function createRuntime(config: TorkConfig, logger: Logger): Promise<Runtime> {
  const { TracingRuntime } = await import('@tork/runtime');
  const runtime = await connectRuntime(config, logger);
  return config.tracing === undefined ? runtime : new TracingRuntime(runtime, config.runtime);
}

async function connectRuntime(config: TorkConfig, logger: Logger): Promise<Runtime> {
  const { DockerRuntime, NoopRuntime, ShellRuntime } = await import('@tork/runtime');
  switch (config.runtime) {
    case 'noop':
      return new NoopRuntime();
    case 'shell': {
      const log = logger.child({ adapter: 'shell' });
      return new ShellRuntime({
        ...(config.shell.uid === undefined ? {} : { uid: config.shell.uid }),
        ...(config.shell.gid === undefined ? {} : { gid: config.shell.gid }),
        ...(config.tempDir === undefined ? {} : { tempDir: config.tempDir }),
        logger: (msg) => {
          log.warn({}, msg);
        },
      });
    }
    case 'docker': {
      const { container } = config;
      return new DockerRuntime({
        ...(config.dockerHost === undefined ? {} : { host: config.dockerHost }),
        ...(config.tempDir === undefined ? {} : { tempDir: config.tempDir }),
        ...(container.defaultNetwork === undefined ? {} : { defaultNetwork: container.defaultNetwork }),
        pidsLimit: container.pidsLimit,
        capAdd: container.capAdd,
        privileged: container.privileged,
        readOnlyRootfs: container.readOnlyRootfs,
        probeImage: container.probeImage,
        pullPolicy: container.pullPolicy,
        logger: logger.child({ adapter: 'docker' }),
      });
    }
  }
}
