import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { errorMessage } from '@tork/domain';
import { FLAGS, loadConfig, redactConfig, type TorkConfig } from './config.js';
import { usage, UsageError } from './flags.js';
import { createLogger } from './logging.js';
import { stopOnSignals } from './lifecycle.js';
import { runMigration } from './modes/migration.js';
import { runMode, unsupportedCombination } from './modes/run-mode.js';
import { withUiDir } from './ui-dir.js';

async function main(): Promise<void> {
  let config: TorkConfig;
  try {
    config = withUiDir(loadConfig(process.argv.slice(2), process.env), process.argv[1], existsSync);
    const problem = unsupportedCombination(config);
    if (problem !== undefined) throw new UsageError(problem);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = error.message === '';
    (help ? process.stdout : process.stderr).write(
      `${help ? '' : `tork: ${error.message}\n\n`}${usage(FLAGS)}`,
    );
    process.exit(help ? 0 : 2);
  }
  const logger: Logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    secretPolicy: config.secretPolicy,
  });
  logger.debug({ config: redactConfig(config) }, 'configuration');
  for (const warning of config.warnings) logger.warn({}, warning);
  // What each mode runs: PARTS in modes/run-mode.ts. A mode loads the code of its parts only.
  try {
    if (config.mode === 'migration') {
      await runMigration(config, logger);
      process.exit(0);
    }
    const stop = await runMode({ ...config, mode: config.mode }, logger);
    stopOnSignals(logger, stop);
  } catch (error) {
    logger.error({ err: errorMessage(error) }, `tork failed to start in ${config.mode} mode`);
    process.exit(1);
  }
}

await main();
