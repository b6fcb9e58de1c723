import { Cluster, isolatedServices, type IsolatedServices } from './cluster.js';
import { postgresTestDsn, rabbitMqTestUrl } from './services.js';
import { startTork } from './tork-process.js';

/** How an engine under test runs: one process, or api, scheduler and worker over RabbitMQ and PostgreSQL. */
export type EngineMode = 'standalone' | 'distributed';

export const ENGINE_MODES: readonly EngineMode[] = ['standalone', 'distributed'];

/** A running engine, reached through its REST API. */
export interface Engine {
  readonly mode: EngineMode;
  readonly baseUrl: string;
  /** Everything its processes printed, for a failing test's message. */
  output(): string;
  /** Stops every process (SIGTERM, as a deployment does) and removes what it created. */
  stop(): Promise<void>;
}

export interface EngineOptions {
  /** Flags for the process that runs tasks (the standalone one, or the worker). */
  readonly workerFlags?: readonly string[];
  /** Flags for every process. */
  readonly flags?: readonly string[];
}

/**
 * Starts an engine in one of the modes the README documents: `standalone`, or `distributed` (one
 * api, one scheduler and one worker, each its own process, in a database and a vhost of their own).
 */
export async function startEngine(mode: EngineMode, options: EngineOptions = {}): Promise<Engine> {
  const flags = options.flags ?? [];
  if (mode === 'standalone') {
    const tork = await startTork(['-mode', 'standalone', ...flags, ...(options.workerFlags ?? [])]);
    return {
      mode,
      baseUrl: tork.baseUrl,
      output: () => tork.output(),
      stop: async () => {
        await tork.stop();
      },
    };
  }
  const services: IsolatedServices = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
  const cluster = new Cluster(services, {
    api: flags,
    scheduler: flags,
    worker: [...flags, ...(options.workerFlags ?? [])],
  });
  try {
    await cluster.migrate();
    await cluster.start('scheduler');
    await cluster.start('worker');
    const api = await cluster.start('api');
    return {
      mode,
      baseUrl: api.baseUrl,
      output: () => cluster.output(),
      stop: async () => {
        await cluster.stopAll();
        await services.remove();
      },
    };
  } catch (error) {
    await cluster.killAll();
    await services.remove();
    throw error;
  }
}
