import type { Broker, Datastore, Keyring, Logger, Metrics } from '@tork/domain';
import type { RetryTimers } from './retry-timers.js';

/** What every scheduler handler works with. */
export interface SchedulerContext {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly logger: Logger;
  /** The current time as an ISO-8601 string; tests may fix it. */
  readonly now: () => string;
  readonly retryTimers: RetryTimers;
  /** Decrypts a job's secrets for its expressions, and encrypts the env values that then hold them. */
  readonly keyring?: Keyring;
  /** Job and task transitions and their timings. */
  readonly metrics: Metrics;
  /** States changed in this process: the job event feed reads the new events soon. */
  readonly eventsRecorded?: () => void;
  /** Webhook deliveries were stored in this process: the sender looks for due ones soon. */
  readonly webhooksEnqueued?: () => void;
}
