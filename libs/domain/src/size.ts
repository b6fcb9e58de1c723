const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

const SIZE = /^(\d+)([bkmg])?$/i;

/**
 * Parses a memory size: a positive integer followed by `b`, `k`, `m` or `g` (as Docker's
 * `--memory`). A bare number is bytes. Returns undefined when the text is not a size.
 */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = UNIT_BYTES[unit];
  if (factor === undefined || amount <= 0) return undefined;
  return amount * factor;
}

/** Formats bytes with the largest exact unit: 10485760 → `10m`. */
export function formatSize(bytes: number): string {
  for (const unit of ['g', 'm', 'k'] as const) {
    const factor = UNIT_BYTES[unit] ?? 1;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}b`;
}

/**
 * Parses a CPU limit (`.5`, `1.5`, `2`) into a number of CPUs; undefined when not a
 * positive finite number.
 */
export function parseCpus(value: string | number): number | undefined {
  const cpus =
    typeof value === 'number' ? value : /^(\d+(\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isFinite(cpus) && cpus > 0 ? cpus : undefined;
}
