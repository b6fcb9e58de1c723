import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED, redactUrlPasswords, type SecretPolicy } from '@tork/domain';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  readonly level: string;
  readonly format: LogFormat;
  /** Which field names hold secrets (the engine's `-secret-key-patterns`). */
  readonly secretPolicy: SecretPolicy;
  /** Where lines go; standard output by default. */
  readonly destination?: { write(line: string): unknown };
}

/** Fields known to carry credentials wherever they appear; pino replaces them before serializing. */
const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'registry.password',
  '*.registry.password',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'config.apiKeys',
  'config.encryptionKeys',
];

const MAX_DEPTH = 8;

/** The process logger: pino JSON (or one line per entry), secrets masked in fields and messages. */
export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stdout;
  const destination: DestinationStream =
    options.format === 'pretty'
      ? { write: (line: string) => out.write(prettyLine(line)) }
      : { write: (line) => out.write(line) };
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: {
        log: (fields) => maskSecrets(fields, options.secretPolicy, 0) as Record<string, unknown>,
      },
      hooks: {
        // Messages are text built by the engine; an address with its password may be in one.
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg: unknown) =>
              typeof arg === 'string' ? redactUrlPasswords(arg) : arg,
            ) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

/**
 * A copy of `value` in which every field whose name the policy calls secret (`PASSWORD`, `TOKEN`,
 * an env's `API_KEY`, ...) is replaced by {@link REDACTED} and URL passwords in text are masked.
 */
export function maskSecrets(value: unknown, policy: SecretPolicy, depth: number): unknown {
  if (typeof value === 'string') return redactUrlPasswords(value);
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, policy, depth + 1));
  // Errors and other class instances keep their serializers; only plain data is rewritten.
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      policy.isSecretKey(key) && field !== undefined && field !== null
        ? REDACTED
        : maskSecrets(field, policy, depth + 1),
    ]),
  );
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** `12:00:01.234 INFO  message key=value ...` from one pino JSON line; pino-pretty is not a dependency. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry['time'] === 'number' ? new Date(entry['time']).toISOString().slice(11, 23) : '';
  const level = (LEVELS[Number(entry['level'])] ?? String(entry['level'])).padEnd(5);
  const message = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${[time, level, message, ...fields].filter((part) => part !== '').join(' ')}\n`;
}
