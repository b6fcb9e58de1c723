import { MODES } from './config-flags.js';
import { UsageError } from './flags.js';

/** The modes `tork run MODE` starts (migration has its own word: `tork migration`). */
const RUN_MODES = MODES.filter((mode) => mode !== 'migration');

/**
 * Tork's spelling of the server commands as today's flags: `run standalone …` is
 * `-mode standalone …`, `migration …` is `-mode migration …`; flags alone pass unchanged.
 */
export function serverArgs(argv: readonly string[]): readonly string[] {
  const [first, ...rest] = argv;
  if (first === 'migration') return ['-mode', 'migration', ...rest];
  if (first !== 'run') return argv;
  const [mode, ...flags] = rest;
  const known = RUN_MODES.find((candidate) => candidate === mode);
  if (known === undefined)
    throw new UsageError(`tork run needs a mode: ${RUN_MODES.join(', ')}; got "${mode ?? ''}"`);
  if (flags.some((flag) => /^--?mode(=|$)/.test(flag)))
    throw new UsageError(`tork run ${known} names the mode; -mode cannot be given as well`);
  return ['-mode', known, ...flags];
}
