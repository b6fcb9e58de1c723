import { readFileSync } from 'node:fs';

/**
 * Command-line flags as the seed writes them: `-mode standalone`, `--mode=standalone`,
 * repeatable `-queue name:N`. Each flag is declared once here with its help text; parsing
 * yields plain strings that config.ts turns into typed settings.
 */

export interface FlagSpec {
  readonly name: string;
  readonly value: string;
  readonly help: string;
  readonly repeatable?: boolean;
  readonly default?: string;
  /** A switch: `-flag` alone means true; `-flag=false` is accepted too. */
  readonly boolean?: boolean;
  /** An environment variable read when the flag is not given; a repeatable flag's is a comma-separated list. */
  readonly env?: string;
  /** A credential: also read from the file `<env>_FILE` names, and a warning when given on the command line. */
  readonly secret?: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type ParsedFlags = ReadonlyMap<string, readonly string[]>;

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const match = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (match === null) throw new UsageError(`unexpected argument "${arg}"`);
    const name = match[1] ?? '';
    if (name === 'help' || name === 'h') throw new UsageError('');
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`unknown flag "${arg}"`);
    let value = match[2];
    if (spec.boolean === true) {
      value ??= 'true';
      if (value !== 'true' && value !== 'false')
        throw new UsageError(`flag -${name} is a switch: give it alone, or as -${name}=true or =false`);
    } else if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || /^--?[a-z]/.test(next))
        throw new UsageError(`flag -${name} needs a value (${spec.value})`);
      value = next;
      i++;
    }
    const list = values.get(name) ?? [];
    if (list.length > 0 && spec.repeatable !== true)
      throw new UsageError(`flag -${name} given more than once`);
    list.push(value);
    values.set(name, list);
  }
  return values;
}

export type FlagSource = 'argv' | 'env' | 'file';

export interface ResolvedFlags {
  /** Every flag that has a value, from wherever it came; defaults are left to the caller. */
  readonly values: ParsedFlags;
  readonly sources: ReadonlyMap<string, FlagSource>;
  /** One line per secret given on the command line, for the log. */
  readonly warnings: readonly string[];
}

export type ReadFile = (path: string) => string;

/**
 * Each flag's value: from argv, else its environment variable, else (a secret) the file named by
 * `<VAR>_FILE`, trimmed; the caller applies defaults. Precedence: flag, env, file, default.
 */
export function resolveFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  env: NodeJS.ProcessEnv,
  readFile: ReadFile = (path) => readFileSync(path, 'utf8'),
): ResolvedFlags {
  const parsed = parseFlags(argv, specs);
  const values = new Map(parsed);
  const sources = new Map<string, FlagSource>();
  const warnings: string[] = [];
  for (const spec of specs) {
    if (parsed.has(spec.name)) {
      sources.set(spec.name, 'argv');
      if (spec.secret === true)
        warnings.push(
          `-${spec.name} was given on the command line, where other users of this machine can read it (ps, /proc)${spec.env === undefined ? '' : `: use ${spec.env} or ${spec.env}_FILE instead`}`,
        );
      continue;
    }
    if (spec.env === undefined) continue;
    const fromEnv = env[spec.env];
    const fileVar = `${spec.env}_FILE`;
    const path = spec.secret === true ? env[fileVar] : undefined;
    let text: string | undefined;
    let source: FlagSource | undefined;
    if (fromEnv !== undefined && fromEnv.trim() !== '') {
      text = fromEnv;
      source = 'env';
    } else if (path !== undefined && path !== '') {
      text = readSecretFile(readFile, fileVar, path);
      source = 'file';
      if (text.trim() === '') throw new UsageError(`${fileVar} names ${path}, which is empty`);
    }
    if (text === undefined || source === undefined) continue;
    const list = spec.repeatable === true ? splitList(text) : [text.trim()];
    values.set(spec.name, list);
    sources.set(spec.name, source);
  }
  return { values, sources, warnings };
}

function readSecretFile(readFile: ReadFile, variable: string, path: string): string {
  try {
    return readFile(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new UsageError(`${variable} names ${path}, which cannot be read (${code})`);
  }
}

/** A list in an environment variable or file: comma- or newline-separated, blanks dropped. */
function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function usage(specs: readonly FlagSpec[]): string {
  const rows = specs.map((spec) => {
    const left = spec.boolean === true ? `  -${spec.name}` : `  -${spec.name} ${spec.value}`;
    const extra = [
      spec.default === undefined ? '' : ` (default ${spec.default})`,
      spec.repeatable === true ? ' (repeatable)' : '',
      spec.env === undefined ? '' : ` (env ${spec.env}${spec.secret === true ? ` or ${spec.env}_FILE` : ''})`,
    ].join('');
    return `${left.padEnd(34)} ${spec.help}${extra}`;
  });
  return [
    'Usage: tork [flags]',
    '       tork run standalone|coordinator|api|scheduler|worker [flags]',
    '       tork migration [flags]',
    '       tork COMMAND ...   (the client: submit, list, get, logs, ...; see tork help)',
    '',
    'Flags (one or two dashes; "-flag value" or "-flag=value"):',
    ...rows,
    '',
  ].join('\n');
}
