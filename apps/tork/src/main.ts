import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { errorMessage } from '@tork/domain';
import { FLAGS, loadConfig, redactConfig, type TorkConfig } from './config.js';
import { usage, UsageError } from './flags.js';
import { createLogger } from './logging.js';
import { stopInOrder, stopOnSignals, type Stop } from './lifecycle.js';
import { runMigration } from './modes/migration.js';
import { runMode, unsupportedCombination } from './modes/run-mode.js';
import { serverArgs } from './server-command.js';
import { startTracing } from './tracing.js';
import { withUiDir } from './ui-dir.js';

async function main(): Promise<void> {
  let config: TorkConfig;
  try {
    config = withUiDir(
      loadConfig(serverArgs(process.argv.slice(2)), process.env),
      process.argv[1],
      existsSync,
    );
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
  let stopTracing: Stop | undefined;
  try {
    if (config.mode === 'migration') {
      await runMigration(config, logger);
      process.exit(0);
    }
    // Before the mode starts, so that its first spans are exported; flushed after it stopped.
    if (config.tracing !== undefined) stopTracing = await startTracing(config.tracing, logger);
    const stop = await runMode({ ...config, mode: config.mode }, logger);
    const tracing = stopTracing;
    stopOnSignals(logger, tracing === undefined ? stop : () => stopInOrder([stop, tracing]));
  } catch (error) {
    logger.error({ err: errorMessage(error) }, `tork failed to start in ${config.mode} mode`);
    await stopTracing?.().catch(() => undefined);
    process.exit(1);
  }
}

await main();
