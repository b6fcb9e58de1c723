import {
  errorMessage,
  secretValues,
  type Broker,
  type Datastore,
  type Principal,
  type SecretPolicy,
} from '@tork/domain';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { visibleJob } from '../services/access.js';
import type { TaskService } from '../services/task.service.js';
import { jobSecrets } from '../views.js';
import { followJobEvents, followJobLog, followTaskLog, type FollowDeps } from './followers.js';
import { SseStream } from './sse-stream.js';
import { StreamLimiter } from './stream-limiter.js';
import type { StreamTokens } from './stream-tokens.js';

export const DEFAULT_MAX_STREAMS = 1000;

export interface StreamServiceDeps {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly tasks: TaskService;
  readonly tokens: StreamTokens;
  readonly secretPolicy: SecretPolicy;
  readonly logger: FastifyBaseLogger;
  /** Streams this process holds open at once (default 1000); more get 503. */
  readonly maxStreams?: number;
  /** Test knobs: how often the store is read without a notice, how long output is read after the end, keep-alive period. */
  readonly timing?: Pick<FollowDeps, 'pollMs' | 'settleMs'> & { readonly keepAliveMs?: number };
}

/**
 * Live streams over Server-Sent Events. Access is checked as for the paged routes (a task is
 * visible when its job is) before the response starts; then the reply is handed to a follower.
 */
export class StreamService {
  private readonly limiter: StreamLimiter;
  private readonly streams = new Set<SseStream>();

  constructor(private readonly deps: StreamServiceDeps) {
    this.limiter = new StreamLimiter(deps.maxStreams ?? DEFAULT_MAX_STREAMS);
  }

  mintToken(principal: Principal): { token: string; expiresAt: string } {
    return this.deps.tokens.mint(principal);
  }

  async taskLog(request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const { task, job } = await this.deps.tasks.get(request.principal, id);
    const secrets = [
      ...secretValues(task.spec, this.deps.secretPolicy),
      ...jobSecrets(job, this.deps.secretPolicy),
    ];
    this.run(request, reply, (stream, deps) =>
      followTaskLog(stream, deps, task, secrets, lastEventId(request)),
    );
  }

  async jobLog(request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const job = await visibleJob(this.deps.datastore, request.principal, id);
    const secrets = jobSecrets(job, this.deps.secretPolicy);
    this.run(request, reply, (stream, deps) =>
      followJobLog(stream, deps, job, secrets, lastEventId(request)),
    );
  }

  async jobEvents(request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const job = await visibleJob(this.deps.datastore, request.principal, id);
    this.run(request, reply, (stream, deps) => followJobEvents(stream, deps, job, lastEventId(request)));
  }

  /**
   * Ends every open stream without `event: end`, so that clients reconnect (to another replica)
   * and resume: the server cannot close while responses are still being written.
   */
  endAll(): void {
    for (const stream of this.streams) stream.end();
  }

  /** Streams currently open in this process. */
  get open(): number {
    return this.limiter.size;
  }

  private run(
    request: FastifyRequest,
    reply: FastifyReply,
    follow: (stream: SseStream, deps: FollowDeps) => Promise<void>,
  ): void {
    const release = this.limiter.acquire();
    const stream = new SseStream(request, reply, this.deps.timing?.keepAliveMs);
    this.streams.add(stream);
    const deps: FollowDeps = {
      datastore: this.deps.datastore,
      broker: this.deps.broker,
      ...this.deps.timing,
    };
    follow(stream, deps)
      .catch((error: unknown) => {
        // The status line is gone: the client learns of the failure as an event, then the stream ends.
        this.deps.logger.error({ err: errorMessage(error) }, 'a stream failed');
        stream.send('error', undefined, { message: 'the stream failed; reconnect to resume' });
      })
      .finally(() => {
        stream.end();
        this.streams.delete(stream);
        release();
      });
  }
}

/** Where a reconnecting client resumes: the `Last-Event-ID` header (EventSource), else `?lastEventId=`. */
function lastEventId(request: FastifyRequest): number {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.['lastEventId'];
  const value = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
  const parsed = value === undefined ? 0 : Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : 0;
}
