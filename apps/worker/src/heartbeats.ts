import { hostname } from 'node:os';
import { errorMessage, QUEUE, type Broker, type Logger } from '@tork/domain';
import { cpuMeter } from './cpu-meter.js';

export interface HeartbeatsDeps {
  readonly broker: Broker;
  readonly logger: Logger;
  readonly now: () => string;
  /** Tasks running now, as each heartbeat reports them. */
  readonly runningTasks: () => number;
}

/** What every heartbeat says about this worker besides what changes. */
export interface HeartbeatNode {
  readonly id: string;
  readonly queues: Readonly<Record<string, number>>;
  readonly version?: string;
  readonly startedAt: string;
}

/** Tells the scheduler at a steady pace that this worker lives, what it runs and how busy its host is. */
export class Heartbeats {
  private readonly measureCpu = cpuMeter();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: HeartbeatsDeps,
    private readonly node: HeartbeatNode,
  ) {}

  /** Beats now, then every `intervalMs`. */
  start(intervalMs: number): void {
    this.beat();
    this.timer = setInterval(() => {
      this.beat();
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    this.publish().catch((error: unknown) => {
      this.deps.logger.warn({ err: errorMessage(error) }, 'heartbeat failed');
    });
  }

  private publish(): Promise<void> {
    const { id, queues, version, startedAt } = this.node;
    return this.deps.broker.publish(QUEUE.heartbeat, {
      type: 'node.heartbeat',
      node: {
        id,
        hostname: hostname(),
        queues,
        runningTasks: this.deps.runningTasks(),
        cpuPercent: this.measureCpu(),
        ...(version === undefined ? {} : { version }),
        startedAt,
        lastHeartbeatAt: this.deps.now(),
      },
    });
  }
}
