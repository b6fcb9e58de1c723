// The text/event-stream wire format, both directions: the API writes it, the command-line client and
// the benchmarks read it (through the `@tork/coordinator-api/sse` subpath). No imports: clients
// bundle this file alone.

/** One Server-Sent Event: its `event:` name (default `message`) and its `data:` lines joined. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/** One event as the API writes it: `data` as one line of JSON. */
export function formatSseEvent(event: string, id: string | number | undefined, data: unknown): string {
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Splits a Server-Sent Events text stream into events as chunks arrive. Comments (keep-alives) and
 * events without data are dropped; a chunk may end anywhere, even inside a line.
 */
export class SseParser {
  private buffer = '';

  /** The events completed by this chunk. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const event = parseEvent(this.buffer.slice(0, end));
      if (event !== undefined) events.push(event);
      this.buffer = this.buffer.slice(end + 2);
      end = this.buffer.indexOf('\n\n');
    }
    return events;
  }
}

function parseEvent(block: string): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  return id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id };
}
