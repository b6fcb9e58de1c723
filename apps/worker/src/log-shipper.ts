import {
  errorMessage,
  QUEUE,
  StreamMasker,
  type Broker,
  type Logger,
  type OutputChunk,
  type TaskLogEntry,
  type TaskRun,
} from '@tork/domain';

export interface LogShipperOptions {
  /** Output kept per task execution; past it one marker entry says what was dropped. */
  readonly maxBytes: number;
  /** Output is sent at most this long after it was written: lines written meanwhile go in the same message. */
  readonly flushDelayMs: number;
  /** Buffered output past this size is sent at once. */
  readonly flushBytes: number;
}

export const DEFAULT_LOG_OPTIONS: LogShipperOptions = {
  maxBytes: 1024 * 1024,
  flushDelayMs: 100,
  flushBytes: 64 * 1024,
};

/**
 * Ships one task execution's output to the `logs` queue: numbered in order, secrets masked
 * before anything leaves the worker (even one split across chunks), bounded in size, batched so
 * a chatty task costs few messages.
 */
export class LogShipper {
  private buffer: TaskLogEntry[] = [];
  private bufferedBytes = 0;
  private shippedBytes = 0;
  private number = 0;
  private truncated = false;
  private sending: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly masker: StreamMasker<OutputChunk['stream']>;

  constructor(
    private readonly broker: Broker,
    private readonly task: TaskRun,
    secrets: readonly string[],
    private readonly logger: Logger,
    private readonly options: LogShipperOptions = DEFAULT_LOG_OPTIONS,
  ) {
    this.masker = new StreamMasker(secrets);
  }

  write(chunk: OutputChunk): void {
    this.append(chunk.stream, this.masker.write(chunk.stream, chunk.text));
  }

  /** Sends what is buffered, and what the masker held back; resolves once everything was sent. */
  async close(): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) this.append(stream, this.masker.end(stream));
    this.flush();
    await this.sending;
  }

  private append(stream: OutputChunk['stream'], text: string): void {
    if (this.truncated || text === '') return;
    const bytes = Buffer.byteLength(text);
    if (this.shippedBytes + this.bufferedBytes + bytes > this.options.maxBytes) {
      this.truncated = true;
      this.push('stderr', `[log truncated: this task's output exceeded ${this.options.maxBytes} bytes]\n`);
      return;
    }
    this.push(stream, text);
    if (this.bufferedBytes >= this.options.flushBytes) this.flush();
  }

  private push(stream: OutputChunk['stream'], text: string): void {
    this.buffer.push({
      taskId: this.task.id,
      number: ++this.number,
      stream,
      text,
      at: new Date().toISOString(),
    });
    this.bufferedBytes += Buffer.byteLength(text);
    // The first entry of a batch starts its clock: a quiet task's line leaves within the delay,
    // a chatty task's lines share one message per delay.
    this.timer ??= setTimeout(() => {
      this.flush();
    }, this.options.flushDelayMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const entries = this.buffer;
    this.shippedBytes += this.bufferedBytes;
    this.buffer = [];
    this.bufferedBytes = 0;
    // One send at a time keeps the entries in order.
    this.sending = this.sending.then(() =>
      this.broker
        .publish(QUEUE.logs, { type: 'task.log', jobId: this.task.jobId, taskId: this.task.id, entries })
        .catch((error: unknown) => {
          this.logger.warn({ err: errorMessage(error) }, 'could not ship task output');
        }),
    );
  }
}
