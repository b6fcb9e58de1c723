import { request, type IncomingMessage } from 'node:http';
import { SseParser } from './sse-format.js';

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
      const parser = new SseParser();
      const events: ReceivedEvent[] = [];
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const { event, id, data } of parser.push(chunk))
          events.push({ event, id, data: JSON.parse(data) as unknown });
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
