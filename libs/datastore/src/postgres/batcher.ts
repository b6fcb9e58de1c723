/**
 * Group commit for one statement shape: while a batch is in flight, the calls that arrive wait and
 * then go together as the next batch, one statement for all. An idle store sends a call at once
 * (no added latency); a busy one sends one statement per round trip instead of one per call.
 *
 * A batch holds each key (a row id) at most once, so a statement never changes the same row twice;
 * a later call for a key already in the batch waits for the next one, keeping the callers' order.
 * When a batch of several fails, each call is tried again on its own: one bad row fails only its
 * own caller.
 */
export class Batcher<In, Out> {
  private readonly waiting: Entry<In, Out>[] = [];
  /** A batch is lingering or in flight: calls that come now wait for the next one. */
  private busy = false;
  /** The flush running now, for drain() to wait on. */
  private flushing: Promise<void> | undefined;

  private lingering: NodeJS.Timeout | undefined;

  /**
   * @param execute runs one batch; answers with one output per input, in the inputs' order.
   * @param keyOf the row a call changes; calls with one key never share a batch.
   * @param lingerMs how long an idle batcher holds a first call for others to join it: 0 (the
   *   default) sends it at once; more suits a statement whose callers do not wait for it.
   */
  constructor(
    private readonly execute: (inputs: readonly In[]) => Promise<readonly Out[]>,
    private readonly keyOf: (input: In) => string,
    private readonly maxSize: number,
    private readonly lingerMs = 0,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (this.busy) return;
      this.busy = true;
      if (this.lingerMs === 0) this.startFlush();
      else
        this.lingering = setTimeout(() => {
          this.startFlush();
        }, this.lingerMs);
    });
  }

  /** Sends what lingers now, and resolves once nothing is waiting or in flight (before a close). */
  async drain(): Promise<void> {
    if (this.lingering !== undefined) {
      clearTimeout(this.lingering);
      this.startFlush();
    }
    while (this.flushing !== undefined) await this.flushing;
  }

  private startFlush(): void {
    this.lingering = undefined;
    const flushing = this.flush();
    this.flushing = flushing;
    void flushing.finally(() => {
      if (this.flushing === flushing) this.flushing = undefined;
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) await this.runBatch(this.takeBatch());
    } finally {
      // In the same turn as the loop's last check: a call that comes after it starts a new flush.
      this.busy = false;
    }
  }

  /** The oldest waiting calls, at most one per key and `maxSize` in all; the rest keep waiting. */
  private takeBatch(): Entry<In, Out>[] {
    const batch: Entry<In, Out>[] = [];
    const keys = new Set<string>();
    let index = 0;
    while (index < this.waiting.length && batch.length < this.maxSize) {
      const entry = this.waiting[index] as Entry<In, Out>;
      const key = this.keyOf(entry.input);
      if (keys.has(key)) {
        index += 1;
        continue;
      }
      keys.add(key);
      batch.push(entry);
      this.waiting.splice(index, 1);
    }
    return batch;
  }

  private async runBatch(batch: readonly Entry<In, Out>[]): Promise<void> {
    try {
      settle(batch, await this.execute(batch.map((entry) => entry.input)));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      await Promise.all(
        batch.map(async (entry) => {
          try {
            settle([entry], await this.execute([entry.input]));
          } catch (own) {
            entry.reject(own);
          }
        }),
      );
    }
  }
}

interface Entry<In, Out> {
  readonly input: In;
  readonly resolve: (output: Out) => void;
  readonly reject: (error: unknown) => void;
}

function settle<In, Out>(batch: readonly Entry<In, Out>[], outputs: readonly Out[]): void {
  if (outputs.length !== batch.length)
    throw new Error(`a batch of ${String(batch.length)} answered ${String(outputs.length)} outputs`);
  batch.forEach((entry, i) => {
    entry.resolve(outputs[i] as Out);
  });
}
