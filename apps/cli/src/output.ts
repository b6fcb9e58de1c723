import yaml from 'js-yaml';
import { CliError, EXIT } from './exit-codes.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(text: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((candidate) => candidate === text);
  if (format === undefined)
    throw new CliError(`-o must be one of ${OUTPUT_FORMATS.join(', ')}; got "${text}"`, EXIT.usage);
  return format;
}

/** The API's body as it is, for scripts. */
export function formatBody(body: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(body, null, 2)}\n` : yaml.dump(body, { lineWidth: -1 });
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** A duration as people read it: 0.4s, 12s, 1m03s, 2h05m. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** `[#####.....]` for a share from 0 to 1. */
export function progressBar(share: number, width = 10): string {
  const filled = Math.round(Math.min(1, Math.max(0, share)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
