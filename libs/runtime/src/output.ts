import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { OutputChunk } from '@tork/domain';
import type { OutputCollector } from './output-collector.js';

/** Demultiplexes the attach stream into the collector; resolves when the stream ends. */
export function drainInto(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  collector: OutputCollector,
): Promise<void> {
  const sink = (name: OutputChunk['stream']): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        collector.write(name, chunk);
        callback();
      },
    });
  return new Promise<void>((resolve) => {
    // Errors end the output too: the exit code and inspect decide the outcome, not the log stream.
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => {
      resolve();
    });
    docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));
  });
}
