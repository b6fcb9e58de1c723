import { request, type IncomingMessage } from 'node:http';

/** One event as a client parses it. */
export interface ReceivedEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: unknown;
}

/** Test support: a Server-Sent Events client over real HTTP that records what it was sent. */
export interface SseClient {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly events: ReceivedEvent[];
  /** Everything received, comments included. */
  text(): string;
  /** Resolves when the server ended the response. */
  readonly ended: Promise<void>;
  close(): void;
}

export function openSse(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let text = '';
      let buffer = '';
      const events: ReceivedEvent[] = [];
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let at = buffer.indexOf('\n\n');
        while (at >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n'))
            if (!line.startsWith(':')) {
              const colon = line.indexOf(': ');
              if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
            }
          const data = fields.get('data');
          if (data !== undefined)
            events.push({
              event: fields.get('event') ?? 'message',
              id: fields.get('id'),
              data: JSON.parse(data),
            });
          at = buffer.indexOf('\n\n');
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        text: () => text,
        ended,
        close: () => {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
