/** One step of a field path: a key, or an index in a list. */
export type PathSegment = string | number;

/** `tasks[0].env.A` → ['tasks', 0, 'env', 'A']; keys with dots or brackets are not expected in paths. */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[1] !== undefined) segments.push(match[1]);
  }
  return segments;
}

/** Where a problem's field is in the submitted text: its line (1-based), and whether it is the field itself or its nearest parent there. */
export interface FieldLine {
  readonly line: number;
  readonly exact: boolean;
}

/**
 * The line of the field a problem names (`tasks[0].image`) in a job written as YAML (block style)
 * or JSON; a field that is missing is placed at its nearest parent that is there. Undefined when
 * not even its first segment is found (e.g. `body`): the problem is then listed without a line.
 */
export function locateField(text: string, path: string): FieldLine | undefined {
  const lines = text.trimStart().startsWith('{') ? jsonFieldLines(text) : yamlFieldLines(text);
  const segments = parsePath(path);
  for (let length = segments.length; length > 0; length--) {
    const line = lines.get(keyOf(segments.slice(0, length)));
    if (line !== undefined) return { line, exact: length === segments.length };
  }
  return undefined;
}

const keyOf = (segments: readonly PathSegment[]): string => JSON.stringify(segments);

interface YamlFrame {
  readonly indent: number;
  readonly path: PathSegment[];
  readonly item: boolean;
  nextIndex: number;
}

const YAML_KEY = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#'"\-?:,[\]{}][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$/;

/** The line of every key and list item of a YAML text in block style, by its path. */
function yamlFieldLines(text: string): Map<string, number> {
  const found = new Map<string, number>();
  const root: YamlFrame = { indent: -1, path: [], item: false, nextIndex: 0 };
  const stack: YamlFrame[] = [root];
  const top = (): YamlFrame => stack.at(-1) ?? root;
  const record = (path: PathSegment[], line: number) => {
    if (!found.has(keyOf(path))) found.set(keyOf(path), line);
  };
  let blockIndent: number | undefined;
  text.split('\n').forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    const indent = line.length - line.trimStart().length;
    if (blockIndent !== undefined) {
      if (trimmed === '' || indent > blockIndent) return;
      blockIndent = undefined;
    }
    if (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...') return;
    let column = indent;
    let rest = line.slice(indent);
    for (;;) {
      if (rest === '-' || rest.startsWith('- ')) {
        while (top().indent > column || (top().indent === column && top().item)) stack.pop();
        const parent = top();
        const path = [...parent.path, parent.nextIndex++];
        stack.push({ indent: column, path, item: true, nextIndex: 0 });
        record(path, lineNumber);
        const after = rest.slice(1);
        const spaces = after.length - after.trimStart().length;
        column += 1 + spaces;
        rest = after.trimStart();
        if (rest === '') return;
        continue;
      }
      const key = YAML_KEY.exec(rest.replace(/\s+#.*$/, ''));
      if (key === null) return;
      while (top().indent >= column) stack.pop();
      const name = unquote(key[1] ?? '');
      const path = [...top().path, name];
      stack.push({ indent: column, path, item: false, nextIndex: 0 });
      record(path, lineNumber);
      if (/^[|>][-+0-9]*$/.test((key[2] ?? '').trim())) blockIndent = column;
      return;
    }
  });
  return found;
}

function unquote(text: string): string {
  if (text.startsWith('"') && text.endsWith('"')) {
    try {
      return String(JSON.parse(text));
    } catch {
      return text.slice(1, -1);
    }
  }
  return text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1).replace(/''/g, "'") : text;
}

interface JsonFrame {
  readonly kind: 'object' | 'array';
  readonly path: PathSegment[];
  index: number;
  key: string | undefined;
  expectKey: boolean;
}

/** The line of every key and array element of a JSON text, by its path (a tolerant scan, no validation). */
function jsonFieldLines(text: string): Map<string, number> {
  const found = new Map<string, number>();
  const stack: JsonFrame[] = [];
  let line = 1;
  const valuePath = (): PathSegment[] | undefined => {
    const frame = stack.at(-1);
    if (frame === undefined) return [];
    if (frame.kind === 'array') return [...frame.path, frame.index];
    return frame.key === undefined ? undefined : [...frame.path, frame.key];
  };
  const valueStarts = (): PathSegment[] | undefined => {
    const path = valuePath();
    const frame = stack.at(-1);
    if (path !== undefined && frame?.kind === 'array' && !found.has(keyOf(path)))
      found.set(keyOf(path), line);
    return path;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\n') line++;
    else if (char === '{' || char === '[') {
      const path = valueStarts() ?? [];
      stack.push({
        kind: char === '{' ? 'object' : 'array',
        path,
        index: 0,
        key: undefined,
        expectKey: char === '{',
      });
    } else if (char === '}' || char === ']') stack.pop();
    else if (char === ',') {
      const frame = stack.at(-1);
      if (frame?.kind === 'array') frame.index++;
      else if (frame !== undefined) frame.expectKey = true;
    } else if (char === ':') {
      const frame = stack.at(-1);
      if (frame !== undefined) frame.expectKey = false;
    } else if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"' && text[end] !== '\n') end += text[end] === '\\' ? 2 : 1;
      const frame = stack.at(-1);
      if (frame?.kind === 'object' && frame.expectKey) {
        frame.key = unquote(text.slice(i, end + 1));
        const path = [...frame.path, frame.key];
        if (!found.has(keyOf(path))) found.set(keyOf(path), line);
      } else valueStarts();
      i = end;
    } else if (char !== undefined && /[-0-9tfn]/.test(char)) {
      valueStarts();
      while (i + 1 < text.length && /[^,\]}\s]/.test(text[i + 1] ?? '')) i++;
    }
  }
  return found;
}
