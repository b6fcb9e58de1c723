import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { RequestBody } from './api-client.js';
import { CliError, EXIT } from './exit-codes.js';

export type SpecFormat = 'json' | 'yaml';

/** A `key=value` of `--input`: the key is everything before the first `=`. */
export function parseInput(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new CliError(`--input "${text}" is not KEY=VALUE`, EXIT.usage);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** JSON for a `.json` file or a text that starts with `{`; YAML otherwise (YAML reads JSON too). */
export function formatOf(source: string, text: string): SpecFormat {
  if (/\.json$/i.test(source)) return 'json';
  if (/\.ya?ml$/i.test(source)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** Reads FILE, or standard input for `-`; an unreadable file is a usage error. */
export function readSpec(source: string, readStdin: () => string): string {
  try {
    return source === '-' ? readStdin() : readFileSync(source, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`cannot read ${source === '-' ? 'standard input' : source}: ${reason}`, EXIT.usage);
  }
}

/**
 * The body to send: the file as it is (YAML as text/yaml, JSON as application/json), or, with
 * `--input` overrides, the document parsed, its `inputs` merged, and written again in its format.
 */
export function specBody(
  source: string,
  text: string,
  inputs: readonly (readonly [string, string])[],
): RequestBody {
  const format = formatOf(source, text);
  const contentType = format === 'json' ? 'application/json' : 'text/yaml';
  if (inputs.length === 0) return { text, contentType };
  const document = parseDocument(source, format, text);
  const given = document['inputs'];
  const merged = {
    ...(typeof given === 'object' && given !== null ? given : {}),
    ...Object.fromEntries(inputs),
  };
  const updated = { ...document, inputs: merged };
  return {
    contentType,
    text: format === 'json' ? JSON.stringify(updated) : yaml.dump(updated, { lineWidth: -1 }),
  };
}

function parseDocument(source: string, format: SpecFormat, text: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = format === 'json' ? JSON.parse(text) : yaml.load(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${source}: not valid ${format.toUpperCase()}: ${reason ?? ''}`, EXIT.usage);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new CliError(`${source}: a job spec must be a mapping (name, tasks, ...)`, EXIT.usage);
  return document as Record<string, unknown>;
}
