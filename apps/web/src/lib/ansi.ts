/** A run of text with the SGR attributes it is drawn with. */
export interface AnsiSegment {
  readonly text: string;
  /** CSS class names: `ansi-fg-<n>` (0-15), `ansi-bg-<n>`, `ansi-bold`, `ansi-dim`, `ansi-italic`, `ansi-underline`. */
  readonly classes: readonly string[];
}

interface Style {
  fg?: number;
  bg?: number;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

// ESC [ params final: SGR ends with `m`; other CSI sequences (cursor moves, clears) are dropped.
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const CSI = /\u001b\[([0-9;?]*)([@-~])/g;
// Other escapes a log may hold (OSC titles, charset selection): dropped too.
// eslint-disable-next-line no-control-regex -- as above
const OTHER_ESCAPES = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()][0-9A-Za-z]|\u001b[=>78]/g;

/**
 * Splits terminal output into segments styled by its ANSI SGR codes (the 16 colours, their bright
 * forms, bold, dim, italic, underline, resets); 256-colour and RGB codes are read and ignored.
 */
export function parseAnsi(input: string): AnsiSegment[] {
  const text = input.replace(OTHER_ESCAPES, '');
  const segments: AnsiSegment[] = [];
  let style: Style = {};
  let last = 0;
  const push = (chunk: string) => {
    if (chunk === '') return;
    const classes = classesOf(style);
    const previous = segments.at(-1);
    if (previous !== undefined && previous.classes.join(' ') === classes.join(' '))
      segments[segments.length - 1] = { text: previous.text + chunk, classes };
    else segments.push({ text: chunk, classes });
  };
  for (const match of text.matchAll(CSI)) {
    push(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] === 'm') style = applySgr(style, match[1] ?? '');
  }
  push(text.slice(last));
  return segments;
}

function applySgr(current: Style, params: string): Style {
  const codes = params === '' ? [0] : params.split(';').map((part) => (part === '' ? 0 : Number(part)));
  let style = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? 0;
    if (code === 0) style = {};
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 22) style = { ...style, bold: false, dim: false };
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code === 39) delete style.fg;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 49) delete style.bg;
    else if (code === 38 || code === 48) {
      // 5;n or 2;r;g;b: skip their arguments.
      i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0;
    }
  }
  return style;
}

function classesOf(style: Style): string[] {
  const classes: string[] = [];
  if (style.fg !== undefined) classes.push(`ansi-fg-${style.fg}`);
  if (style.bg !== undefined) classes.push(`ansi-bg-${style.bg}`);
  if (style.bold === true) classes.push('ansi-bold');
  if (style.dim === true) classes.push('ansi-dim');
  if (style.italic === true) classes.push('ansi-italic');
  if (style.underline === true) classes.push('ansi-underline');
  return classes;
}
