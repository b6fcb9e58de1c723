import { decodeMessages, type Message } from '@tork/domain';
import { describe, expect, it } from 'vitest';
import { COALESCED_TYPE, CoalescingPublisher } from './coalescing-publisher.js';

const job = (n: number): Message => ({ type: 'job.submitted', jobId: `job-${String(n)}` });

/** A send that records each broker message and confirms it when released. */
function broker(): {
  sent: { queue: string; type: string; messages: readonly Message[] }[];
  send: (queue: string, type: string, body: Buffer) => Promise<void>;
  confirm: (error?: Error) => void;
} {
  const sent: { queue: string; type: string; messages: readonly Message[] }[] = [];
  let confirms: ((error?: Error) => void)[] = [];
  return {
    sent,
    send: (queue, type, body) => {
      const decoded = decodeMessages(body);
      sent.push({ queue, type, messages: decoded.ok ? decoded.messages : [] });
      return new Promise<void>((resolve, reject) => {
        confirms.push((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      });
    },
    confirm: (error) => {
      const pending = confirms;
      confirms = [];
      for (const confirm of pending) confirm(error);
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingPublisher', () => {
  it('sends an idle queue its message at once, alone, and what came while it waited as one message', async () => {
    const { sent, send, confirm } = broker();
    const publisher = new CoalescingPublisher(send);

    const first = publisher.publish('jobs', job(1));
    const rest = [2, 3, 4].map((n) => publisher.publish('jobs', job(n)));
    const other = publisher.publish('completed', job(5));
    expect(sent).toEqual([
      { queue: 'jobs', type: 'job.submitted', messages: [job(1)] },
      { queue: 'completed', type: 'job.submitted', messages: [job(5)] },
    ]);

    confirm();
    await first;
    await other;
    await turn();
    expect(sent[2]).toEqual({ queue: 'jobs', type: COALESCED_TYPE, messages: [job(2), job(3), job(4)] });
    confirm();
    await Promise.all(rest);

    // Idle again: the next goes at once.
    const later = publisher.publish('jobs', job(6));
    expect(sent.at(-1)).toEqual({ queue: 'jobs', type: 'job.submitted', messages: [job(6)] });
    confirm();
    await later;
  });

  it('rejects every publish of a message the broker did not confirm, and goes on with the next', async () => {
    const { sent, send, confirm } = broker();
    const publisher = new CoalescingPublisher(send);
    const first = publisher.publish('jobs', job(1));
    const batch = [2, 3].map((n) => publisher.publish('jobs', job(n)));
    confirm();
    await first;
    await turn();
    confirm(new Error('nacked'));
    const outcomes = await Promise.allSettled(batch);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);

    const next = publisher.publish('jobs', job(4));
    expect(sent).toHaveLength(3);
    confirm();
    await next;
  });

  it('puts at most 100 messages in one', async () => {
    const { sent, send, confirm } = broker();
    const publisher = new CoalescingPublisher(send);
    const all = Array.from({ length: 151 }, (_, n) => publisher.publish('jobs', job(n)));
    for (let i = 0; i < 3; i++) {
      confirm();
      await turn();
    }
    await Promise.all(all);
    expect(sent.map((message) => message.messages.length)).toEqual([1, 100, 50]);
  });
});
