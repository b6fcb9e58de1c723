import { pino, type Logger } from 'pino';
import { errorMessage } from '@tork/domain';
import { FLAGS, loadConfig, redactConfig, type TorkConfig } from './config.js';
import { usage, UsageError } from './flags.js';
import { stopOnSignals, type Stop } from './lifecycle.js';
import { runStandalone } from './modes/standalone.js';

async function main(): Promise<void> {
  let config: TorkConfig;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = error.message === '';
    (help ? process.stdout : process.stderr).write(
      `${help ? '' : `tork: ${error.message}\n\n`}${usage(FLAGS)}`,
    );
    process.exit(help ? 0 : 2);
  }
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  logger.debug({ config: redactConfig(config) }, 'configuration');
  try {
    const stop = await start(config, logger);
    stopOnSignals(logger, stop);
  } catch (error) {
    logger.error({ err: errorMessage(error) }, `tork failed to start in ${config.mode} mode`);
    process.exit(1);
  }
}

function start(config: TorkConfig, logger: Logger): Promise<Stop> {
  switch (config.mode) {
    case 'standalone':
      if (config.broker !== 'inmemory' || config.datastore !== 'inmemory') {
        throw new Error(
          'standalone mode with -broker rabbitmq or -datastore postgres is not available in this build',
        );
      }
      return runStandalone(config, logger);
    case 'coordinator':
    case 'api':
    case 'scheduler':
    case 'worker':
    case 'migration':
      throw new Error(
        `mode ${config.mode} needs -broker rabbitmq and -datastore postgres, which are not available in this build`,
      );
  }
}

await main();
