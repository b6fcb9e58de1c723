import type { Logger } from 'pino';
import { InMemoryBroker, RabbitMqBroker } from '@tork/broker';
import { InMemoryDatastore, PostgresDatastore } from '@tork/datastore';
import { errorMessage, type Broker, type Datastore, type Runtime } from '@tork/domain';
import { DockerRuntime, NoopRuntime } from '@tork/runtime';
import type { TorkConfig } from '../config.js';

/** The broker the flags name. */
export async function createBroker(config: TorkConfig, logger: Logger): Promise<Broker> {
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
      });
  }
}

/** The datastore the flags name. */
export function createDatastore(config: TorkConfig, logger: Logger): Datastore {
  switch (config.datastore) {
    case 'inmemory':
      return new InMemoryDatastore();
    case 'postgres':
      return new PostgresDatastore({
        dsn: config.postgresDsn,
        poolSize: config.postgresPoolSize,
        logger: logger.child({ adapter: 'postgres' }),
      });
  }
}

export function createRuntime(config: TorkConfig): Runtime {
  if (config.runtime === 'noop') return new NoopRuntime();
  return new DockerRuntime({
    ...(config.dockerHost === undefined ? {} : { host: config.dockerHost }),
    ...(config.tempDir === undefined ? {} : { tempDir: config.tempDir }),
  });
}
