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

export function usage(specs: readonly FlagSpec[]): string {
  const rows = specs.map((spec) => {
    const left = spec.boolean === true ? `  -${spec.name}` : `  -${spec.name} ${spec.value}`;
    const extra = [
      spec.default === undefined ? '' : ` (default ${spec.default})`,
      spec.repeatable === true ? ' (repeatable)' : '',
    ].join('');
    return `${left.padEnd(34)} ${spec.help}${extra}`;
  });
  return [
    'Usage: tork [flags]',
    '',
    'Flags (one or two dashes; "-flag value" or "-flag=value"):',
    ...rows,
    '',
  ].join('\n');
}
